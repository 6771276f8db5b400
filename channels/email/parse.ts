/**
 * One raw mail → what the channel needs of it (mailparser's streaming MailParser, so attachments
 * flow into the file store one part at a time and a part is refused the moment it passes the limit,
 * never buffered whole). Charsets are decoded by mailparser through iconv-lite: GB2312 labels are
 * read as GBK (cp936, its superset: senders label GBK bytes GB2312 all the time), GB18030 and Big5
 * too; adjacent encoded-words of one charset are joined before decoding, so a character split across
 * two words (RFC 2047 forbids it, Chinese mailers do it) comes out whole.
 *
 * Malformed mail (no Date or Message-ID, bare LF, invalid base64, an unclosed boundary, deep nesting,
 * huge header lines) is read as well as mailparser can; what was odd is listed in `problems`, and
 * the caller stores it anyway. Delivery reports (DSN, MDN) keep their report parts as text.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { MailParser, type AddressObject, type HeaderValue, type Headers } from 'mailparser';
import { sanitizeMailHtml } from './sanitize.js';

export interface MailAddress {
  address: string;
  name?: string;
}

/** What a part sink stores a part as (the hub's file reference, or anything the caller likes). */
export type PartRef = { id: string };

export interface PartMeta {
  name: string;
  contentType: string;
  /** The sink must refuse (reject) past this many bytes; the parser stops feeding it past it too. */
  maxBytes: number;
}

/** Stores one part's bytes (ctx.storeFile in the connector). Rejects when it refuses the part. */
export type PartSink = (stream: Readable, meta: PartMeta) => Promise<PartRef>;

export interface StoredPart {
  ref: PartRef;
  name: string;
  contentType: string;
  size: number;
  /** Content-ID without <>, for cid: links in the HTML. */
  cid?: string;
  inline: boolean;
}

export interface RejectedPart {
  name: string;
  contentType: string;
  reason: string;
}

export interface ParsedMail {
  /** Message-ID without <>, if the mail has one. */
  messageId?: string;
  /** sha256 of the raw bytes: the mail's identity when it has no Message-ID. */
  sha256: string;
  size: number;
  inReplyTo?: string;
  /** Oldest first, as in the header. */
  references: string[];
  threadIndex?: string;
  threadTopic?: string;
  from?: MailAddress;
  replyTo?: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  /** Delivered-To / X-Original-To addresses: where a plus-address survives. */
  deliveredTo: string[];
  subject: string;
  date?: Date;
  text: string;
  /** Sanitised (sanitize.ts). */
  html?: string;
  attachments: StoredPart[];
  rejected: RejectedPart[];
  /** Report parts kept as text: message/delivery-status, message/disposition-notification, text/rfc822-headers, and the headers of a returned message/rfc822. */
  reports: { contentType: string; text: string }[];
  /** Raw header values of interest (lowercased names), first occurrence. */
  header(name: string): string | undefined;
  contentType: string;
  /** What was wrong with the mail, read past. */
  problems: string[];
}

export interface ParseOptions {
  sink: PartSink;
  maxAttachmentBytes: number;
  /** Report parts are kept in memory up to this (bytes). */
  maxReportBytes?: number;
  maxTextChars?: number;
  maxHtmlChars?: number;
}

const REPORT_TYPES = new Set(['message/delivery-status', 'message/disposition-notification', 'text/rfc822-headers', 'message/global-delivery-status', 'message/global-disposition-notification']);

function unbracket(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const m = /<([^<>]+)>/.exec(id);
  const v = (m ? m[1] : id).trim();
  return v ? v.slice(0, 500) : undefined;
}

function idList(v: HeaderValue | undefined): string[] {
  if (v === undefined) return [];
  const raw = Array.isArray(v) ? v.join(' ') : String(v);
  return [...raw.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1].slice(0, 500)).slice(-100);
}

function addresses(v: HeaderValue | undefined): MailAddress[] {
  if (!v || typeof v !== 'object') return [];
  const list = (Array.isArray(v) ? v : [v]) as AddressObject[];
  const out: MailAddress[] = [];
  const walk = (items: AddressObject['value']) => {
    for (const a of items ?? []) {
      if (a.group) walk(a.group);
      else if (a.address) out.push({ address: a.address.toLowerCase().slice(0, 320), ...(a.name ? { name: a.name.slice(0, 200) } : {}) });
    }
  };
  for (const o of list) if (o && typeof o === 'object' && 'value' in o) walk(o.value);
  return out.slice(0, 100);
}

// C0 controls except tab/newline, and DEL: never useful in stored text, and NUL breaks storage.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Feed `content` into `sink` with the byte limit enforced as it flows; always drains `content`. */
async function storePart(content: Readable, meta: PartMeta, sink: PartSink): Promise<{ ref?: PartRef; size: number; reason?: string }> {
  const pass = new PassThrough();
  let sinkError: Error | undefined;
  const stored = sink(pass, meta).then(
    (ref) => ref,
    (e: Error) => {
      sinkError = e;
      return undefined;
    },
  );
  let size = 0;
  let over = false;
  for await (const chunk of content as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (over || sinkError || pass.destroyed) continue; // keep reading: the parser waits for this part to end
    if (size > meta.maxBytes) {
      over = true;
      pass.destroy(new Error(`larger than ${meta.maxBytes} bytes`));
      continue;
    }
    if (!pass.write(chunk)) await new Promise<void>((r) => (pass.once('drain', r), pass.once('close', r)));
  }
  if (!over && !pass.destroyed) pass.end();
  const ref = await stored;
  if (over) return { size, reason: `larger than the ${meta.maxBytes}-byte attachment limit` };
  if (!ref) return { size, reason: sinkError?.message ?? 'not stored' };
  return { ref, size };
}

async function readCapped(content: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of content as AsyncIterable<Buffer>) {
    if (n < max) chunks.push(c.subarray(0, max - n));
    n += c.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

const SALVAGE_BYTES = 4 * 1024 * 1024;
const SALVAGE_LINE = 8 * 1024;

/**
 * When mailparser refuses a mail (its limits on header size and child nodes are there to keep a
 * hostile mail from eating memory), take the headers line by line with each line cut short, parse
 * just those, and keep the start of the body as plain text: the agent still sees who wrote and what.
 */
async function salvage(raw: Buffer): Promise<{ headers: Headers; raw: Map<string, string>; text: string }> {
  const s = raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(s);
  const head = end ? s.slice(0, end.index) : s;
  const lines = head.split(/\r?\n/).map((l) => l.slice(0, SALVAGE_LINE));
  const compact = Buffer.from(lines.join('\r\n').slice(0, 256 * 1024) + '\r\n\r\n', 'latin1');
  const p = new MailParser({});
  let headers: Headers = new Map();
  const rawMap = new Map<string, string>();
  p.on('headers', (h: Headers) => (headers = h));
  p.on('headerLines', (ls: { key: string; line: string }[]) => {
    for (const l of ls) if (!rawMap.has(l.key)) rawMap.set(l.key, l.line.slice(l.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim().slice(0, 4000));
  });
  p.on('data', (d: any) => d.release?.());
  await new Promise<void>((resolve) => {
    p.once('end', resolve);
    p.once('error', () => resolve());
    p.end(compact);
  });
  // MIME scaffolding (boundaries, part headers) is noise to a reader: keep the lines of content.
  const body = end
    ? raw
        .subarray(end.index + end[0].length, end.index + end[0].length + 1024 * 1024)
        .toString('utf8')
        .split(/\r?\n/)
        .filter((l) => !/^--\S+$/.test(l) && !/^Content-[\w-]+:/i.test(l) && !/^\s*$/.test(l))
        .join('\n')
        .slice(0, 100_000)
    : '';
  return { headers, raw: rawMap, text: body };
}

export async function parseMail(source: Buffer | Readable, opts: ParseOptions): Promise<ParsedMail> {
  const maxReport = opts.maxReportBytes ?? 64 * 1024;
  const maxText = opts.maxTextChars ?? 100_000;
  const maxHtml = opts.maxHtmlChars ?? 2_000_000;
  const problems: string[] = [];
  const attachments: StoredPart[] = [];
  const rejected: RejectedPart[] = [];
  const reports: ParsedMail['reports'] = [];
  const hash = createHash('sha256');
  let size = 0;
  let headers: Headers = new Map();
  const rawHeaders = new Map<string, string>();
  let text = '';
  let html: string | undefined;

  const parser = new MailParser({ keepDeliveryStatus: true, skipImageLinks: true, skipTextLinks: true, maxHtmlLengthToParse: maxHtml } as never);
  parser.on('headers', (h: Headers) => (headers = h));
  parser.on('headerLines', (lines: { key: string; line: string }[]) => {
    for (const l of lines) {
      if (rawHeaders.has(l.key)) continue;
      const i = l.line.indexOf(':');
      rawHeaders.set(l.key, (i >= 0 ? l.line.slice(i + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim().slice(0, 4000));
    }
  });

  const work: Promise<void>[] = [];
  let partNo = 0;
  const done = new Promise<void>((resolve, reject) => {
    parser.on('data', (data: any) => {
      if (data.type === 'text') {
        text = typeof data.text === 'string' ? data.text : '';
        if (typeof data.html === 'string' && data.html) html = data.html;
        return;
      }
      if (data.type !== 'attachment') return;
      partNo++;
      const contentType = String(data.contentType || 'application/octet-stream').toLowerCase().slice(0, 255);
      const name = String(data.filename || `part-${partNo}`).replace(CONTROL, '').slice(0, 255);
      const isReport = REPORT_TYPES.has(contentType) || contentType === 'message/rfc822' || contentType === 'message/global';
      const job = (async () => {
        try {
          if (isReport) {
            const t = await readCapped(data.content, maxReport);
            // A returned message: only its headers matter (the original's Message-ID).
            reports.push({ contentType, text: contentType.startsWith('message/rfc822') || contentType === 'message/global' ? t.split(/\r?\n\r?\n/)[0] : t });
            return;
          }
          const r = await storePart(data.content, { name, contentType, maxBytes: opts.maxAttachmentBytes }, opts.sink);
          if (r.ref) {
            attachments.push({ ref: r.ref, name, contentType, size: r.size, inline: data.contentDisposition === 'inline' || !!data.related, ...(data.contentId ? { cid: unbracket(data.contentId) } : {}) });
          } else {
            rejected.push({ name, contentType, reason: r.reason ?? 'not stored' });
          }
        } finally {
          data.release();
        }
      })();
      work.push(job);
    });
    parser.once('end', resolve);
    parser.once('error', reject);
  });

  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  // The first bytes, for salvaging headers and text if mailparser gives up.
  const prefix: Buffer[] = [];
  let prefixLen = 0;
  const feed = (async () => {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (prefixLen < SALVAGE_BYTES) {
        prefix.push(chunk.subarray(0, SALVAGE_BYTES - prefixLen));
        prefixLen += Math.min(chunk.length, SALVAGE_BYTES - prefixLen);
      }
      if (!parser.write(chunk)) await new Promise<void>((r) => parser.once('drain', r));
    }
    parser.end();
  })();

  try {
    await Promise.all([feed, done]);
  } catch (e) {
    // mailparser gave up (a limit of its own, or bytes it cannot read): keep what was read.
    problems.push(`parse: ${(e as Error).message}`.slice(0, 300));
    parser.destroy();
    // Read the rest, so the hash and size cover the whole mail.
    await feed.catch(() => undefined);
    const salvaged = await salvage(Buffer.concat(prefix));
    headers = salvaged.headers;
    for (const [k, v] of salvaged.raw) if (!rawHeaders.has(k)) rawHeaders.set(k, v);
    if (!text) text = salvaged.text;
  }
  await Promise.allSettled(work);

  const get = (k: string) => headers.get(k);
  const messageId = unbracket(typeof get('message-id') === 'string' ? (get('message-id') as string) : undefined);
  if (!messageId) problems.push('no Message-ID');
  const dateV = get('date');
  const date = dateV instanceof Date && !Number.isNaN(dateV.getTime()) ? dateV : undefined;
  if (!date) problems.push('no valid Date');
  const from = addresses(get('from'))[0];
  if (!from) problems.push('no From address');
  if (text.length > maxText) {
    problems.push(`text cut at ${maxText} characters`);
    text = text.slice(0, maxText);
  }
  let cleanHtml: string | undefined;
  if (html !== undefined) {
    cleanHtml = sanitizeMailHtml(html);
    if (cleanHtml.length > maxHtml) {
      problems.push(`html dropped: longer than ${maxHtml} characters`);
      cleanHtml = undefined;
    }
  }
  const ctRaw = get('content-type') as { value?: string } | undefined;
  const deliveredTo = ['delivered-to', 'x-original-to']
    .flatMap((k) => {
      const v = rawHeaders.get(k);
      return v ? [v] : [];
    })
    .map((v) => (unbracket(v) ?? v).toLowerCase());
  const subjectV = get('subject');

  return {
    ...(messageId ? { messageId } : {}),
    sha256: hash.digest('hex'),
    size,
    ...(idList(get('in-reply-to'))[0] ? { inReplyTo: idList(get('in-reply-to'))[0] } : {}),
    references: idList(get('references')),
    ...(rawHeaders.get('thread-index') ? { threadIndex: rawHeaders.get('thread-index') } : {}),
    ...(typeof get('thread-topic') === 'string' ? { threadTopic: (get('thread-topic') as string).slice(0, 1000) } : {}),
    ...(from ? { from } : {}),
    ...(addresses(get('reply-to'))[0] ? { replyTo: addresses(get('reply-to'))[0] } : {}),
    to: addresses(get('to')),
    cc: addresses(get('cc')),
    deliveredTo,
    subject: (typeof subjectV === 'string' ? subjectV : '').replace(CONTROL, '').slice(0, 1000),
    ...(date ? { date } : {}),
    text: text.replace(CONTROL, ''),
    ...(cleanHtml ? { html: cleanHtml } : {}),
    attachments,
    rejected,
    reports,
    header: (name) => rawHeaders.get(name.toLowerCase()),
    contentType: String(ctRaw?.value ?? 'text/plain').toLowerCase(),
    problems,
  };
}
