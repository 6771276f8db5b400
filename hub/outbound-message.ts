/**
 * The document of one outbound message as it is stored before the outbound queue sends it: agent
 * replies today, agent-started conversations and campaigns next. HTML is sanitised here, on the way
 * in (never the raw HTML an author typed); attachments must be stored files this conversation may use.
 */
import { Types } from 'mongoose';
import sanitizeHtml from 'sanitize-html';
import { badRequest } from '../lib/errors.js';
import type { FileStore } from './files.js';
import type { ConversationDoc } from './models/conversation.js';
import type { AttachmentRef } from './models/types.js';

export interface OutboundContent {
  text: string;
  html?: string;
  subject?: string;
  /** Ids of stored files (hub/files.ts). */
  attachmentIds?: string[];
  /** The recipient's address on the channel, when not the customer's identity there. */
  to?: string;
  /** E-mail: copy and blind-copy recipients (stored comma-separated). */
  cc?: string[];
  bcc?: string[];
}

/**
 * Files an outbound message may carry: one of this conversation's (a customer's file sent back) or one
 * the author stored themselves (metadata.userId). Name, type and size come from the store.
 */
export async function outboundAttachments(files: FileStore, c: ConversationDoc, authorId: string, ids: string[]): Promise<AttachmentRef[]> {
  if (!ids.length) return [];
  const found = await files.find(ids);
  const refs = await files.validateRefs(ids.map((id) => ({ id })));
  for (const r of refs) {
    const meta = found.get(r.id)?.metadata ?? {};
    if (meta.conversationId !== String(c._id) && meta.userId !== authorId) throw badRequest(`unknown attachment ${r.id}`, 'unknown_attachment');
  }
  return refs;
}

export async function outboundDoc(
  files: FileStore,
  c: ConversationDoc,
  author: { type: 'agent' | 'system'; id: string; name: string },
  content: OutboundContent,
  externalId: string,
  clientId?: string,
) {
  const attachments = await outboundAttachments(files, c, author.id, content.attachmentIds ?? []);
  const html = content.html ? sanitizeHtml(content.html) : undefined;
  const now = new Date();
  return {
    _id: new Types.ObjectId(),
    conversationId: c._id,
    customerId: c.customerId,
    direction: 'out' as const,
    channel: c.channel,
    author,
    ...(content.to ? { to: content.to } : {}),
    ...(content.cc?.length ? { cc: content.cc.join(', ') } : {}),
    ...(content.bcc?.length ? { bcc: content.bcc.join(', ') } : {}),
    text: content.text,
    ...(html ? { html } : {}),
    ...(content.subject ? { subject: content.subject } : {}),
    attachments,
    externalId,
    clientId,
    status: 'queued' as const,
    sendAttempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}
