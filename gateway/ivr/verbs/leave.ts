/**
 * The verbs that end the IVR: queue, callback, transfer, hangup say their prompt and name the
 * outcome (the session hands it to the call layer). Voicemail is in voicemail.ts.
 */
import type { NodeOf } from '../flow-schema.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

export class QueueVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'queue'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    await s.say([this.n.prompt], { bargeIn: true, signal: this.signal });
    this.check();
    return { outcome: { kind: 'queue', queue: this.n.queue, ...(this.n.skill ? { skill: this.n.skill } : {}) } };
  }
}

export class CallbackVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'callback'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    await s.say([this.n.prompt], { bargeIn: false, signal: this.signal });
    this.check();
    return { outcome: { kind: 'callback', queue: this.n.queue } };
  }
}

export class TransferVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'transfer'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    await s.say([this.n.prompt], { bargeIn: false, signal: this.signal });
    this.check();
    return { outcome: { kind: 'transfer', to: this.n.to } };
  }
}

export class HangupVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'hangup'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    // Goodbyes are heard out: no barge-in.
    await s.say([this.n.prompt], { bargeIn: false, signal: this.signal });
    this.check();
    return { outcome: { kind: 'hangup', reason: 'flow' } };
  }
}
