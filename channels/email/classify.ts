/**
 * Is this mail from a person, or a machine answering one of ours? Bounces (DSN, RFC 3464), read
 * receipts (MDN, RFC 8098) and auto-replies (RFC 3834 Auto-Submitted, the vendors' X-Autoreply,
 * "自动回复" subjects) update the original outbound message by its Message-ID and never open a case;
 * `automated` also covers list and bulk mail, which must never get an auto-acknowledgement (that is
 * how mail loops start).
 */
import type { ParsedMail } from './parse.js';

export type MailClass =
  | { kind: 'message'; automated: boolean }
  /** status: 'failed' for a permanent failure, 'delivered' for a success report, undefined for a delay. */
  | { kind: 'dsn'; automated: true; originalMessageId?: string; status?: 'failed' | 'delivered'; detail: string }
  | { kind: 'mdn'; automated: true; originalMessageId?: string; status?: 'read'; detail: string }
  | { kind: 'auto-reply'; automated: true; originalMessageId?: string; status: 'delivered'; detail: string };

/** RFC 822-style "Name: value" fields of a report part, per block (DSN: per-message, then per recipient). */
function fieldBlocks(text: string): Map<string, string>[] {
  return text
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n\s*\r?\n/)
    .map((block) => {
      const m = new Map<string, string>();
      for (const line of block.split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) m.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      return m;
    })
    .filter((m) => m.size > 0);
}

const bracketed = (v: string | undefined) => (v ? /<([^<>\s]+)>/.exec(v)?.[1] : undefined);

function returnedMessageId(mail: ParsedMail): string | undefined {
  for (const r of mail.reports) {
    if (r.contentType === 'text/rfc822-headers' || r.contentType.startsWith('message/rfc822') || r.contentType === 'message/global') {
      const id = bracketed(/^Message-ID:\s*(.*)$/im.exec(r.text)?.[1]);
      if (id) return id;
    }
  }
  // Non-standard bounces quote the original in the body.
  return bracketed(/^\s*Message-ID:\s*(<[^>]+>)/im.exec(mail.text)?.[1]) ?? mail.inReplyTo;
}

const AUTO_SUBJECT = /^\s*(自动回复|自動回覆|自动答复|自動答覆|auto(matic)?[ -]?(reply|response)|auto:|out of (the )?office|休假|不在办公室)/i;
const BOUNCE_SUBJECT = /^\s*(undeliver(able|ed)|delivery (status notification \(failure\)|failure)|mail delivery failed|returned mail|failure notice|退信|系统退信|邮件投递失败)/i;
const BOUNCE_SENDER = /^(mailer-daemon|postmaster)@/i;

export function classify(mail: ParsedMail): MailClass {
  const ds = mail.reports.find((r) => r.contentType === 'message/delivery-status' || r.contentType === 'message/global-delivery-status');
  if (ds) {
    const recipients = fieldBlocks(ds.text).filter((b) => b.has('action'));
    const failed = recipients.find((b) => /^failed/i.test(b.get('action')!));
    const delivered = recipients.find((b) => /^(delivered|relayed|expanded)/i.test(b.get('action')!));
    const pick = failed ?? delivered ?? recipients[0];
    const who = pick?.get('final-recipient')?.replace(/^rfc822;\s*/i, '');
    const detail = [pick?.get('status'), who, pick?.get('diagnostic-code')?.replace(/^smtp;\s*/i, '')].filter(Boolean).join(' ').slice(0, 1000) || 'delivery report';
    const originalMessageId = returnedMessageId(mail);
    return { kind: 'dsn', automated: true, ...(originalMessageId ? { originalMessageId } : {}), ...(failed ? { status: 'failed' as const } : delivered ? { status: 'delivered' as const } : {}), detail };
  }
  const mdn = mail.reports.find((r) => r.contentType === 'message/disposition-notification' || r.contentType === 'message/global-disposition-notification');
  if (mdn) {
    const f = new Map(fieldBlocks(mdn.text).flatMap((b) => [...b]));
    const disposition = f.get('disposition') ?? '';
    const originalMessageId = bracketed(f.get('original-message-id')) ?? mail.inReplyTo;
    return { kind: 'mdn', automated: true, ...(originalMessageId ? { originalMessageId } : {}), ...(/displayed/i.test(disposition) ? { status: 'read' as const } : {}), detail: disposition.slice(0, 300) };
  }
  const from = mail.from?.address ?? '';
  if (BOUNCE_SENDER.test(from) && BOUNCE_SUBJECT.test(mail.subject)) {
    // A bounce without a delivery-status part (qmail and friends): the diagnostic is in the text.
    const diag = /\b([45]\d\d[ -][^\r\n]{0,300})/.exec(mail.text)?.[1];
    const originalMessageId = returnedMessageId(mail);
    return { kind: 'dsn', automated: true, ...(originalMessageId ? { originalMessageId } : {}), status: 'failed', detail: (diag ?? mail.subject).slice(0, 1000) };
  }
  const autoSubmitted = mail.header('auto-submitted');
  const autoReply =
    (autoSubmitted !== undefined && !/^no\b/i.test(autoSubmitted)) ||
    mail.header('x-autoreply') !== undefined ||
    mail.header('x-autorespond') !== undefined ||
    /^auto[_-]reply$/i.test(mail.header('precedence') ?? '') ||
    AUTO_SUBJECT.test(mail.subject);
  if (autoReply) {
    const originalMessageId = mail.inReplyTo ?? mail.references[mail.references.length - 1];
    return { kind: 'auto-reply', automated: true, ...(originalMessageId ? { originalMessageId } : {}), status: 'delivered', detail: `auto-reply: ${mail.subject}`.slice(0, 300) };
  }
  const automated =
    /^(bulk|junk|list)$/i.test(mail.header('precedence') ?? '') ||
    mail.header('list-id') !== undefined ||
    BOUNCE_SENDER.test(from) ||
    /^(no-?reply|do-?not-?reply)@/i.test(from);
  return { kind: 'message', automated };
}
