/**
 * The sender address, subject and Message-ID from a raw mail's header block, without parsing the
 * body: what the abuse limits need before a mail is let in (a flood must not cost a full parse and
 * its attachments stored per mail). Unfolds continuation lines (RFC 5322 §2.2.3); reads at most the
 * first 64 KB.
 */
export interface MailHead {
  from?: string;
  subject?: string;
  messageId?: string;
}

export function mailHead(source: Buffer): MailHead {
  const s = source.subarray(0, 65_536).toString('latin1');
  const end = /\r?\n\r?\n/.exec(s);
  const head = (end ? s.slice(0, end.index) : s).replace(/\r?\n[ \t]+/g, ' ');
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim();
  const fromV = field('from');
  // The address in <>, else the first thing shaped like one (display names may be encoded words).
  const from = (fromV && (/<([^<>\s@]+@[^<>\s@]+)>/.exec(fromV)?.[1] ?? /([^\s<>"@,;:]+@[^\s<>"@,;:]+)/.exec(fromV)?.[1]))?.toLowerCase();
  const mid = field('message-id');
  return { ...(from ? { from } : {}), ...(field('subject') ? { subject: field('subject') } : {}), ...(mid ? { messageId: /<([^<>]+)>/.exec(mid)?.[1] ?? mid } : {}) };
}
