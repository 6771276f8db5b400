/**
 * One fetched mail → the hub: parse, then either a receipt for one of our messages (bounce, read
 * receipt, auto-reply: the original's status moves, no case is opened) or a customer message in its
 * thread. Resolves only when the hub has stored it (the reader checkpoints after that). Never throws
 * for a bad mail — a mail that cannot be read is stored as well as it can be; it throws only when
 * the hub cannot store (the reader then retries from its checkpoint).
 */
import type { ConnectorContext, DeliveryStatus, InboundMessage } from '../contract.js';
import { classify } from './classify.js';
import type { EmailConfig, Mailbox } from './config.js';
import { parseMail, type PartSink } from './parse.js';
import type { FetchedMail } from './reader.js';
import { recordThread, resolveThread } from './threading.js';
import type { ThreadStore } from './thread-store.js';
import { caseToken } from './threading.js';

/** Sends one automatic mail (the acknowledgement) from a mailbox. */
export type AckSender = (box: Mailbox, mail: { id: string; to: string; subject: string; text: string; inReplyTo?: string; references: string[]; caseNumber: string }) => Promise<void>;

export class EmailInbound {
  constructor(
    private readonly ctx: ConnectorContext,
    private readonly config: EmailConfig,
    private readonly threads: ThreadStore,
    private readonly sendAck?: AckSender,
  ) {}

  async handle(box: Mailbox, mail: FetchedMail): Promise<void> {
    const ctx = this.ctx;
    // Files stream into the hub's store as the parser reaches them; the store enforces its limits too.
    const sink: PartSink = (stream, meta) => ctx.storeFile(stream, { name: meta.name, contentType: meta.contentType, maxBytes: meta.maxBytes, metadata: { mailbox: box.name } });
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
    const address = parsed.from?.address ?? 'unknown-sender@invalid';
    const msg: InboundMessage = {
      channel: 'email',
      externalId,
      customer: { identity: { channel: 'email', address }, ...(parsed.from?.name ? { name: parsed.from.name } : {}) },
      from: (parsed.from?.name ? `${parsed.from.name} <${address}>` : address).slice(0, 320),
      to: (parsed.to.length ? parsed.to.map((a) => a.address).join(', ') : box.address).slice(0, 320),
      ...(parsed.cc.length ? { cc: parsed.cc.map((a) => a.address).join(', ').slice(0, 2000) } : {}),
      subject: parsed.subject,
      text: [parsed.text, ...notes].filter(Boolean).join('\n\n').slice(0, 100_000),
      ...(parsed.html ? { html: parsed.html } : {}),
      attachments: parsed.attachments.slice(0, 20).map((a) => ({ id: a.ref.id, name: a.name, contentType: a.contentType, size: a.size, ...(a.cid ? { cid: a.cid.slice(0, 500) } : {}) })),
      queue: box.queue,
      // Kept on the conversation (at its start): where replies go and what they are about.
      channelData: { mailbox: box.name, threadKey: thread.threadKey, address, subject: parsed.subject, ...(thread.forward ? { forward: true } : {}) },
      ...(parsed.date ? { receivedAt: parsed.date } : {}),
      threadKey: thread.threadKey,
    };
    const res = await ctx.ingest(msg);
    if (msg.attachments?.length) await ctx.files.bindToConversation(msg.attachments.map((a) => a.id), res.conversation.id);
    await recordThread(parsed, box, thread.threadKey, this.threads, this.config.subjectWindowDays * 86400);
    await this.threads.setLast(thread.threadKey, parsed.messageId ?? externalId, parsed.references);
    // Loop protection: never to a machine (classify: auto-replies and reports never get here; lists,
    // bulk, no-reply and mailer-daemon are `automated`) nor to our own address.
    const ours = address === box.address.toLowerCase();
    if (box.autoAck && this.sendAck && !cls.automated && !ours && parsed.from && !res.duplicate && (await this.threads.firstAck(thread.threadKey))) {
      const n = await this.threads.caseFor(thread.threadKey);
      const fill = (s: string) => s.replaceAll('{case}', caseToken(n));
      // The customer's mail is stored whatever becomes of the acknowledgement: a failure is logged only.
      await this.sendAck(box, { id: `ack.${res.message.id}`, to: address, subject: fill(box.autoAck.subject), text: fill(box.autoAck.text), ...(parsed.messageId ? { inReplyTo: parsed.messageId } : {}), references: parsed.references, caseNumber: n }).catch((e: Error) =>
        ctx.log.warn({ mailbox: box.name, err: e.message }, 'email: acknowledgement not sent'),
      );
    }
  }

  private async receipt(originalMessageId: string, status: DeliveryStatus, detail: string, at?: Date): Promise<void> {
    // Our sends' external id is their Message-ID (connector.ts): the hub finds the message by it.
    await this.ctx.statusByExternalId(originalMessageId, status, detail, at);
  }
}
