/**
 * Mail the channel will not take as a message (a sender past the flood limit) is not dropped: the raw
 * mail goes to the file store (`message/rfc822`, metadata.refused = the reason, with mailbox, sender
 * and subject), so an administrator can see what was refused and why, and nothing opens a case or
 * gets an answer. The flood limit is a fixed window per sender address in Redis (ctx.limiter), so it
 * holds across mailboxes and hub processes.
 */
import { Readable } from 'node:stream';
import type { ConnectorContext, Limiter } from '../contract.js';
import type { EmailConfig, Mailbox } from './config.js';

export class Refusals {
  private readonly flood: Limiter;

  constructor(
    private readonly ctx: ConnectorContext,
    config: EmailConfig,
  ) {
    this.flood = ctx.limiter('sender', config.floodPerSender.mails, config.floodPerSender.perSeconds);
  }

  /** Undefined when the sender may send one more; else the reason it may not. */
  async check(sender: string | undefined): Promise<string | undefined> {
    if (!sender) return undefined;
    try {
      await this.flood.consume(sender.toLowerCase());
      return undefined;
    } catch {
      return 'sender over the flood limit';
    }
  }

  /** Keep the raw mail with the reason (a second store of the same mail after a restart is harmless). */
  async keep(box: Mailbox, source: Buffer, reason: string, meta: { from?: string; subject?: string; messageId?: string }): Promise<void> {
    await this.ctx.storeFile(Readable.from([source]), {
      name: `refused-${(meta.messageId ?? 'mail').replace(/[^\w.@-]/g, '_').slice(0, 100)}.eml`,
      contentType: 'message/rfc822',
      metadata: { refused: reason, mailbox: box.name, from: meta.from?.slice(0, 320), subject: meta.subject?.slice(0, 300), messageId: meta.messageId?.slice(0, 500) },
    });
    this.ctx.log.warn({ mailbox: box.name, reason }, 'email: mail refused and kept');
  }
}
