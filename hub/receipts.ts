/**
 * Delivery statuses of outbound messages: from the send's own result, from a channel's receipts (an
 * SMS delivery report, an e-mail bounce, a read report), by our message id or by the channel's id.
 *
 * Every change is one conditional findOneAndUpdate whose filter lists the statuses it may move from
 * (STATUS_FROM): the store serialises writes, so a late `sent` can never overwrite `delivered`, a
 * duplicated receipt changes nothing the second time, and of two racing receipts the order of arrival
 * does not matter where both are forward.
 *
 * A receipt can overtake its send's result (an SMSC reports delivery before the submit's response is
 * recorded): its message has no `sentId` yet. Such a receipt waits in Redis (a list per channel id,
 * with a TTL) and is applied when the send records the id. No receipt is lost between the two:
 *   receipt: look up (miss) → push → look up again → if found now, take the list and apply it
 *   send:    record sentId → take the list and apply it
 * Whichever side comes second sees the other's write; taking the list is atomic (MULTI LRANGE+DEL),
 * and applying twice would be harmless anyway.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Types } from 'mongoose';
import type { ReceiptOutcome } from '../channels/contract.js';
import type { MessageDoc } from './models/message.js';
import { DELIVERY_STATUSES, STATUS_FROM, type Channel, type DeliveryStatus, type Models } from './models/index.js';
import { badRequest } from '../lib/errors.js';

interface PendingReceipt {
  status: DeliveryStatus;
  detail?: string;
  at: string;
}


export class Receipts {
  constructor(
    private readonly m: Models,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
    /** A status changed: consoles replace the message (same id, newer updatedAt). */
    private readonly changed: (message: MessageDoc) => void,
  ) {}

  /** Set by hub/campaigns: applies a receipt to a campaign send; false when the id is not one. */
  campaignReceipt?: (channel: Channel, sentId: string, status: DeliveryStatus, detail?: string) => Promise<boolean>;

  /** Take (and remove) the receipts kept for a channel id, oldest first (a campaign send recorded its id). */
  async takePending(channel: Channel, sentId: string): Promise<{ status: DeliveryStatus; detail?: string }[]> {
    const res = await this.redis.multi().lrange(this.key(channel, sentId), 0, -1).del(this.key(channel, sentId)).exec();
    return ((res?.[0]?.[1] as string[] | undefined) ?? []).flatMap((raw) => {
      try {
        return [JSON.parse(raw) as PendingReceipt];
      } catch {
        return [];
      }
    });
  }

  private key(channel: Channel, sentId: string): string {
    return `${this.prefix}:receipts:${channel}:${sentId}`;
  }

  /**
   * Move one message forward to `status`. Answers the stored message when it moved, null when it was
   * not found or the move is not forward (a duplicate, a late receipt, after `failed`).
   */
  async transition(filter: { _id: Types.ObjectId; channel?: Channel } | { channel: Channel; sentId: string }, status: DeliveryStatus, detail?: string, at?: Date): Promise<MessageDoc | null> {
    const from = STATUS_FROM[status];
    if (!from?.length) throw badRequest(`${status} is not a status an outbound message can move to`, 'bad_status');
    const now = new Date();
    const set: Record<string, unknown> = { status, statusAt: at ?? now, updatedAt: now };
    if (detail !== undefined) set.statusDetail = String(detail).slice(0, 1000);
    if (status === 'failed') set.error = set.statusDetail ?? 'failed';
    const match = { ...filter, direction: 'out', status: { $in: [...from] } };
    // Looked up first: a receipt for no message (a campaign send's, a duplicate) then costs a read, not a
    // write behind the store's serialised writes (a campaign's receipts arrive by the thousand).
    if (!(await this.m.Message.exists(match))) return null;
    const upd = (await this.m.Message.findOneAndUpdate(match, { $set: set }, { new: true }).lean()) as MessageDoc | null;
    if (upd) this.changed(upd);
    return upd;
  }

  /** A receipt by our message id (a connector that knows it, e.g. web chat read reports), on that connector's channel. */
  async byMessageId(channel: Channel, messageId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<ReceiptOutcome> {
    if (typeof messageId !== 'string' || !/^[0-9a-f]{24}$/.test(messageId)) throw badRequest('message id is not valid');
    check(status);
    return (await this.transition({ _id: new Types.ObjectId(messageId), channel }, status, detail, at)) ? 'applied' : 'ignored';
  }

  /** A receipt by the channel's own id for the message (what SMS receipts and e-mail bounces carry). */
  async byExternalId(channel: Channel, sentId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<ReceiptOutcome> {
    if (typeof sentId !== 'string' || !sentId || sentId.length > 512) throw badRequest('external id must be 1-512 characters');
    check(status);
    if (await this.transition({ channel, sentId }, status, detail, at)) return 'applied';
    // Known now: either the move is not forward, or the send recorded its id since the try above.
    if (await this.known(channel, sentId)) return (await this.transition({ channel, sentId }, status, detail, at)) ? 'applied' : 'ignored';
    // A campaign's message (hub/campaigns/runner.ts: campaign sends are recipients, not messages).
    if (this.campaignReceipt && (await this.campaignReceipt(channel, sentId, status, detail))) return 'applied';
    // Not sent yet as far as the store knows: keep it for the send's result.
    const key = this.key(channel, sentId);
    const entry: PendingReceipt = { status, detail, at: (at ?? new Date()).toISOString() };
    await this.redis.multi().rpush(key, JSON.stringify(entry)).expire(key, this.ttlSeconds).exec();
    if (await this.known(channel, sentId)) {
      await this.applyPending(channel, sentId);
      return 'applied';
    }
    // The same look-again for a campaign send whose id was recorded meanwhile.
    if (this.campaignReceipt && (await this.campaignReceipt(channel, sentId, status, detail))) {
      for (const r of await this.takePending(channel, sentId)) await this.campaignReceipt(channel, sentId, r.status, r.detail);
      return 'applied';
    }
    return 'pending';
  }

  /**
   * The send's result landed (sentId recorded on the message): apply the receipts that came first, in
   * the order they came. Called by the outbound worker.
   */
  async applyPending(channel: Channel, sentId: string): Promise<void> {
    const key = this.key(channel, sentId);
    const res = await this.redis.multi().lrange(key, 0, -1).del(key).exec();
    const list = (res?.[0]?.[1] as string[] | undefined) ?? [];
    for (const raw of list) {
      try {
        const r = JSON.parse(raw) as PendingReceipt;
        await this.transition({ channel, sentId }, r.status, r.detail, new Date(r.at));
      } catch (e) {
        this.log.warn({ err: e, channel }, 'a receipt kept for a send could not be applied');
      }
    }
  }

  private async known(channel: Channel, sentId: string): Promise<boolean> {
    return !!(await this.m.Message.exists({ channel, sentId }));
  }
}

function check(status: DeliveryStatus): void {
  if (!(DELIVERY_STATUSES as readonly string[]).includes(status) || !STATUS_FROM[status].length) throw badRequest(`${String(status)} is not a delivery status a receipt can report`, 'bad_status');
}
