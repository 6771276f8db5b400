import type { NodeOf } from '../flow-schema.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

/** Says a prompt; with barge-in a digit stops it and is kept for the next menu or collect (type-ahead). */
export class PlayVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'play'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    const r = await s.say([this.n.prompt], { bargeIn: this.n.bargeIn, signal: this.signal });
    this.check();
    return { next: this.n.next, ...(r.stopped ? { result: 'barge-in' } : {}) };
  }
}
