/**
 * A campaign's audience: a segment of customers by their fields, counted live, and materialised as
 * one recipient document per (campaign, customer, channel). Customers are read with a cursor in
 * _id order and written in batches, so a million-customer audience is never in memory or in one
 * document; the last customer written is kept on the campaign, so a materialisation cut short (a
 * killed hub) resumes where it stopped, and a batch written twice changes nothing (unique _id).
 */
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Models } from '../models/index.js';
import type { CampaignChannel, CampaignModels } from './models.js';

export const AudienceSchema = z
  .object({
    /** Any of these tiers (absent: every tier). */
    tiers: z.array(z.string().trim().min(1).max(32)).max(20).optional(),
    segments: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    /** Every one of these tags. */
    tags: z.array(z.string().trim().min(1).max(64)).max(20).optional(),
    /** zh or en (a customer without a language counts as zh). */
    language: z.enum(['zh', 'en']).optional(),
    /** Only customers who have not opted out of marketing on the campaign's channel (the rule is enforced at send either way). */
    consentingOnly: z.boolean().optional(),
  })
  .strict();
export type Audience = z.infer<typeof AudienceSchema>;

const BATCH = 500;

/** The customer filter of a segment. Equality and $in only: what the embedded store pushes down. */
export function customerFilter(a: Audience, channel: CampaignChannel): Record<string, unknown> {
  // (Merged customers need no filter: their identities moved to the survivor, so they have no address.)
  const f: Record<string, unknown> = {};
  if (a.tiers?.length) f.tier = a.tiers.length === 1 ? a.tiers[0] : { $in: a.tiers };
  if (a.segments?.length) f.segment = a.segments.length === 1 ? a.segments[0] : { $in: a.segments };
  if (a.tags?.length) f.tags = { $all: a.tags };
  if (a.language === 'en') f.language = 'en';
  if (a.language === 'zh') f.language = { $ne: 'en' };
  if (a.consentingOnly) f[`consents.${channel}.marketing`] = { $ne: false };
  return f;
}

export const recipientKey = (campaignId: string, customerId: string, channel: string) => `${campaignId}:${customerId}:${channel}`;
/** The fixed 24-hex id every send of a recipient carries (the connector's idempotency key: SMPP part memory, the e-mail Message-ID). */
export const recipientMessageId = (key: string) => createHash('sha256').update(`campaign-recipient:${key}`).digest('hex').slice(0, 24);

/** A recipient's lane: a stable hash of its key, so lanes split the audience evenly and never share. */
export const laneOf = (key: string, lanes: number) => createHash('sha256').update(key).digest().readUInt32BE(0) % lanes;

export async function countAudience(m: Models, a: Audience, channel: CampaignChannel): Promise<number> {
  return m.Customer.countDocuments(customerFilter(a, channel));
}

/**
 * Write the recipients of a campaign from `after` (exclusive) on; `progress` is told the last customer
 * of every batch written, to remember. Customers with no address on the channel are recorded skipped
 * (`no_address`), so every customer of the segment is accounted for.
 */
export async function materialise(m: Models, cm: CampaignModels, campaign: { _id: Types.ObjectId; channel: CampaignChannel; audience: Audience }, lanes: number, after: Types.ObjectId | null, progress: (last: Types.ObjectId) => Promise<void>, stillWanted: () => Promise<boolean>): Promise<number> {
  const kind = campaign.channel === 'sms' ? 'phone' : 'email';
  const filter = customerFilter(campaign.audience, campaign.channel);
  if (after) filter._id = { $gt: after };
  const cursor = m.Customer.find(filter, { _id: 1 }).sort({ _id: 1 }).lean().cursor({ batchSize: BATCH });
  let batch: Types.ObjectId[] = [];
  let written = 0;
  const flush = async () => {
    if (!batch.length) return;
    const ids = batch;
    batch = [];
    const idents = await m.Identity.find({ customerId: { $in: ids }, kind }, { _id: 1, customerId: 1, address: 1, verified: 1 }).lean();
    const address = new Map<string, string>();
    // A verified address wins over one someone typed into a form.
    for (const i of idents) {
      const k = String(i.customerId);
      if (!i.address) continue;
      if (!address.has(k) || (i.verified !== false && !String(i._id).startsWith('unverified:'))) address.set(k, i.address);
    }
    const now = new Date();
    const docs = ids.map((id) => {
      const key = recipientKey(String(campaign._id), String(id), campaign.channel);
      const to = address.get(String(id));
      return { _id: key, campaignId: campaign._id, customerId: id, channel: campaign.channel, messageId: recipientMessageId(key), lane: laneOf(key, lanes), ...(to ? { address: to, state: 'pending' } : { state: 'skipped', reason: 'no_address' }), attempts: 0, createdAt: now, updatedAt: now };
    });
    try {
      await cm.Recipient.collection.insertMany(docs as never[], { ordered: false });
    } catch (e) {
      // Written before (a resumed or repeated materialisation): the unique _id kept the first.
      if (!isOnlyDuplicates(e)) throw e;
    }
    written += docs.length;
    await progress(ids[ids.length - 1]!);
  };
  try {
    for await (const c of cursor) {
      batch.push(c._id as Types.ObjectId);
      if (batch.length >= BATCH) {
        await flush();
        if (!(await stillWanted())) return written;
      }
    }
    await flush();
  } finally {
    await cursor.close().catch(() => undefined);
  }
  return written;
}

function isOnlyDuplicates(e: unknown): boolean {
  const err = e as { code?: number; writeErrors?: { code?: number }[]; result?: { writeErrors?: { code?: number }[] } };
  const list = err.writeErrors ?? err.result?.writeErrors;
  if (Array.isArray(list) && list.length) return list.every((w) => (w.code ?? (w as { err?: { code?: number } }).err?.code) === 11000);
  return err.code === 11000;
}
