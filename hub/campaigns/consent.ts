/**
 * Marketing consent per customer and channel, the suppression list, and opt-out keywords.
 *
 * Consent lives on the customer (`consents.<channel>`: marketing on/off, its source and time); no
 * entry means not opted out. Every change is one conditional write, so an opt-out arriving twice
 * (a redelivered SMS, a double-clicked link) changes consent once and is confirmed once.
 *
 * Suppression entries are keyed like identities (hub/identities.ts: "phone:+8613800138000",
 * "email:li.na@example.com"), so every spelling of a number is one entry.
 *
 * Opt-out keywords are checked on the hub side of ingest for every channel (hub/connector-context.ts
 * awaits `inbound` before the connector acknowledges its channel): a redelivery after a crash runs it
 * again, and the conditional write makes that harmless. The message itself is stored and routed like
 * any other: service replies continue.
 */
import { Types } from 'mongoose';
import type { Hub } from '../hub.js';
import { badRequest, isDuplicateKey } from '../../lib/errors.js';
import { identityKey, type NormalisedAddress } from '../identities.js';
import type { IngestResult } from '../ingest/ingest.js';
import type { MessageDoc } from '../models/message.js';
import type { ConversationDoc } from '../models/conversation.js';
import { outboundDoc } from '../outbound-message.js';
import { conversationView } from '../views.js';
import type { Actor } from '../audit.js';
import type { CampaignModels } from './models.js';

export const CONSENT_CHANNELS = ['sms', 'email'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

export interface ConsentEntry {
  marketing: boolean;
  source: string;
  at: Date;
  /** The inbound message that opted out (its confirmation is keyed by it). */
  messageId?: string;
}

export class Consent {
  private readonly keywords: Set<string>;

  constructor(
    private readonly hub: Hub,
    private readonly cm: CampaignModels,
  ) {
    this.keywords = new Set(hub.config.campaigns.optOutKeywords.map((k) => k.trim().toLowerCase()));
  }

  /** The customer's consent entries (absent channel: not opted out). */
  async get(customerId: Types.ObjectId): Promise<Record<string, ConsentEntry>> {
    const c = await this.hub.m.Customer.findById(customerId, { consents: 1 }).lean();
    return ((c?.consents as Record<string, ConsentEntry> | undefined) ?? {}) as Record<string, ConsentEntry>;
  }

  /**
   * Set marketing consent on a channel. Returns whether it changed (a repeat changes nothing and is
   * not audited or confirmed again).
   */
  async set(customerId: Types.ObjectId, channel: ConsentChannel, marketing: boolean, source: string, actor: Actor, extra: { messageId?: string; ip?: string } = {}): Promise<boolean> {
    const path = `consents.${channel}`;
    const entry: ConsentEntry = { marketing, source: source.slice(0, 100), at: new Date(), ...(extra.messageId ? { messageId: extra.messageId } : {}) };
    // Conditional: only a write that changes the value counts (the store serialises writes).
    const res = await this.hub.m.Customer.collection.updateOne({ _id: customerId, [`${path}.marketing`]: { $ne: marketing } }, { $set: { [path]: entry, updatedAt: new Date() } });
    if (!res.modifiedCount) return false;
    await this.hub.audit.record(actor, marketing ? 'consent.opt_in' : 'consent.opt_out', { type: 'customer', id: String(customerId) }, { channel, source: entry.source }, extra.ip);
    return true;
  }

  /** Why a customer at an address may not get marketing on a channel now, or null. */
  async refusal(customerId: Types.ObjectId, channel: ConsentChannel, address: string | null | undefined, known?: Record<string, ConsentEntry>): Promise<'opted_out' | 'suppressed' | null> {
    // `known`: the consents just read with the customer (one read less per send).
    const [consents, suppressed] = await Promise.all([known ? Promise.resolve(known) : this.get(customerId), address ? this.isSuppressed(channel, address) : Promise.resolve(false)]);
    if (consents[channel]?.marketing === false) return 'opted_out';
    return suppressed ? 'suppressed' : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Suppression list

  /** The identity key of a number or address (refused with a 400 when it is neither). */
  suppressionKey(channel: ConsentChannel, raw: string): string {
    const norm: NormalisedAddress = this.hub.ingest.ids.normalise(channel, raw);
    if (!norm.valid) throw badRequest(`"${raw.slice(0, 64)}" is not a valid ${channel === 'sms' ? 'phone number' : 'e-mail address'}`, 'invalid_address');
    return identityKey(norm);
  }

  async isSuppressed(channel: ConsentChannel, address: string): Promise<boolean> {
    const norm = this.hub.ingest.ids.normalise(channel, address);
    return !!(await this.cm.Suppression.exists({ _id: identityKey(norm) }));
  }

  /** Which of these addresses are on the suppression list (one query for a batch of sends); invalid ones are not. */
  async suppressedAmong(channel: ConsentChannel, addresses: string[]): Promise<Set<string>> {
    const keyOf = new Map<string, string[]>();
    for (const a of addresses) {
      const norm = this.hub.ingest.ids.normalise(channel, a);
      if (!norm.valid) continue;
      const k = identityKey(norm);
      keyOf.set(k, [...(keyOf.get(k) ?? []), a]);
    }
    if (!keyOf.size) return new Set();
    const hits = await this.cm.Suppression.find({ _id: { $in: [...keyOf.keys()] } }, { _id: 1 }).lean();
    return new Set(hits.flatMap((h) => keyOf.get(String(h._id)) ?? []));
  }

  /** Add; answers false when it was already listed. */
  async suppress(key: string, reason: string, by: { id: string; name: string }): Promise<boolean> {
    try {
      await this.cm.Suppression.create({ _id: key, reason, by, at: new Date() });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async unsuppress(key: string): Promise<boolean> {
    return (await this.cm.Suppression.deleteOne({ _id: key })).deletedCount > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Opt-out keywords (the hub-side ingest hook)

  isKeyword(text: string | null | undefined): string | null {
    const t = (text ?? '').trim().toLowerCase();
    return t && this.keywords.has(t) ? t.toUpperCase() : null;
  }

  /**
   * Every inbound message, stored (or found stored, on a redelivery): an opt-out keyword turns
   * marketing consent on its channel off and sends one confirmation. Answers whether it was an opt-out.
   */
  async inbound(r: Pick<IngestResult, 'message' | 'conversation'>): Promise<boolean> {
    const msg = r.message;
    if (msg.direction !== 'in' || !(CONSENT_CHANNELS as readonly string[]).includes(msg.channel)) return false;
    const kw = this.isKeyword(msg.text);
    if (!kw) return false;
    const channel = msg.channel as ConsentChannel;
    const messageId = String(msg._id);
    const changed = await this.set(msg.customerId, channel, false, `keyword:${kw}`, { type: 'system', id: 'opt-out-keyword' }, { messageId });
    // A redelivery of the very message that opted out, after a crash before its confirmation: send it now.
    const confirm = changed || (await this.get(msg.customerId))[channel]?.messageId === messageId;
    if (confirm) await this.confirm(r.conversation, msg);
    return true;
  }

  /** The one confirmation of an opt-out, in the customer's language, through the normal outbound path. */
  private async confirm(conv: ConversationDoc, optOut: MessageDoc): Promise<void> {
    const hub = this.hub;
    const customer = await hub.m.Customer.findById(conv.customerId, { language: 1 }).lean();
    const texts = hub.config.campaigns.optOutConfirmation;
    const text = String(customer?.language ?? '').startsWith('en') ? texts.en : texts.zh;
    const doc = await outboundDoc(hub.files, conv, { type: 'system', id: 'opt-out', name: 'opt-out' }, { text, ...(conv.channel === 'email' ? { subject: 'Unsubscribed / 退订成功' } : {}) }, `optout:${String(optOut._id)}`);
    let message = doc as unknown as MessageDoc;
    try {
      await hub.m.Message.collection.insertOne(doc);
      hub.events.messageCreated(message, conversationView(conv));
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      message = (await hub.m.Message.findOne({ channel: conv.channel, externalId: doc.externalId }).lean()) as unknown as MessageDoc;
      if (message.status !== 'queued') return;
    }
    await hub.outbound.enqueue(message); // job id = message id: never queued twice
  }
}
