/**
 * What the hub knows about an identified caller that dynamic menus rank by (ranking.ts): tier and
 * segment, open cases and recent contacts with their reasons (wrap-up codes and tags), and the
 * campaigns they are in (customer tags `campaign:<intent>`).
 */
import type { Model } from 'mongoose';
import type { BankCustomer } from './bank-core.js';
import type { CallerProfile } from './ranking.js';

const LIVE = new Set(['open', 'queued', 'assigned', 'pending']);

export interface ProfileModels {
  Customer: Model<any>;
  Conversation: Model<any>;
}

export async function callerProfile(m: ProfileModels, c: BankCustomer): Promise<CallerProfile> {
  const [customer, convs] = await Promise.all([
    m.Customer.findById(c.id, { tags: 1 }).lean<{ tags?: string[] }>(),
    // Equality on an indexed field, newest first, bounded (the embedded store sorts in Go: keep it small).
    m.Conversation.find({ customerId: c.id }, { status: 1, tags: 1, disposition: 1, updatedAt: 1 }).sort({ createdAt: -1 }).limit(20).lean<{ status: string; tags?: string[]; disposition?: { code?: string }; updatedAt: Date }[]>(),
  ]);
  const reasons = (v: { tags?: string[]; disposition?: { code?: string } }) => [...(v.disposition?.code ? [v.disposition.code] : []), ...(v.tags ?? [])];
  return {
    customerId: c.id,
    name: c.name,
    tier: c.tier,
    segment: c.segment,
    language: c.language,
    openCases: convs.filter((v) => LIVE.has(v.status)).flatMap(reasons),
    recentContacts: convs.filter((v) => !LIVE.has(v.status)).flatMap((v) => reasons(v).map((reason) => ({ reason, at: new Date(v.updatedAt) }))),
    campaigns: (customer?.tags ?? []).filter((t) => t.startsWith('campaign:')).map((t) => t.slice('campaign:'.length)),
  };
}
