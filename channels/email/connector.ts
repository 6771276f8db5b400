/**
 * The email connector: one reader (IMAP in) and one sender (SMTP out) per configured mailbox, the
 * thread memory and checkpoints in the hub's Redis. See inbound.ts for what happens to a mail and
 * sender.ts for what goes out.
 */
import { RetryableError, UnrecoverableSendError, badRequest } from '../../lib/errors.js';
import type { ChannelConnector, ConnectorContext, DeliveryStatus, OutboundMessage, SendResult } from '../contract.js';
import { CheckpointStore } from './checkpoints.js';
import type { EmailConfig, Mailbox } from './config.js';
import { EmailInbound } from './inbound.js';
import { faxSettings } from './fax/config.js';
import { FaxInbound } from './fax/inbound.js';
import { faxMail } from './fax/outbound.js';
import { MailboxReader, type FetchedMail } from './reader.js';
import { EmailSendError, MailSender } from './sender.js';
import { ThreadStore } from './thread-store.js';
import { mailHead } from './head.js';
import { MailboxLease } from './lease.js';
import { Refusals } from './refusals.js';

// DSN actions (RFC 3464 §2.3.3) and MDN dispositions (RFC 8098 §3.2.6) onto our statuses.
const NATIVE: Record<string, DeliveryStatus | undefined> = {
  failed: 'failed',
  delayed: undefined,
  delivered: 'delivered',
  relayed: 'delivered',
  expanded: 'delivered',
  displayed: 'read',
  deleted: undefined,
  dispatched: undefined,
  processed: undefined,
};

export class EmailConnector implements ChannelConnector {
  readonly kind = 'email' as const;
  private ctx: ConnectorContext | undefined;
  private threads: ThreadStore | undefined;
  private readonly leases: MailboxLease[] = [];
  private readonly senders = new Map<string, MailSender>();
  /** One mail into the hub as its mailbox's kind handles it (email or fax), past the abuse limits. */
  private take: ((box: Mailbox, mail: FetchedMail) => Promise<void>) | undefined;

  constructor(private readonly config: EmailConfig) {}

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
    const threads = (this.threads = new ThreadStore(ctx.redis, ctx.keyPrefix));
    const checkpoints = new CheckpointStore(ctx.redis, ctx.keyPrefix);
    const inbound = new EmailInbound(ctx, this.config, threads, async (box, m) => {
      await this.senders.get(box.name)!.send({ ...m, automatic: true });
    });
    const refusals = new Refusals(ctx, this.config);
    // Fax-to-email mailboxes ingest, store and take receipts on the `fax` channel (index.ts alsoServes).
    const fax = new FaxInbound(ctx.serving?.('fax') ?? ctx, this.config);
    const degraded = new Map<string, string>();
    const take = (this.take = (box: Mailbox, mail: FetchedMail) => (box.kind === 'fax' ? fax.handle(box, mail) : inbound.handle(box, mail)));
    for (const box of this.config.mailboxes) {
      this.senders.set(box.name, new MailSender(box));
      const makeReader = () => {
        const reader = new MailboxReader({
          mailbox: box,
          checkpoints,
          log: ctx.log,
          maxMessageBytes: this.config.maxMessageBytes,
          handle: async (mail) => {
            // Abuse limits first (a flooding sender's mail is kept with the reason, never parsed into a case).
            const head = mailHead(mail.source);
            const refused = await refusals.check(head.from);
            if (refused) return refusals.keep(box, mail.source, refused, head);
            return take(box, mail);
          },
        });
        // The connector is degraded while any mailbox is; the reason names the mailbox, never a secret.
        reader.on('degraded', (reason) => {
          degraded.set(box.name, reason);
          ctx.lifecycle({ type: 'degraded', reason: `mailbox ${box.name}: ${reason}` });
        });
        reader.on('reconnected', () => {
          degraded.delete(box.name);
          if (!degraded.size) ctx.lifecycle({ type: 'reconnected' });
        });
        return reader;
      };
      // Only the lease holder among the hub processes reads this mailbox (lease.ts); a fresh reader
      // each time the lease is won.
      let reader: MailboxReader | undefined;
      this.leases.push(
        new MailboxLease(
          ctx.redis,
          ctx.keyPrefix,
          box.name,
          {
            start: () => (reader = makeReader()).start(),
            stop: async () => {
              await reader?.stop();
              reader = undefined;
              degraded.delete(box.name);
            },
          },
          ctx.log,
          this.config.lease,
        ),
      );
    }
    await Promise.all(this.leases.map((l) => l.start()));
    if (!degraded.size) ctx.lifecycle({ type: 'started' });
  }

  async stop(): Promise<void> {
    await Promise.all(this.leases.map((l) => l.stop()));
    for (const s of this.senders.values()) s.close();
  }

  private mailbox(name: unknown, kind: Mailbox['kind']): Mailbox {
    const ofKind = this.config.mailboxes.filter((m) => m.kind === kind);
    const box = ofKind.find((m) => m.name === name) ?? ofKind[0];
    if (!box) throw new UnrecoverableSendError(`no ${kind} mailbox configured`);
    return box;
  }

  /** An outbound fax: a mail with the document to the mailbox's email-to-fax gateway (fax/outbound.ts). */
  private async sendFax(out: OutboundMessage): Promise<SendResult> {
    const box = this.mailbox(out.channelData.mailbox, 'fax');
    try {
      const { messageId } = await this.senders.get(box.name)!.send(faxMail(out, faxSettings(box.fax)));
      // `sent`: the gateway took it; its confirmation mail moves it to delivered or failed.
      return { externalId: messageId, status: 'sent' };
    } catch (e) {
      if (e instanceof EmailSendError) throw e.permanent ? new UnrecoverableSendError(e.message) : new RetryableError(e.message);
      throw e;
    }
  }

  async send(out: OutboundMessage): Promise<SendResult> {
    if (out.message.channel === 'fax') return this.sendFax(out);
    const box = this.mailbox(out.channelData.mailbox, 'email');
    const to = out.to ?? (typeof out.channelData.address === 'string' ? out.channelData.address : undefined);
    if (!to) throw new UnrecoverableSendError('no recipient address');
    const threadKey = out.threadKey ?? (typeof out.channelData.threadKey === 'string' ? out.channelData.threadKey : undefined);
    const threads = this.threads!;
    const last = threadKey ? await threads.last(threadKey) : undefined;
    const caseNumber = threadKey ? await threads.caseFor(threadKey) : undefined;
    const first = typeof out.channelData.subject === 'string' ? out.channelData.subject : '';
    const subject = out.message.subject ?? (/^\s*(re|回复|答复)\s*[:：]/i.test(first) ? first : `Re: ${first}`);
    try {
      const { messageId } = await this.senders.get(box.name)!.send({
        id: out.message.id,
        to,
        subject,
        text: out.message.text,
        ...(out.message.html ? { html: out.message.html } : {}),
        ...(out.message.cc ? { cc: out.message.cc.split(/,\s*/) } : {}),
        ...(out.message.bcc ? { bcc: out.message.bcc.split(/,\s*/) } : {}),
        ...(last ? { inReplyTo: last.messageId, references: last.references } : {}),
        // Streams are opened by the sender when it writes the mail (a retry opens fresh ones).
        attachments: out.attachments.map((a) => ({ name: a.name, contentType: a.contentType, stream: () => a.stream() })),
        ...(caseNumber ? { caseNumber } : {}),
        ...(out.headers ? { headers: out.headers } : {}),
      });
      // A reply to this mail joins the thread by its Message-ID. (The Message-ID comes from our message
      // id, so a resend after a lost result — out.attempt > 1 — is the same mail to the receiver.)
      if (threadKey) await threads.remember(threadKey, [{ kind: 'mid', value: messageId }], []);
      return { externalId: messageId, status: 'sent' };
    } catch (e) {
      if (e instanceof EmailSendError) throw e.permanent ? new UnrecoverableSendError(e.message) : new RetryableError(e.message);
      throw e;
    }
  }

  mapStatus(native: string): DeliveryStatus | undefined {
    return NATIVE[native.trim().toLowerCase()];
  }

  /** A refused mail (refusals.ts) an administrator released: handled by its mailbox now, no flood check. */
  async releaseRefused(item: { id: string; metadata: Record<string, unknown>; bytes: Buffer }): Promise<void> {
    const box = this.config.mailboxes.find((m) => m.name === item.metadata.mailbox);
    if (!box || !this.take) throw badRequest(`the mailbox ${String(item.metadata.mailbox)} of this mail is not configured`, 'unknown_mailbox');
    await this.take(box, { uid: 0, uidValidity: 'released', source: item.bytes, size: item.bytes.length, truncated: false });
  }
}
