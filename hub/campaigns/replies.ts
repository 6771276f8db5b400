/**
 * Replies to campaigns. Each send remembers, per customer and channel, the campaign that last wrote
 * to them (Redis, for campaigns.replyWindowDays): a customer's message within that window that opens
 * a conversation opens it in the campaign's queue, tagged `campaign:<id>`, so the ACD routes it to the
 * people who run the campaign; one that joins a live conversation tags it. The recipient is marked
 * replied (or opted out, for an opt-out keyword) for the campaign's results. One Redis read per
 * inbound SMS or e-mail; nothing for other channels.
 */
import { Types } from 'mongoose';
import type { Hub } from '../hub.js';
import type { IngestResult } from '../ingest/ingest.js';
import type { Channel } from '../models/types.js';
import { recipientKey } from './audience.js';
import type { CampaignModels } from './models.js';

const CHANNELS = new Set<string>(['sms', 'email']);

export class Replies {
  /** campaign id → its reply queue (a campaign's queue never changes once it runs). */
  private queues = new Map<string, string>();

  constructor(
    private readonly hub: Hub,
    private readonly cm: CampaignModels,
    /** Counts moved (replied, opted out): progress listeners re-read them. */
    private readonly changed: (campaignId: string) => void = () => undefined,
  ) {}

  lastKey(channel: string, customerId: string): string {
    return `${this.hub.config.redisPrefix}:cmp:last:${channel}:${customerId}`;
  }

  /** Remember the campaign that just wrote to this customer on this channel. */
  async remember(channel: string, customerId: string, campaignId: string): Promise<void> {
    await this.hub.redis.set(this.lastKey(channel, customerId), campaignId, 'EX', Math.max(60, Math.round(this.hub.config.campaigns.replyWindowDays * 86400)));
  }

  private async campaignOf(customerId: Types.ObjectId, channel: Channel): Promise<string | null> {
    if (!CHANNELS.has(channel)) return null;
    return this.hub.redis.get(this.lastKey(channel, String(customerId)));
  }

  /** Ingest's `opening` hook: the campaign's queue and tag for a reply's new conversation. */
  async routing(customerId: Types.ObjectId, channel: Channel): Promise<{ queue?: string; tags?: string[] } | null> {
    const id = await this.campaignOf(customerId, channel);
    if (!id) return null;
    let queue = this.queues.get(id);
    if (!queue) {
      const c = await this.cm.Campaign.findById(id, { queue: 1 }).lean();
      if (!c) return null;
      queue = c.queue ?? this.hub.config.campaigns.replyQueue;
      if (this.queues.size > 10_000) this.queues.clear();
      this.queues.set(id, queue);
    }
    return { queue, tags: [`campaign:${id}`] };
  }

  /** Every stored inbound message: mark the campaign's recipient replied (or opted out), tag a joined conversation. */
  async inbound(r: Pick<IngestResult, 'message' | 'conversation'>, optOut: boolean): Promise<void> {
    const msg = r.message;
    if (msg.direction !== 'in') return;
    const id = await this.campaignOf(msg.customerId, msg.channel as Channel);
    if (!id) return;
    const now = new Date();
    const key = recipientKey(id, String(msg.customerId), msg.channel);
    const replied = await this.cm.Recipient.updateOne({ _id: key, replied: { $ne: true } }, { $set: { replied: true, repliedAt: now } });
    const opted = optOut ? await this.cm.Recipient.updateOne({ _id: key, optedOut: { $ne: true } }, { $set: { optedOut: true } }) : null;
    if (replied.modifiedCount || opted?.modifiedCount) this.changed(id);
    const tag = `campaign:${id}`;
    if (!(r.conversation.tags ?? []).includes(tag)) await this.hub.m.Conversation.updateOne({ _id: r.conversation._id }, { $addToSet: { tags: tag } });
  }
}
