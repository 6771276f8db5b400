/**
 * The email connector: one reader (IMAP in) and one sender (SMTP out) per configured mailbox, the
 * thread memory and checkpoints in the hub's Redis. See inbound.ts for what happens to a mail and
 * sender.ts for what goes out.
 */
import { RetryableError, UnrecoverableSendError } from '../../lib/errors.js';
import type { ChannelConnector, ConnectorContext, DeliveryStatus, OutboundMessage, SendResult } from '../contract.js';
import { CheckpointStore } from './checkpoints.js';
import type { EmailConfig, Mailbox } from './config.js';
import { EmailInbound } from './inbound.js';
import { MailboxReader } from './reader.js';
import { EmailSendError, MailSender } from './sender.js';
import { ThreadStore } from './thread-store.js';

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
  private readonly readers: MailboxReader[] = [];
  private readonly senders = new Map<string, MailSender>();

  constructor(private readonly config: EmailConfig) {}

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
    const threads = (this.threads = new ThreadStore(ctx.redis, ctx.keyPrefix));
    const checkpoints = new CheckpointStore(ctx.redis, ctx.keyPrefix);
    const inbound = new EmailInbound(ctx, this.config, threads);
    const degraded = new Map<string, string>();
    for (const box of this.config.mailboxes) {
      this.senders.set(box.name, new MailSender(box));
      const reader = new MailboxReader({
        mailbox: box,
        checkpoints,
        log: ctx.log,
        maxMessageBytes: this.config.maxMessageBytes,
        handle: (mail) => inbound.handle(box, mail),
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
      this.readers.push(reader);
    }
    await Promise.all(this.readers.map((r) => r.start()));
    if (!degraded.size) ctx.lifecycle({ type: 'started' });
  }

  async stop(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.stop()));
    for (const s of this.senders.values()) s.close();
  }

  private mailbox(name: unknown): Mailbox {
    const box = this.config.mailboxes.find((m) => m.name === name) ?? this.config.mailboxes[0];
    if (!box) throw new UnrecoverableSendError('no mailbox configured for email');
    return box;
  }

  async send(out: OutboundMessage): Promise<SendResult> {
    const box = this.mailbox(out.channelData.mailbox);
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
}
