/**
 * The hub's side of channels/contract.ts ConnectorContext: what one connector may ask of the hub,
 * implemented over the hub's stores. Connectors never see the hub itself, its models or its tokens.
 */
import { Readable } from 'node:stream';
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import { isLive, type ConnectorContext, type ConversationInfo, type Channel, type LifecycleEvent, type AttachmentRef } from '../channels/contract.js';
import { badRequest, rateLimited } from '../lib/errors.js';
import { WindowLimiter } from '../lib/rate-limit.js';
import { isOpen } from './acd/hours.js';
import { positionRefreshKey } from './acd/bridge.js';
import type { Hub } from './hub.js';
import type { ConversationDoc } from './models/conversation.js';
import { messageView, type ConversationView } from './views.js';
import { changeTags } from './conversation-tags.js';
import type { SessionUser } from './api/auth-routes.js';

/** Who resolves what a connector abandons (a caller who hung up in the queue): no person. */
const SYSTEM: SessionUser = { id: '', username: 'system', name: 'system', role: 'admin', queues: [], locale: 'en' };
import { emailTranscript, rateConversation } from './csat.js';

const iso = (d: unknown) => new Date((d as string) ?? 0).toISOString();

export const conversationInfo = (c: ConversationDoc): ConversationInfo => ({
  id: String(c._id),
  channel: c.channel,
  status: c.status,
  queue: c.queue,
  assigneeId: c.assigneeId ?? null,
  updatedAt: iso(c.updatedAt),
});

const infoOfView = (v: ConversationView): ConversationInfo => ({
  id: v.id,
  channel: v.channel,
  status: v.status,
  queue: v.queue,
  assigneeId: v.assignee?.id ?? null,
  updatedAt: v.updatedAt,
});


export function connectorContext(hub: Hub, kind: Channel, log: Logger, lifecycle: (e: LifecycleEvent) => void): ConnectorContext {
  const attachments = () => hub.conn.db!.collection('attachments.files');
  return {
    kind,
    log,
    lifecycle,

    ingest: async (msg, opts) => {
      const r = await hub.ingest.ingest(msg, opts);
      // Opt-out keywords and campaign replies, before the connector acknowledges its channel (a
      // redelivery after a crash runs it again; it is idempotent).
      await hub.campaigns.inbound(r);
      return { message: messageView(r.message), conversation: conversationInfo(r.conversation), duplicate: r.duplicate };
    },
    // Receipts move statuses forward only (hub/receipts.ts), on this connector's channel only.
    statusByExternalId: (externalId, status, detail, at) => hub.receipts.byExternalId(kind, externalId, status, detail, at),
    reportStatus: (messageId, status, detail, at) => hub.receipts.byMessageId(kind, messageId, status, detail, at),
    // Limits enforced while streaming (hub/files.ts); the file remembers which channel stored it.
    storeFile: async (stream, meta) => {
      const ref = await hub.files.store(stream, { ...meta, metadata: { ...meta.metadata, channel: kind } });
      // A customer's upload counts against their bytes for the day; the one that would pass it is taken back.
      const customerId = meta.metadata?.customerId;
      if (customerId) {
        const key = `${hub.config.redisPrefix}:upload:bytes:${customerId}:${new Date().toISOString().slice(0, 10)}`;
        const used = await hub.redis.incrby(key, ref.size);
        await hub.redis.expire(key, 2 * 86400);
        if (used > hub.config.uploads.bytesPerCustomerPerDay) {
          await hub.redis.decrby(key, ref.size);
          await hub.files.delete(ref.id);
          throw rateLimited('this chat has uploaded as much as it may today');
        }
      }
      return ref;
    },

    customers: {
      resolve: async (identity, profile = {}) => String(await hub.ingest.resolveCustomer({ customer: { identity, name: profile.name, language: profile.language } })),
      setUnverifiedContact: async (customerId, name, contact) => {
        await hub.m.Customer.updateOne({ _id: customerId }, { $set: { name, 'consents.unverifiedContact': { email: contact.email || undefined, phone: contact.phone || undefined } } });
      },
      // A renewal keeps the session's start: Tokens caps every token at start + visitorSessionMaxAge.
      issueSession: (s) => hub.tokens.sign({ kind: 'visitor', sub: s.sub, cid: s.cid, name: s.name, sst: s.sst ?? Math.floor(Date.now() / 1000) }),
      verifySession: async (token) => {
        const v = await hub.tokens.verify(token, 'visitor');
        return { sub: v.sub, cid: v.cid, name: v.name, sst: v.sst };
      },
    },

    conversations: {
      live: async (customerId) => {
        // A session issued before its customer was merged names the merged one: follow it (hub/customer-merge.ts).
        const current = hub.ingest.ids.current(new Types.ObjectId(customerId));
        const c = (await hub.m.Conversation.findOne({ openKey: `${kind}:${String(current)}` }).lean()) as ConversationDoc | null;
        return c ? conversationInfo(c) : null;
      },
      summary: async (id) => {
        const v = await hub.inbox.summary(id);
        return v ? infoOfView(v) : null;
      },
      history: async (customerId, limit) => {
        // This channel's messages only, under the customer id and, once merged, the survivor's (messages
        // keep the id they were stored under): a web visitor merged with a bank customer never sees the
        // customer's e-mails or SMS in the widget.
        const id = new Types.ObjectId(customerId);
        const current = hub.ingest.ids.current(id);
        const ids = String(current) === customerId ? id : { $in: [id, current] };
        const msgs = await hub.m.Message.find({ customerId: ids, channel: kind }).sort({ createdAt: -1 }).limit(limit).lean();
        // Internal notes are for the bank's staff only (hub/notes.ts): no connector ever sees them here.
        return msgs.reverse().filter((m) => !(m as { internal?: boolean }).internal).map((m) => messageView(m as never));
      },
      customerTyping: (c, typing) => hub.agents.typing(c, typing),
      customerRead: async (c, upTo) => {
        await hub.m.Message.updateMany(
          { conversationId: new Types.ObjectId(c.id), direction: 'out', status: { $in: ['queued', 'sent', 'delivered'] }, _id: { $lte: new Types.ObjectId(upTo) } },
          { $set: { status: 'read' } },
        );
        hub.agents.messageRead(c, upTo);
      },
      abandon: async (conversationId, code, note) => {
        if (!Types.ObjectId.isValid(conversationId)) return false;
        const c = (await hub.m.Conversation.findById(conversationId).lean()) as ConversationDoc | null;
        if (!c || c.channel !== kind || !isLive(c.status)) return false;
        try {
          const tagged = await changeTags(hub, c, [code], []);
          // resolve() releases the routing task and tells consoles and this connector's hook.
          await hub.conversations.resolve(tagged, SYSTEM, code, note);
          return true;
        } catch (e) {
          if ((e as { code?: string }).code === 'already_resolved') return false;
          throw e;
        }
      },
      rate: (customerId, conversationId, rating) => rateConversation(hub, kind, customerId, conversationId, rating),
      emailTranscript: (customerId, conversationId, to, locale) => emailTranscript(hub, kind, customerId, conversationId, to, locale),
    },

    files: {
      put: (content, meta) => {
        const extra = Object.fromEntries(Object.entries(meta.channelData ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        return hub.files.store(Readable.from([content]), { name: meta.name, contentType: meta.contentType, metadata: { ...extra, customerId: meta.customerId, channel: kind } });
      },
      owned: async (customerId, ids): Promise<AttachmentRef[]> => {
        const files = await attachments()
          .find({ _id: { $in: ids.map((i) => new Types.ObjectId(i)) } })
          .toArray();
        // An upload older than half its TTL and still unattached may be in the sweep's hands: not attachable.
        const fresh = Date.now() - (hub.config.uploads.unattachedTtl * 1000) / 2;
        const usable = (f: (typeof files)[number]) => f.metadata?.customerId === customerId && (f.metadata?.conversationId || new Date(f.uploadDate).getTime() > fresh);
        if (files.length !== ids.length || !files.every(usable)) throw badRequest('unknown attachment', 'unknown_attachment');
        return files.map((f) => ({ id: String(f._id), name: String(f.filename), contentType: String(f.metadata?.contentType), size: Number(f.length) }));
      },
      bindToConversation: async (ids, conversationId) => {
        await attachments().updateMany({ _id: { $in: ids.map((i) => new Types.ObjectId(i)) } }, { $set: { 'metadata.conversationId': conversationId } });
      },
      link: (id) => {
        const { exp, sig } = hub.tokens.attachmentLink(id);
        return `/api/attachments/${id}?exp=${exp}&sig=${sig}`;
      },
    },

    routing: {
      availability: async (queue) => {
        const [agentsOnline, queues] = await Promise.all([hub.presence.onlineCount(), hub.acdBridge.queuesCached()]);
        return { agentsOnline, open: isOpen(queues.find((q) => q.id === queue)?.hours, Date.now()) };
      },
      refreshQueuePosition: async (customerId) => {
        await hub.redis.sadd(positionRefreshKey(hub.config.redisPrefix), customerId);
      },
    },

    ivr: {
      run: (call, media) => hub.ivr.run(call, media),
      prompt: (text, lang) => hub.ivr.prompts.path({ text, lang }),
    },
    notifyAgent: (agentId, event, payload) => hub.agents.emit([`user:${agentId}`], event, payload),

    limiter: (name, points, perSeconds, refusal) => new WindowLimiter(hub.redis, `${hub.config.redisPrefix}:rl:${kind}:${name}`, points, perSeconds, refusal),

    redis: hub.redis,
    keyPrefix: `${hub.config.redisPrefix}:${kind}`,

    http: hub.app,
    realtime: hub.io.of(`/${kind}`),
    // Another channel this connector carries (ConnectorDefinition.alsoServes): ingest, receipts and
    // files on that channel; its lifecycle is reported as this connector's.
    serving: (channel) => connectorContext(hub, channel, log.child({ channel }), lifecycle),
  };
}
