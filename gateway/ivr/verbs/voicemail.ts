import type { Readable } from 'node:stream';
import type { NodeOf } from '../flow-schema.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

/**
 * Voicemail: the prompt, then a recording until '#', `maxSec`, or the caller hangs up — a hang-up
 * keeps the message (that is how most callers end one), so it is not a kill here.
 */
export class VoicemailVerb extends BaseVerb {
  private rec?: { wav: Readable; durationMs: number };

  constructor(private readonly n: NodeOf<'voicemail'>) {
    super();
  }

  recording = () => {
    if (!this.rec) throw new Error('no recording yet');
    return this.rec;
  };

  async exec(s: IvrSession): Promise<VerbResult> {
    await s.say([this.n.prompt], { bargeIn: false, signal: this.signal });
    this.check();
    s.digits.clear();
    const recorder = s.media.record();
    const digit = new AbortController();
    const off = s.digits.onDigit((d) => d === '#' && digit.abort());
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.n.maxSec * 1000);
      const done = () => (clearTimeout(t), resolve());
      digit.signal.addEventListener('abort', done, { once: true });
      this.signal.addEventListener('abort', done, { once: true });
    });
    off();
    const r = await recorder.stop();
    this.rec = { wav: r.wav, durationMs: r.durationMs };
    return { outcome: { kind: 'voicemail', queue: this.n.queue, durationMs: r.durationMs } };
  }
}
