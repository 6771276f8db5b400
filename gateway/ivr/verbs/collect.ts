import type { NodeOf } from '../flow-schema.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

/**
 * Collects digits into a variable: the first within `timeoutSec`, the rest within `interDigitSec`
 * each; the terminator or `maxLength` ends it early. Fewer than `minLength` (or none) is asked again
 * up to `retries` times, then `onFail`. The path keeps the digits masked (card and account numbers).
 */
export class CollectVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'collect'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    const n = this.n;
    let last = '';
    for (let attempt = 0; attempt <= n.retries; attempt++) {
      if (last === 'invalid') await s.say([n.invalidPrompt], { bargeIn: true, signal: this.signal });
      if (last === 'timeout') await s.say([n.noInputPrompt], { bargeIn: true, signal: this.signal });
      this.check();
      await s.say([n.prompt], { bargeIn: true, signal: this.signal });
      this.check();
      let got = '';
      let d = await s.digits.next(n.timeoutSec * 1000, this.signal);
      this.check();
      if (d === null) {
        last = 'timeout';
        continue;
      }
      while (d !== null && d !== n.terminator) {
        got += d;
        if (got.length >= n.maxLength) break;
        d = await s.digits.next(n.interDigitSec * 1000, this.signal);
        this.check();
      }
      if (got.length < n.minLength) {
        last = 'invalid';
        s.digits.clear();
        continue;
      }
      s.vars[n.var] = got;
      return { next: n.next, digits: mask(got), result: 'collected' };
    }
    return { next: n.onFail, result: `failed:${last}` };
  }
}

/** Card and account numbers never reach the stored path whole: the last four stay. */
export const mask = (d: string) => (d.length > 4 ? '*'.repeat(d.length - 4) + d.slice(-4) : d);
