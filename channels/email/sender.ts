/**
 * Outbound mail through a mailbox's SMTP server (nodemailer: a pooled SMTP client that streams
 * attachments and reports SMTP reply codes). A reply carries what the customer's client threads by:
 * Message-ID (derived from our message id, so a retried send is the same mail to the receiver),
 * In-Reply-To and References, and the case token in the subject (for clients that drop References).
 * Failures are classified once, here: a 5xx reply is permanent (a retry gets the same answer), a 4xx
 * or a connection that failed is worth retrying.
 */
import type { Readable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Mailbox } from './config.js';
import { caseToken } from './threading.js';

export interface OutboundAttachment {
  name: string;
  contentType: string;
  /** A fresh stream of the bytes (each call starts at byte 0: a retry needs a new one). */
  stream(): Readable;
}

export interface OutboundMail {
  /** Our message id: the Message-ID is made from it. */
  id: string;
  to: string;
  cc?: string[];
  bcc?: string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: OutboundAttachment[];
  /** The customer's mail this answers (its Message-ID). */
  inReplyTo?: string;
  /** The thread's Message-IDs, oldest first (RFC 5322 §3.6.4: the parent's References + the parent). */
  references?: string[];
  caseNumber?: string;
  signature?: string;
  /** The mail answered, quoted below the reply. */
  quote?: { from: string; date?: Date; text: string };
  /** An automatic mail (the acknowledgement with the case number): marked so other robots do not answer it (RFC 3834). */
  automatic?: boolean;
  /** Extra headers (marketing mail's List-Unsubscribe); they never replace the ones set here. */
  headers?: Record<string, string>;
}

export class EmailSendError extends Error {
  constructor(
    message: string,
    /** True: retrying cannot help (5xx, a refused recipient, bad credentials). */
    readonly permanent: boolean,
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

/** Message-ID for our message id: the same on every retry. */
export function outboundMessageId(id: string, mailboxAddress: string): string {
  return `${id}.cchub@${mailboxAddress.split('@')[1]}`;
}

export function withCaseToken(subject: string, caseNumber: string | undefined): string {
  if (!caseNumber) return subject;
  const token = caseToken(caseNumber);
  return subject.toUpperCase().includes(token.toUpperCase()) ? subject : `${token} ${subject}`.trim();
}

function quoted(q: OutboundMail['quote']): string {
  if (!q) return '';
  const when = q.date ? `${q.date.toISOString().replace('T', ' ').slice(0, 16)} UTC, ` : '';
  return `\n\n${when}${q.from}:\n${q.text.split(/\r?\n/).map((l) => `> ${l}`).join('\n')}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function composeBody(out: OutboundMail): { text: string; html?: string } {
  const sig = out.signature ? `\n\n-- \n${out.signature}` : '';
  const text = `${out.text}${sig}${quoted(out.quote)}`;
  if (!out.html) return { text };
  const html =
    out.html +
    (out.signature ? `<p>-- <br>${escapeHtml(out.signature).replace(/\n/g, '<br>')}</p>` : '') +
    (out.quote ? `<blockquote type="cite">${escapeHtml(out.quote.text).replace(/\n/g, '<br>')}</blockquote>` : '');
  return { text, html };
}

function classifyError(e: unknown): EmailSendError {
  const err = e as { message?: string; responseCode?: number; code?: string; response?: string };
  const code = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const message = (err.response ?? err.message ?? String(e)).slice(0, 500);
  if (code !== undefined) return new EmailSendError(message, code >= 500, code);
  // No SMTP reply: connection refused, timeout, TLS, DNS — the server may be back soon.
  return new EmailSendError(message, err.code === 'EENVELOPE' || err.code === 'EMESSAGE', undefined);
}

export class MailSender {
  private readonly transport: Transporter;

  constructor(private readonly mailbox: Pick<Mailbox, 'address' | 'smtp'>) {
    this.transport = nodemailer.createTransport({
      host: mailbox.smtp.host,
      port: mailbox.smtp.port,
      secure: mailbox.smtp.secure,
      ...(mailbox.smtp.user ? { auth: { user: mailbox.smtp.user, pass: mailbox.smtp.password } } : {}),
      pool: true,
      maxConnections: 2,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 60_000,
      // Never log message content or credentials.
      logger: false,
      debug: false,
    });
  }

  /** Sends; resolves with the Message-ID (the channel's id for receipts: DSN, MDN, auto-replies). */
  async send(out: OutboundMail): Promise<{ messageId: string }> {
    const messageId = outboundMessageId(out.id, this.mailbox.address);
    const body = composeBody(out);
    const references = [...(out.references ?? [])];
    if (out.inReplyTo && !references.includes(out.inReplyTo)) references.push(out.inReplyTo);
    try {
      await this.transport.sendMail({
        from: this.mailbox.address,
        to: out.to,
        ...(out.cc?.length ? { cc: out.cc } : {}),
        ...(out.bcc?.length ? { bcc: out.bcc } : {}),
        subject: withCaseToken(out.subject, out.caseNumber),
        messageId: `<${messageId}>`,
        ...(out.inReplyTo ? { inReplyTo: `<${out.inReplyTo}>` } : {}),
        ...(references.length ? { references: references.slice(-30).map((r) => `<${r}>`) } : {}),
        text: body.text,
        ...(body.html ? { html: body.html } : {}),
        attachments: (out.attachments ?? []).map((a) => ({ filename: a.name, contentType: a.contentType, content: a.stream() })),
        headers: { ...(out.headers ?? {}), ...(out.automatic ? { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } : { 'Auto-Submitted': 'no' }) },
      });
    } catch (e) {
      throw classifyError(e);
    }
    return { messageId };
  }

  close(): void {
    this.transport.close();
  }
}
