/** Database documents → the API shapes of docs/API.md. The only place that decides what a client sees. */
import type { ConversationDoc } from './models/conversation.js';
import type { CustomerDoc } from './models/customer.js';
import type { MessageDoc } from './models/message.js';
import { maskSensitive } from './mask.js';
import type { ConversationTarget, MessageView } from '../channels/contract.js';

export type { MessageView };

const iso = (d: unknown): string => (d ? new Date(d as string).toISOString() : new Date(0).toISOString());

export function messageView(m: MessageDoc): MessageView {
  return {
    id: String(m._id),
    conversationId: String(m.conversationId),
    direction: m.direction,
    channel: m.channel,
    author: { type: m.author?.type ?? 'customer', id: m.author?.id ?? undefined, name: m.author?.name ?? undefined },
    text: m.text ?? '',
    html: m.html ?? undefined,
    subject: m.subject ?? undefined,
    ...(m.from ? { from: m.from } : {}),
    ...(m.to ? { to: m.to } : {}),
    ...(m.cc ? { cc: m.cc } : {}),
    ...(m.bcc ? { bcc: m.bcc } : {}),
    attachments: (m.attachments ?? []).map((a) => ({ id: a.id, name: a.name, contentType: a.contentType, size: a.size })),
    clientId: m.clientId ?? undefined,
    internal: (m as { internal?: boolean }).internal === true ? true : undefined,
    status: m.status,
    statusDetail: m.statusDetail ?? undefined,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

export function conversationView(c: ConversationDoc) {
  return {
    id: String(c._id),
    channel: c.channel,
    status: c.status,
    queue: c.queue,
    priority: c.priority,
    assignee: c.assigneeId ? { id: c.assigneeId, name: c.assigneeName ?? '' } : null,
    customer: { id: String(c.customerId), name: c.customerName ?? '', tier: c.customerTier ?? 'standard' },
    subject: c.subject ?? undefined,
    lastMessageAt: iso(c.lastMessageAt),
    lastMessagePreview: maskSensitive(c.lastMessagePreview ?? ''),
    unreadCount: c.unreadCount ?? 0,
    tags: c.tags ?? [],
    snoozedUntil: c.snoozedUntil ? iso(c.snoozedUntil) : undefined,
    disposition: c.disposition?.code ? { code: c.disposition.code, note: c.disposition.note ?? undefined } : undefined,
    csat: c.csat?.score ? { score: c.csat.score, comment: c.csat.comment ?? undefined, at: iso(c.csat.at) } : undefined,
    threadKey: c.threadKey ?? undefined,
    previousConversationId: c.previousConversationId ? String(c.previousConversationId) : undefined,
    reopenedAt: c.reopenedAt ? iso(c.reopenedAt) : undefined,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}
export type ConversationView = ReturnType<typeof conversationView>;

/** What a connector's hooks get about a conversation (channels/contract.ts ConversationTarget). */
export const conversationTarget = (c: Pick<ConversationDoc, '_id' | 'channel' | 'customerId' | 'channelData'>): ConversationTarget => ({
  id: String(c._id),
  channel: c.channel,
  customerId: String(c.customerId),
  channelData: (c.channelData as Record<string, unknown> | undefined) ?? {},
});

/** The id of a conversation given as a document or as its view. */
export const conversationIdOf = (c: ConversationDoc | { id: string }): string => ('id' in c ? c.id : String(c._id));

export function customerView(c: CustomerDoc) {
  return {
    id: String(c._id),
    name: c.name ?? '',
    tier: c.tier ?? 'standard',
    segment: c.segment ?? undefined,
    language: c.language ?? undefined,
    identities: (c.identities ?? []).map((i) => ({ channel: i.channel, address: maskSensitive(i.address ?? '') })),
    tags: c.tags ?? [],
    // What a web chat visitor typed into the pre-chat form: shown to the agent, marked unverified.
    unverifiedContact: unverifiedContact(c),
  };
}

function unverifiedContact(c: CustomerDoc): { email?: string; phone?: string } | undefined {
  const u = (c as { consents?: { unverifiedContact?: { email?: unknown; phone?: unknown } } }).consents?.unverifiedContact;
  const email = typeof u?.email === 'string' && u.email ? u.email : undefined;
  const phone = typeof u?.phone === 'string' && u.phone ? u.phone : undefined; // a phone number, not a card: the console masks what looks like one
  return email || phone ? { email, phone } : undefined;
}
