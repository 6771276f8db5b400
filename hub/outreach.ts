/**
 * Conversations an agent starts (call a customer back by SMS, write them an e-mail), and the path
 * campaigns will take: the address is checked and normalised for its channel, the customer found or
 * created by it (hub/identities.ts), the conversation the customer's next message would join is
 * reused or opened and claimed by the agent, and the message is stored, then sent by the outbound
 * queue like any reply. Idempotent on the client id: a retried request never sends twice.
 */
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Types } from 'mongoose';
import type { Hub } from './hub.js';
import type { SessionUser } from './api/auth-routes.js';
import { AppError, notFound, rateLimited } from '../lib/errors.js';
import { identityKey, type NormalisedAddress } from './identities.js';
import type { ConversationDoc } from './models/conversation.js';
import type { MessageDoc } from './models/message.js';
import type { Channel } from './models/types.js';

export interface StartInput {
  channel: Channel;
  /** Phone number (sms, voice, fax), e-mail address (email) or a known visitor id (webchat). */
  to: string;
  text: string;
  subject?: string;
  /** Ids of stored files (hub/files.ts) this agent stored, or of the reused conversation's own files. */
  attachments?: string[];
  clientId: string;
  queue?: string;
}

export interface StartResult {
  conversation: ConversationDoc;
  message: MessageDoc;
  duplicate: boolean;
}

export class Outreach {
  private limiter: RateLimiterRedis;

  constructor(private readonly hub: Hub) {
    this.limiter = new RateLimiterRedis({ storeClient: hub.redis, keyPrefix: `${hub.config.redisPrefix}:rl:outreach`, points: hub.config.outreach.startsPerMinute, duration: 60 });
  }

  async start(u: SessionUser, input: StartInput): Promise<StartResult> {
    const hub = this.hub;
    if (!hub.connectors.get(input.channel)) throw new AppError(422, 'channel_unavailable', `no ${input.channel} connector is enabled on this hub`);
    // A retry of a request that was stored: answer with what it stored (queued again if it never was).
    const externalId = `out:${u.id}:${input.clientId}`;
    const earlier = (await hub.m.Message.findOne({ channel: input.channel, externalId }).lean()) as MessageDoc | null;
    if (earlier) {
      if (earlier.status === 'queued') await hub.outbound.enqueue(earlier);
      const conversation = (await hub.m.Conversation.findById(earlier.conversationId).lean()) as ConversationDoc;
      return { conversation, message: earlier, duplicate: true };
    }
    // Checked before anything is written or counted: a mistyped number costs the agent nothing.
    const norm = input.channel === 'webchat' ? null : hub.ingest.ids.parseRecipient(input.channel, input.to);
    const visitor = input.channel === 'webchat' ? await this.visitor(input.to) : null;
    try {
      await this.limiter.consume(u.id);
    } catch (e) {
      if (e instanceof Error) throw e;
      throw rateLimited(`at most ${hub.config.outreach.startsPerMinute} new conversations a minute`);
    }
    const { customerId, address, channelData } = visitor ?? (await this.recipient(input.channel, norm!));
    let conversation = await hub.ingest.conversationFor(customerId, { channel: input.channel, subject: input.subject, queue: input.queue, channelData });
    let claim = true;
    if (!conversation.assigneeId) {
      // Its agent takes it (routing's claim keeps capacity counts true). An agent with no room left
      // still sends: the conversation waits in its queue for them first, then for anyone.
      try {
        conversation = await hub.conversations.claim(conversation._id, u);
      } catch (e) {
        if (!(e instanceof AppError) || e.code !== 'over_capacity') throw e;
        claim = false;
        await hub.acd.send({ type: 'arrive', task: hub.acdBridge.taskFor(conversation, u.id) });
      }
    }
    const { message, duplicate } = await hub.conversations.reply(conversation, u, { text: input.text, subject: input.subject, attachmentIds: input.attachments, to: address }, input.clientId, { claim });
    return { conversation: ((await hub.m.Conversation.findById(conversation._id).lean()) as ConversationDoc) ?? conversation, message, duplicate };
  }

  /** A web chat goes only to a visitor who came to us: one cannot be opened to someone who never chatted. */
  private async visitor(to: string): Promise<{ customerId: Types.ObjectId; address: string; channelData: Record<string, unknown> }> {
    const visitorId = to.trim().toLowerCase();
    const customerId = await this.hub.ingest.ids.find('webchat', visitorId);
    if (!customerId) throw notFound('web chat visitor');
    return { customerId, address: visitorId, channelData: { visitorId } };
  }

  /** The customer at a phone number or e-mail address (created when new). The agent vouches for the address (verified), so it joins the customer who holds it. */
  private async recipient(channel: Channel, norm: NormalisedAddress): Promise<{ customerId: Types.ObjectId; address: string; channelData: Record<string, unknown> }> {
    const customerId = await this.hub.ingest.ids.resolve({ channel, address: norm.address });
    return { customerId, address: norm.address, channelData: { address: norm.address, identity: identityKey(norm) } };
  }
}
