/**
 * The bank's core system as the IVR sees it: who a caller is, by calling number or by a card or
 * account number typed in. Pluggable: a bank supplies its own adapter (its core banking API); the demo
 * adapter answers from our own customers and identities collections plus a small table of demo card
 * and account numbers, so `npm start` and the tests identify callers without a bank behind them.
 */
import { Schema, type Connection, type Model } from 'mongoose';

export interface BankCustomer {
  id: string;
  name: string;
  tier?: string;
  segment?: string;
  language?: string;
}

export interface BankCore {
  byPhone(e164: string): Promise<BankCustomer | null>;
  byCard(number: string): Promise<BankCustomer | null>;
  byAccount(number: string): Promise<BankCustomer | null>;
}

const demoAccountSchema = new Schema({ _id: String, customerId: { type: Schema.Types.ObjectId, required: true } }, { versionKey: false });

/** The narrow part of the hub's models the demo adapter reads. */
export interface DemoBankModels {
  Customer: Model<any>;
  Identity: Model<any>;
}

export class DemoBankCore implements BankCore {
  private readonly accounts: Model<{ _id: string; customerId: unknown }>;

  constructor(
    conn: Connection,
    private readonly m: DemoBankModels,
  ) {
    this.accounts = (conn.models.DemoBankAccount as never) ?? conn.model('DemoBankAccount', demoAccountSchema, 'demo_bank_accounts');
  }

  async byPhone(e164: string): Promise<BankCustomer | null> {
    const id = await this.m.Identity.findById(`phone:${e164.startsWith('+') ? e164 : `+${e164}`}`).lean<{ customerId: unknown }>();
    return id ? this.customer(String(id.customerId)) : null;
  }

  byCard(number: string) {
    return this.byKey(`card:${number}`);
  }

  byAccount(number: string) {
    return this.byKey(`account:${number}`);
  }

  /** Demo data: a card or account number that identifies a customer. */
  async link(kind: 'card' | 'account', number: string, customerId: string): Promise<void> {
    await this.accounts.updateOne({ _id: `${kind}:${number}` }, { $setOnInsert: { customerId } }, { upsert: true });
  }

  private async byKey(key: string): Promise<BankCustomer | null> {
    const row = await this.accounts.findById(key).lean();
    return row ? this.customer(String(row.customerId)) : null;
  }

  private async customer(id: string): Promise<BankCustomer | null> {
    // A merged customer answers as the one it was merged into (hub/customer-merge.ts tombstones).
    for (let hops = 0; hops < 3; hops++) {
      const c = await this.m.Customer.findById(id).lean<{ _id: unknown; name?: string; tier?: string; segment?: string; language?: string; mergedInto?: unknown }>();
      if (!c) return null;
      if (!c.mergedInto) return { id: String(c._id), name: c.name ?? '', tier: c.tier, segment: c.segment, language: c.language };
      id = String(c.mergedInto);
    }
    return null;
  }
}
