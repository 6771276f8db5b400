/** The verbs that only decide or mark: condition, setTag, setPriority. */
import { evaluate } from '../conditions.js';
import type { NodeOf } from '../flow-schema.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

export class ConditionVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'condition'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    const yes = evaluate(this.n.test, { called: s.call.called, profile: s.profile, now: s.now() });
    return yes ? { next: this.n.then, result: 'then' } : { next: this.n.else, result: 'else' };
  }
}

export class SetTagVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'setTag'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    if (!s.tags.includes(this.n.tag)) s.tags.push(this.n.tag);
    return { next: this.n.next, result: this.n.tag };
  }
}

export class SetPriorityVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'setPriority'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    s.priority = this.n.priority;
    return { next: this.n.next, result: String(this.n.priority) };
  }
}
