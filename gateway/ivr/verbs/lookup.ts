import type { NodeOf } from '../flow-schema.js';
import type { IvrSession } from '../session.js';
import { BaseVerb, type VerbResult } from './verb.js';

/** Identifies the caller through the bank-core adapter: by calling number, or a collected card / account number. */
export class LookupVerb extends BaseVerb {
  constructor(private readonly n: NodeOf<'lookup'>) {
    super();
  }

  async exec(s: IvrSession): Promise<VerbResult> {
    const found = await s.identify({ by: this.n.by, value: this.n.var ? s.vars[this.n.var] : undefined });
    this.check();
    return found ? { next: this.n.next, result: 'found' } : { next: this.n.notFound, result: 'not-found' };
  }
}
