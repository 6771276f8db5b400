/** Helpers for campaign tests: customers with an SMS or e-mail identity and profile fields, and a campaign run through the API. */
import type { Types } from 'mongoose';
import type { Hub } from '../../hub/hub.js';
import { api } from './hub.js';
import { waitFor } from './wait.js';

export interface CustomerSpec {
  phone?: string;
  email?: string;
  name?: string;
  tier?: string;
  segment?: string;
  tags?: string[];
  language?: string;
  timeZone?: string;
  cardLast4?: string;
  consents?: Record<string, unknown>;
}

export async function makeCustomer(hub: Hub, s: CustomerSpec): Promise<Types.ObjectId> {
  const first = s.phone ? { channel: 'sms' as const, address: s.phone } : { channel: 'email' as const, address: s.email! };
  const id = await hub.ingest.ids.resolve(first, { name: s.name });
  if (s.phone && s.email) await hub.m.Identity.create({ _id: `email:${s.email.toLowerCase()}`, customerId: id, kind: 'email', address: s.email.toLowerCase(), channels: ['email'], verified: true });
  const set: Record<string, unknown> = {};
  for (const k of ['name', 'tier', 'segment', 'tags', 'language', 'timeZone', 'cardLast4', 'consents'] as const) if (s[k] !== undefined) set[k] = s[k];
  await hub.m.Customer.collection.updateOne({ _id: id }, { $set: set });
  return id;
}

/** Create and start a campaign; answers its id and its state after start. */
export async function startCampaign(url: string, token: string, body: Record<string, unknown>): Promise<{ id: string; state: string }> {
  const c = await api(url, '/api/campaigns', { token, body });
  if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`);
  const s = await api(url, `/api/campaigns/${c.body.campaign.id}/start`, { token, method: 'POST' });
  if (s.status !== 200) throw new Error(`start: ${s.status} ${JSON.stringify(s.body)}`);
  return { id: c.body.campaign.id, state: s.body.campaign.state };
}

export async function campaignOf(url: string, token: string, id: string) {
  const r = await api(url, `/api/campaigns/${id}`, { token });
  if (r.status !== 200) throw new Error(`get: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.campaign;
}

export function waitState(url: string, token: string, id: string, state: string, ms = 30_000) {
  return waitFor(async () => {
    const c = await campaignOf(url, token, id);
    return c.state === state ? c : null;
  }, ms, `campaign ${state}`);
}
