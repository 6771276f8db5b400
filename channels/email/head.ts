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
  const subject = field('subject');
  return { ...(from ? { from } : {}), ...(subject ? { subject: decodeWords(subject) } : {}), ...(mid ? { messageId: /<([^<>]+)>/.exec(mid)?.[1] ?? mid } : {}) };
}

const WORD = /=\?([^?\s*]+)(?:\*[^?]*)?\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * RFC 2047 encoded words (`=?GBK?B?...?=`) → text, for showing a refused mail's subject to an admin.
 * Adjacent words of one charset are joined as bytes before decoding (RFC 2047 §6.2 drops the space
 * between them), so a character split across two words comes out whole. Charsets by the WHATWG
 * decoder (GBK/GB18030, Big5, UTF-8...); one it does not know is left as written.
 */
export function decodeWords(value: string): string {
  const parts: { charset: string; bytes: Buffer }[] = [];
  let out = '';
  let last = 0;
  const flush = () => {
    for (const p of parts) {
      try {
        out += new TextDecoder(p.charset).decode(p.bytes);
      } catch {
        out += p.bytes.toString('latin1');
      }
    }
    parts.length = 0;
  };
  for (const m of value.matchAll(WORD)) {
    const between = value.slice(last, m.index);
    if (!parts.length || /\S/.test(between)) {
      flush();
      out += between;
    }
    const charset = m[1]!.toLowerCase();
    const bytes = m[2]!.toUpperCase() === 'B' ? Buffer.from(m[3]!, 'base64') : Buffer.from(m[3]!.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    const prev = parts[parts.length - 1];
    if (prev && prev.charset === charset) prev.bytes = Buffer.concat([prev.bytes, bytes]);
    else parts.push({ charset, bytes });
    last = m.index! + m[0].length;
  }
  flush();
  return out + value.slice(last);
}
