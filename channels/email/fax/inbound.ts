/**
 * One mail in a fax-to-email mailbox → the hub, on the `fax` channel:
 *   - a confirmation from the email-to-fax gateway (confirm.ts) moves our outbound fax's status;
 *   - a bounce or auto-reply does the same as on e-mail (classify.ts) and never opens a case;
 *   - anything else is a received fax: the sender's number (number.ts) is the customer's identity
 *     (the hub normalises it to E.164), the document is stored as it came, and every page is drawn
 *     as a PNG (render.ts) stored beside it, named `fax-page-<n>.png` in page order, which the
 *     console pages through. A document that cannot be drawn is still stored, and the message says
 *     why; the mailbox never waits on it for longer than the renderer's time limit.
 * Resolves only once the hub has stored the message (the reader checkpoints after that).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentRef, ConnectorContext, InboundMessage } from '../../contract.js';
import { classify } from '../classify.js';
import type { EmailConfig, Mailbox } from '../config.js';
import { parseMail, type PartSink } from '../parse.js';
import type { FetchedMail } from '../reader.js';
import { faxSettings } from './config.js';
import { confirmation } from './confirm.js';
import { faxNumber } from './number.js';
import { FaxRenderError, renderFax, sniffFax } from './render.js';

const DOC_TYPE = { tiff: 'image/tiff', pdf: 'application/pdf' } as const;

/** The first chunk of a stream, and a stream that still yields every byte. */
async function peek(stream: Readable): Promise<{ head: Buffer; rest: Readable }> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : (first.value as Buffer);
  const rest = new PassThrough();
  void (async () => {
    try {
      if (head.length) rest.write(head);
      for (let n = await it.next(); !n.done; n = await it.next()) if (!rest.write(n.value)) await new Promise((r) => rest.once('drain', r));
      rest.end();
    } catch (e) {
      rest.destroy(e as Error);
    }
  })();
  return { head, rest };
}

export class FaxInbound {
  constructor(
    /** The `fax` channel's context (ctx.serving('fax')). */
    private readonly ctx: ConnectorContext,
    private readonly config: EmailConfig,
  ) {}

  async handle(box: Mailbox, mail: FetchedMail): Promise<void> {
    const ctx = this.ctx;
    const settings = faxSettings(box.fax);
    const work = await mkdtemp(join(tmpdir(), 'cchub-faxin-'));
    try {
      const docs: { ref: AttachmentRef; path: string }[] = [];
      // A fax document is recognised by its bytes (services label TIFFs application/octet-stream or
      // image/tif), stored under its real type, and copied to a temp file for the renderer.
      const sink: PartSink = async (stream, meta) => {
        const { head, rest } = await peek(stream);
        const kind = sniffFax(head);
        const contentType = kind ? DOC_TYPE[kind] : meta.contentType;
        if (!kind) return ctx.storeFile(rest, { name: meta.name, contentType, maxBytes: meta.maxBytes, metadata: { mailbox: box.name } });
        const path = join(work, `doc-${docs.length}`);
        const toStore = new PassThrough();
        const toFile = new PassThrough();
        // (Bounded without backpressure: parse.ts stops feeding a part past the attachment limit.)
        rest.on('data', (c: Buffer) => {
          if (!toStore.destroyed) toStore.write(c);
          if (!toFile.destroyed) toFile.write(c);
        });
        rest.on('end', () => (toStore.end(), toFile.end()));
        rest.on('error', (e) => (toStore.destroy(e), toFile.destroy(e)));
        const [ref] = await Promise.all([ctx.storeFile(toStore, { name: meta.name, contentType, maxBytes: meta.maxBytes, metadata: { mailbox: box.name } }), pipeline(toFile, createWriteStream(path))]);
        docs.push({ ref, path });
        return { ...ref, contentType } as AttachmentRef;
      };
      const parsed = await parseMail(mail.source, { sink, maxAttachmentBytes: this.config.maxAttachmentBytes });

      const confirm = confirmation(parsed, settings);
      if (confirm) {
        if (!confirm.status) return void ctx.log.info({ mailbox: box.name }, 'fax: gateway report with no outcome, set aside');
        const outcome = confirm.ourMessageId
          ? await ctx.reportStatus(confirm.ourMessageId, confirm.status, confirm.detail, parsed.date)
          : await ctx.statusByExternalId(confirm.externalId!, confirm.status, confirm.detail, parsed.date);
        ctx.log.info({ mailbox: box.name, status: confirm.status, outcome }, 'fax: gateway confirmation');
        return;
      }
      const cls = classify(parsed);
      if (cls.kind !== 'message') {
        if (cls.originalMessageId && cls.status) await ctx.statusByExternalId(cls.originalMessageId, cls.status, cls.detail, parsed.date);
        return;
      }

      const number = faxNumber(parsed, settings);
      const notes: string[] = [];
      const pages: AttachmentRef[] = [];
      let pageCount = 0;
      if (!docs.length) notes.push('[传真无附件 / no fax document (TIFF or PDF) in this mail]');
      for (const doc of docs) {
        try {
          const r = await renderFax(doc.path, settings);
          try {
            pageCount += r.pageCount;
            if (r.pageCount > r.pages.length) notes.push(`[仅显示前 ${r.pages.length} 页 / ${r.pageCount} pages, the first ${r.pages.length} drawn]`);
            for (const [i, p] of r.pages.entries()) {
              const ref = await ctx.storeFile(createReadStream(p), { name: `fax-page-${pages.length + 1}.png`, contentType: 'image/png', metadata: { mailbox: box.name, faxPage: String(i + 1), document: doc.ref.id } });
              pages.push(ref);
            }
          } finally {
            await r.cleanup();
          }
        } catch (e) {
          if (!(e instanceof FaxRenderError)) throw e;
          notes.push(`[传真无法显示 / fax ${doc.ref.name} could not be drawn: ${e.message}]`);
          ctx.log.warn({ mailbox: box.name, reason: e.message }, 'fax: document not rendered');
        }
      }
      if (mail.truncated) notes.push(`[邮件过大，仅保留邮件头 / mail over ${this.config.maxMessageBytes} bytes: headers kept only]`);
      for (const r of parsed.rejected) notes.push(`[附件未接收 / attachment refused: ${r.name} — ${r.reason}]`);
      if (!number) notes.push('[未识别发送方传真号码 / the sender’s fax number was not found]');

      const externalId = parsed.messageId ?? `sha256:${parsed.sha256}`;
      const mailFrom = parsed.from?.address ?? 'unknown-sender@invalid';
      const head = `传真 / Fax${number ? ` ${number.number}` : ''}: ${pageCount} 页 / page${pageCount === 1 ? '' : 's'}`;
      const attachments = [...docs.map((d) => d.ref), ...pages];
      const msg: InboundMessage = {
        channel: 'fax',
        externalId,
        // Without a number, the service's address keeps the fax findable (never merged with a phone).
        customer: { identity: number ? { channel: 'fax', address: number.number } : { channel: 'email', address: mailFrom } },
        from: number?.number ?? mailFrom,
        to: box.address,
        subject: parsed.subject,
        text: [head, parsed.text.slice(0, 10_000), ...notes].filter(Boolean).join('\n\n'),
        attachments: attachments.slice(0, 200).map((a) => ({ id: a.id, name: a.name, contentType: a.contentType, size: a.size })),
        queue: box.queue,
        channelData: { mailbox: box.name, ...(number ? { faxNumber: number.number, numberSource: number.source } : {}), address: mailFrom },
        ...(parsed.date ? { receivedAt: parsed.date } : {}),
      };
      const res = await ctx.ingest(msg);
      if (msg.attachments?.length) await ctx.files.bindToConversation(msg.attachments.map((a) => a.id), res.conversation.id);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
