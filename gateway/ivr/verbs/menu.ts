import type { MenuOption, NodeOf } from '../flow-schema.js';
import { emptyProfile, rankOptions } from '../ranking.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

/**
 * A menu: say the prompt (barge-in always: a caller who knows the digit need not listen), wait for a
 * digit, go to its option. A digit that is no option, or silence, is said so and asked again up to
 * `retries` times, then `onFail`. A dynamic menu says only the options ranked for this caller, likely
 * first (ranking.ts), each by its label, and takes only those digits.
 */
export class MenuVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'menu'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    const n = this.n;
    const options: MenuOption[] = n.dynamic ? rankOptions(n.options, s.profile ?? emptyProfile(), s.now(), n.maxOptions, n.maxLikely) : n.options;
    // Nothing in the caller's data points to a shortcut: straight on (to the usual menu), unheard.
    if (n.dynamic && n.whenNothingLikely && !options.some((o) => o.onlyWhenLikely)) return { next: n.whenNothingLikely, result: 'nothing-likely' };
    const prompts = n.dynamic ? [n.prompt, ...options.map((o) => o.label)] : [n.prompt];
    let pressed = '';
    let last = '';
    for (let attempt = 0; attempt <= n.retries; attempt++) {
      if (last === 'invalid') await s.say([n.invalidPrompt], { bargeIn: true, signal: this.signal });
      if (last === 'timeout') await s.say([n.noInputPrompt], { bargeIn: true, signal: this.signal });
      this.check();
      await s.say(prompts, { bargeIn: true, signal: this.signal });
      this.check();
      const d = await s.digits.next(n.timeoutSec * 1000, this.signal);
      this.check();
      if (d === null) {
        last = 'timeout';
        continue;
      }
      pressed += d;
      const o = options.find((x) => x.digit === d);
      if (o) return { next: o.next, digits: pressed, result: o.intent };
      last = 'invalid';
      // Whatever else was typed ahead belongs to the failed try.
      s.digits.clear();
    }
    return { next: n.onFail, ...(pressed ? { digits: pressed } : {}), result: `failed:${last}` };
  }
}
