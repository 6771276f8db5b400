/**
 * After a conversation ends, its customer may rate it (CSAT: a score 1-5 and a comment) and ask for
 * its transcript by e-mail. Both come from a connector on the customer's behalf (the web chat widget:
 * ConnectorConversations.rate / emailTranscript), for a conversation of theirs on that channel only.
 * A rating is stored on the conversation once (a resend of the same rating after a lost ack is
 * harmless; a different one is refused) and reaches agents and supervisors like any conversation
 * change. The transcript goes out through the e-mail connector's send(), never with internal notes.
 */
import { Types } from 'mongoose';
import type { Channel, MessageView } from '../channels/contract.js';
import { AppError, badRequest, conflict, notFound } from '../lib/errors.js';
import type { Hub } from './hub.js';
import type { ConversationDoc } from './models/conversation.js';
import { isLive } from './models/types.js';
import { messageView } from './views.js';

export const CSAT_COMMENT_MAX = 1000;

export interface Rating {
  score: number;
  comment?: string;
}

/** The customer's conversation on this channel (their own id or, once merged, the survivor's), else 404. */
async function customersConversation(hub: Hub, channel: Channel, customerId: string, conversationId: string): Promise<ConversationDoc> {
  if (!Types.ObjectId.isValid(conversationId) || !/^[0-9a-f]{24}$/.test(conversationId)) throw badRequest('conversationId is not valid');
  const c = (await hub.m.Conversation.findById(conversationId).lean()) as ConversationDoc | null;
  const current = String(hub.ingest.ids.current(new Types.ObjectId(customerId)));
  const owner = c ? String(c.customerId) : '';
  if (!c || c.channel !== channel || (owner !== customerId && owner !== current)) throw notFound('conversation');
  return c;
}

export async function rateConversation(hub: Hub, channel: Channel, customerId: string, conversationId: string, rating: Rating): Promise<void> {
  if (!Number.isInteger(rating.score) || rating.score < 1 || rating.score > 5) throw badRequest('score: a whole number from 1 to 5');
  const comment = rating.comment?.trim().slice(0, CSAT_COMMENT_MAX) || undefined;
  const c = await customersConversation(hub, channel, customerId, conversationId);
  if (isLive(c.status)) throw conflict('not_ended', 'the conversation has not ended yet: rate it once it is closed');
  const same = (r: { score?: number | null; comment?: string | null } | null | undefined) => r?.score === rating.score && (r?.comment ?? undefined) === comment;
  const prior = c.csat;
  if (prior?.score) {
    if (same(prior)) return;
    throw conflict('already_rated', 'this conversation has been rated already');
  }
  const at = new Date();
  // Only over "not rated yet": of two tabs rating at once one wins (the store serialises writes).
  const upd = (await hub.m.Conversation.findOneAndUpdate({ _id: c._id, 'csat.score': { $exists: false } }, { $set: { csat: { score: rating.score, ...(comment ? { comment } : {}), at }, updatedAt: at } }, { new: true }).lean()) as ConversationDoc | null;
  if (!upd) {
    const now = (await hub.m.Conversation.findById(c._id, { csat: 1 }).lean()) as { csat?: { score?: number; comment?: string } } | null;
    if (same(now?.csat)) return;
    throw conflict('already_rated', 'this conversation has been rated already');
  }
  await hub.audit.record({ type: 'visitor', id: customerId }, 'conversation.rate', { type: 'conversation', id: String(c._id) }, { score: rating.score, comment: !!comment });
  await hub.inbox.upsert(upd);
  hub.events.conversationUpdated(upd);
}

const TRANSCRIPT_MAX = 500;
const words = {
  en: { subject: 'Your chat transcript', intro: 'Here is the transcript of your chat with us.', you: 'You', agent: 'Agent', file: 'file' },
  zh: { subject: '您的在线咨询记录', intro: '以下是您与我们在线咨询的记录。', you: '我', agent: '客服', file: '文件' },
};

/** The transcript as plain text (times in UTC, attachments named, never internal notes). */
export function transcriptText(msgs: MessageView[], locale: 'en' | 'zh'): string {
  const w = words[locale];
  const lines = msgs.map((m) => {
    const who = m.direction === 'in' ? w.you : m.author.name || w.agent;
    const files = m.attachments.map((a) => `[${w.file}: ${a.name}]`).join(' ');
    return `[${m.createdAt.slice(0, 16).replace('T', ' ')} UTC] ${who}: ${[m.text, files].filter(Boolean).join(' ')}`;
  });
  return `${w.intro}\n\n${lines.join('\n')}\n`;
}

export async function emailTranscript(hub: Hub, channel: Channel, customerId: string, conversationId: string, to: string, locale: 'en' | 'zh'): Promise<void> {
  const address = to.trim().toLowerCase();
  if (!/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/.test(address) || address.length > 254) throw badRequest('to: not an e-mail address');
  const c = await customersConversation(hub, channel, customerId, conversationId);
  const email = hub.connectors.get('email');
  if (!email) throw new AppError(422, 'channel_unavailable', 'sending the transcript by e-mail is not available here');
  const rows = await hub.m.Message.find({ conversationId: c._id }).sort({ createdAt: 1 }).limit(TRANSCRIPT_MAX).lean();
  const msgs = rows.filter((m) => !(m as { internal?: boolean }).internal).map((m) => messageView(m as never));
  const now = new Date().toISOString();
  const message: MessageView = {
    id: String(new Types.ObjectId()),
    conversationId: String(c._id),
    direction: 'out',
    channel: 'email',
    author: { type: 'system' },
    text: transcriptText(msgs, locale),
    subject: words[locale].subject,
    to: address,
    attachments: [],
    status: 'queued',
    createdAt: now,
    updatedAt: now,
  };
  try {
    await email.send({ message, attachments: [], channelData: {}, to: address, attempt: 1 });
  } catch (e) {
    hub.log.warn({ err: e, conversationId }, 'transcript e-mail not sent');
    throw new AppError(502, 'send_failed', 'the transcript could not be sent; try again later');
  }
  await hub.audit.record({ type: 'visitor', id: customerId }, 'conversation.transcript', { type: 'conversation', id: String(c._id) }, { messages: msgs.length });
}
