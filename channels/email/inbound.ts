/**
 * One fetched mail → the hub: parse, then either a receipt for one of our messages (bounce, read
 * receipt, auto-reply: the original's status moves, no case is opened) or a customer message in its
 * thread. Resolves only when the hub has stored it (the reader checkpoints after that). Never throws
 * for a bad mail — a mail that cannot be read is stored as well as it can be; it throws only when
 * the hub cannot store (the reader then retries from its checkpoint).
 */
import type { Readable } from 'node:stream';
import type { AttachmentRef, ConnectorContext, DeliveryStatus, InboundMessage } from '../contract.js';
import { classify } from './classify.js';
import type { EmailConfig, Mailbox } from './config.js';
import { parseMail, type PartSink } from './parse.js';
import type { FetchedMail } from './reader.js';
import { recordThread, resolveThread } from './threading.js';
import type { ThreadStore } from './thread-store.js';

/** Our outbound Message-IDs are `<message id>.cchub@<domain>` (sender.ts): a receipt names our message. */
export function ourMessageId(messageId: string | undefined): string | undefined {
  return messageId ? /^([0-9a-f]{24})\.cchub@/i.exec(messageId)?.[1]?.toLowerCase() : undefined;
}

/** What the hub may offer beyond the v1 contract (context v2, issue 15): used when present. */
type ContextV2 = ConnectorContext & {
  storeFile?(stream: Readable, meta: { name: string; contentType: string; maxBytes?: number; metadata?: Record<string, string | undefined> }): Promise<AttachmentRef>;
  statusByExternalId?(externalId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<unknown>;
};

export class EmailInbound {
  constructor(
    private readonly ctx: ContextV2,
    private readonly config: EmailConfig,
    private readonly threads: ThreadStore,
  ) {}

  async handle(box: Mailbox, mail: FetchedMail): Promise<void> {
    const ctx = this.ctx;
    let customerId: string | undefined;
    let fromAddress = 'unknown-sender@invalid';
    // Files are stored as they stream (v2), or read into memory within the limit and put (v1).
    const sink: PartSink = async (stream, meta) => {
      if (ctx.storeFile) return (await ctx.storeFile(stream, { name: meta.name, contentType: meta.contentType, maxBytes: meta.maxBytes, metadata: { mailbox: box.name } })) as AttachmentRef & { id: string };
      const chunks: Buffer[] = [];
      for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
      customerId ??= await ctx.customers.resolve({ channel: 'email', address: fromAddress });
      return ctx.files.put(Buffer.concat(chunks), { name: meta.name, contentType: meta.contentType, customerId, channelData: { mailbox: box.name } });
    };
    // The sender is needed before the first part is stored: From comes first in every mail we accept,
    // but the parser reports headers with the first part, so take it from the raw head here.
    const head = mail.source.subarray(0, 64 * 1024).toString('latin1');
    const fromRaw = /^From:[^\r\n]*?([^\s<>"]+@[^\s<>"]+)/im.exec(head)?.[1];
    if (fromRaw) fromAddress = fromRaw.toLowerCase();

    const parsed = await parseMail(mail.source, { sink, maxAttachmentBytes: this.config.maxAttachmentBytes });
    const cls = classify(parsed);
    if (cls.kind !== 'message') {
      if (cls.originalMessageId && cls.status) await this.receipt(cls.originalMessageId, cls.status, cls.detail, parsed.date);
      else ctx.log.info({ mailbox: box.name, kind: cls.kind }, 'email: report for no message of ours, set aside');
      return;
    }
    const thread = await resolveThread(parsed, box, this.threads);
    const notes: string[] = [];
    if (mail.truncated) notes.push(`[邮件过大，仅保留邮件头 / mail over ${this.config.maxMessageBytes} bytes: headers kept only]`);
    for (const r of parsed.rejected) notes.push(`[附件未接收 / attachment refused: ${r.name} — ${r.reason}]`);
    const externalId = parsed.messageId ?? `sha256:${parsed.sha256}`;
    const address = parsed.from?.address ?? fromAddress;
    const msg: InboundMessage & { threadKey?: string } = {
      channel: 'email',
      externalId,
      customer: { identity: { channel: 'email', address }, ...(parsed.from?.name ? { name: parsed.from.name } : {}) },
      from: address,
      to: box.address,
      subject: parsed.subject,
      text: [parsed.text, ...notes].filter(Boolean).join('\n\n').slice(0, 100_000),
      ...(parsed.html ? { html: parsed.html } : {}),
      attachments: parsed.attachments.slice(0, 20).map((a) => ({ id: a.ref.id, name: a.name, contentType: a.contentType, size: a.size })),
      queue: box.queue,
      // Kept on the conversation (at its start): where replies go and what they are about.
      channelData: { mailbox: box.name, threadKey: thread.threadKey, address, subject: parsed.subject, ...(thread.forward ? { forward: true } : {}) },
      ...(parsed.date ? { receivedAt: parsed.date } : {}),
      threadKey: thread.threadKey,
    };
    const res = await ctx.ingest(msg);
    if (msg.attachments?.length && !ctx.storeFile) await ctx.files.bindToConversation(msg.attachments.map((a) => a.id), res.conversation.id);
    await recordThread(parsed, box, thread.threadKey, this.threads, this.config.subjectWindowDays * 86400);
    await this.threads.setLast(thread.threadKey, parsed.messageId ?? externalId, parsed.references);
  }

  private async receipt(originalMessageId: string, status: DeliveryStatus, detail: string, at?: Date): Promise<void> {
    if (this.ctx.statusByExternalId) {
      await this.ctx.statusByExternalId(originalMessageId, status, detail, at);
      return;
    }
    const ours = ourMessageId(originalMessageId);
    if (ours) await this.ctx.reportStatus(ours, status, detail);
  }
}
