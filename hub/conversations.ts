/**
 * What agents do to a conversation. Each change is one conditional write (the store serialises writes,
 * so the condition and the update are atomic), then events to every console and to the customer.
 */
import { Types } from 'mongoose';
import type { Hub } from './hub.js';
import type { SessionUser } from './api/auth-routes.js';
import { conflict, isDuplicateKey } from '../lib/errors.js';
import type { ConversationDoc } from './models/conversation.js';
import type { MessageDoc } from './models/message.js';
import { LIVE_STATUSES } from './models/types.js';
import { conversationTarget, conversationView } from './views.js';
import { outboundDoc, type OutboundContent } from './outbound-message.js';

export class Conversations {
  constructor(private readonly hub: Hub) {}

  /**
   * An agent takes a conversation from the queue. The routing leader decides (capacity, not already
   * taken) and writes the assignment; then the stored conversation is returned.
   */
  async claim(id: Types.ObjectId, u: SessionUser): Promise<ConversationDoc> {
    const c = (await this.hub.m.Conversation.findById(id).lean()) as ConversationDoc | null;
    if (!c) throw conflict('not_found', 'conversation not found');
    if (c.assigneeId === u.id) return c;
    if (!LIVE_STATUSES.includes(c.status as never)) throw conflict('already_resolved', 'conversation is already resolved');
    if (c.assigneeId) throw conflict('already_assigned', `conversation is assigned to ${c.assigneeName ?? 'another agent'}`);
    await this.hub.acdBridge.agentConnected(u.id);
    await this.hub.acd.request({ type: 'claim', task: this.hub.acdBridge.taskFor(c), agentId: u.id });
    const after = (await this.hub.m.Conversation.findById(id).lean()) as ConversationDoc;
    if (after.assigneeId !== u.id) throw conflict('already_assigned', `conversation is assigned to ${after.assigneeName ?? 'another agent'}`);
    return after;
  }

  async markRead(c: ConversationDoc, u: SessionUser): Promise<ConversationDoc> {
    // The live unread count is in the inbox view (MongoDB's copy lags): reset both.
    await this.hub.inbox.bump([{ id: String(c._id), resetUnread: true }]);
    const upd = (await this.hub.m.Conversation.findOneAndUpdate({ _id: c._id }, { $set: { unreadCount: 0, updatedAt: new Date() } }, { new: true }).lean()) as ConversationDoc;
    const lastIn = await this.hub.m.Message.findOne({ conversationId: c._id, direction: 'in' }, { _id: 1 }).sort({ createdAt: -1 }).lean();
    if (lastIn) {
      await this.hub.m.Message.updateMany({ conversationId: c._id, direction: 'in', status: 'received' }, { $set: { status: 'read' } });
      this.hub.connectors.hook(conversationTarget(upd), 'agentRead', String(lastIn._id));
    }
    this.hub.events.conversationUpdated(upd);
    void u;
    return upd;
  }

  /**
   * An agent's reply: stored first (idempotent on the client id), then sent by the outbound queue.
   * `opts.claim: false` for an agent-started message whose agent could not take the conversation
   * (hub/outreach.ts: it waits in its queue).
   */
  async reply(c: ConversationDoc, u: SessionUser, text: string | OutboundContent, clientId: string, opts: { claim?: boolean } = {}): Promise<{ message: MessageDoc; duplicate: boolean }> {
    if (!LIVE_STATUSES.includes(c.status as never)) throw conflict('conversation_closed', 'conversation is resolved; the customer must write again');
    if (c.assigneeId && c.assigneeId !== u.id && u.role === 'agent') throw conflict('not_assignee', `conversation is assigned to ${c.assigneeName}`);
    const content = typeof text === 'string' ? { text } : text;
    // Checked (attachments, HTML) before the claim: a refused reply changes nothing.
    const doc = await outboundDoc(this.hub.files, c, { type: 'agent', id: u.id, name: u.name }, content, `out:${u.id}:${clientId}`, clientId);
    if (!c.assigneeId && opts.claim !== false) await this.claim(c._id, u);
    const now = doc.createdAt;
    try {
      await this.hub.m.Message.collection.insertOne(doc);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const existing = (await this.hub.m.Message.findOne({ channel: c.channel, externalId: doc.externalId }).lean()) as unknown as MessageDoc;
      // The first attempt may have died between storing and queueing: queue it (never twice: job id).
      if (existing.status === 'queued') await this.hub.outbound.enqueue(existing);
      return { message: existing, duplicate: true };
    }
    const message = doc as unknown as MessageDoc;
    const conv = (await this.hub.m.Conversation.findOneAndUpdate(
      { _id: c._id },
      { $set: { updatedAt: now }, $max: { lastMessageAt: now }, $min: { firstResponseAt: now } },
      { new: true },
    ).lean()) as ConversationDoc;
    // Counters in the inbox view (written back to MongoDB in the background): answered = read.
    const views = await this.hub.inbox.bump([{ id: String(c._id), resetUnread: true, messages: 1, at: now, preview: (content.text || content.subject || (doc.attachments[0] ? `[${doc.attachments[0].name}]` : '')).slice(0, 140) }]);
    this.hub.events.messageCreated(message, views.get(String(c._id)) ?? conversationView(conv));
    await this.hub.outbound.enqueue(message);
    return { message, duplicate: false };
  }

  async resolve(c: ConversationDoc, u: SessionUser, code: string, note?: string): Promise<ConversationDoc> {
    const now = new Date();
    const openKey = c.openKey;
    const resolved = (await this.hub.m.Conversation.findOneAndUpdate(
      { _id: c._id, status: { $in: LIVE_STATUSES } },
      { $set: { status: 'resolved', resolvedAt: now, openKey: `closed:${String(c._id)}`, disposition: { code, note, by: u.id, at: now }, updatedAt: now } },
      { new: true },
    ).lean()) as ConversationDoc | null;
    if (!resolved) throw conflict('already_resolved', 'conversation is already resolved');
    // Its summary says "resolved" before any hub forgets it: a message that was already on its way into
    // it sees that when it is counted, and moves to the customer's next conversation (Ingest.rehome).
    await this.hub.inbox.upsert(resolved).catch((e) => this.hub.log.warn({ err: e }, 'inbox view not updated on resolve'));
    // The next message from this customer opens a new conversation, in every hub process.
    this.hub.forgetOpenConversation(openKey);
    await this.hub.acd.send({ type: 'release', taskId: String(c._id) });
    if (u.id) await this.hub.m.Customer.updateOne({ _id: c.customerId }, { $set: { lastAgentId: u.id } });
    this.hub.events.conversationUpdated(resolved);
    return resolved;
  }
}
