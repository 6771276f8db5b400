/**
 * What every verb is: `exec(session)` runs the node and says where to go (or how the IVR ends);
 * `kill(reason)` stops it at once — its prompt stops, its digit wait ends — and exec then throws
 * Killed. One class per node type (this folder), built by makeVerb (index.ts).
 */
import type { Readable } from 'node:stream';
import type { IvrOutcome, IvrSession } from '../session.js';

export interface VerbResult {
  next?: string;
  outcome?: IvrOutcome;
  digits?: string;
  result?: string;
}

export interface Verb {
  exec(s: IvrSession): Promise<VerbResult>;
  kill(reason: string): void;
  /** Voicemail only: the recording it made. */
  recording?: () => { wav: Readable; durationMs: number };
}

/** Thrown out of exec when the verb was killed (caller hung up, time in IVR over). */
export class Killed extends Error {
  constructor(readonly reason: string) {
    super(`killed: ${reason}`);
  }
}

export abstract class BaseVerb implements Verb {
  protected readonly abort = new AbortController();
  private reason = '';

  abstract exec(s: IvrSession): Promise<VerbResult>;

  kill(reason: string): void {
    this.reason = reason;
    this.abort.abort();
  }

  /** Call after every await: a killed verb goes no further. */
  protected check(): void {
    if (this.abort.signal.aborted) throw new Killed(this.reason);
  }

  protected get signal(): AbortSignal {
    return this.abort.signal;
  }
}
