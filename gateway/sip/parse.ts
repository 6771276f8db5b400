/**
 * The strict SIP parser (RFC 3261 §7, §20, §25). One datagram, or one frame cut from a TCP stream by
 * gateway/sip/framer.ts, in; a typed message or a reason out. Deliberately strict where lax parsers
 * get exploited (RFC 4475 §3.1.2): single spaces in the start line, Content-Length honoured and never
 * beyond the datagram, one From/To/Call-ID/CSeq/Max-Forwards/Content-Length, CSeq method equal to the
 * request method, no raw control characters in the header section, bounded sizes and header counts.
 *
 * When the start line is a request and Via/From/To/Call-ID/CSeq can be read, a failed parse still
 * returns `reply` so the gateway can answer 400 (RFC 3261 §8.2.2 / §21.4.1); otherwise it is silence.
 */
import { parseCSeq, parseNameAddr, parseSipUri, parseUnsigned, parseViaList, splitOutside, TOKEN } from './grammar.js';
import { canonicalName, MAX_HEADERS, MAX_LINE, MAX_MESSAGE_BYTES, type Header, type NameAddr, type SipMessage, type Via } from './message.js';

/** What a 400 needs to reach the sender (raw values, echoed as received). */
export interface ReplyTo {
  method: string;
  via: Via[];
  from: string;
  to: string;
  callId: string;
  cseq: string;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; reason: string; reply?: ReplyTo };

const SINGLE = new Set(['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length', 'content-type']);
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Index just past the blank line that ends the header section, or -1. */
export function headerEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(CRLFCRLF, from);
  return i < 0 ? -1 : i + 4;
}

/**
 * @param stream true for TCP: Content-Length is mandatory (RFC 3261 §18.3) and `buf` is exactly one
 *   frame; false for UDP: a missing Content-Length means "to the end of the datagram", and octets past
 *   Content-Length are discarded (RFC 4475 dblreq).
 */
export function parseMessage(buf: Buffer, stream: boolean): ParseResult {
  if (buf.length > MAX_MESSAGE_BYTES) return { ok: false, reason: 'message too large' };
  // Keep-alives (RFC 5626 §3.5.1) and leading CRLFs (RFC 3261 §7.5) are not messages.
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  const end = headerEnd(buf, start);
  if (end < 0) return { ok: false, reason: 'no end of header section' };

  // latin1 keeps every octet as one char, so what we echo back is byte-for-byte what came in.
  const head = buf.toString('latin1', start, end - 4);
  // Control characters only as a quoted-pair (RFC 4475 intmeth's "NUL:\<00>"); CR/LF only as line ends.
  // Checked now, refused once we know whether a 400 can be addressed.
  let control = false;
  for (let i = 0; i < head.length && !control; i++) {
    const c = head.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) || c === 0x7f) control = head.charCodeAt(i - 1) !== 0x5c;
  }
  const lines = head.split('\r\n');
  if (lines.some((l) => l.includes('\r') || l.includes('\n'))) return { ok: false, reason: 'bare CR or LF' };

  const startLine = lines[0];
  if (startLine.length > MAX_LINE) return { ok: false, reason: 'start line too long' };

  // Unfold (RFC 3261 §7.3.1) and split name: value.
  const headers: Header[] = [];
  let lineCount = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > MAX_LINE) return { ok: false, reason: 'header line too long' };
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = headers[headers.length - 1];
      if (!last) return { ok: false, reason: 'continuation before any header' };
      last.value += ' ' + line.trim();
      if (last.value.length > MAX_LINE) return { ok: false, reason: 'header line too long' };
      continue;
    }
    if (++lineCount > MAX_HEADERS) return { ok: false, reason: 'too many headers' };
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, reason: 'header without name' };
    const name = line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!TOKEN.test(name)) return { ok: false, reason: 'bad header name' };
    headers.push({ name: canonicalName(name), value: line.slice(colon + 1).trim() });
  }

  const req = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/(\d{1,3}\.\d{1,3})$/.exec(startLine);
  const res = req ? null : /^SIP\/2\.0 ([1-6]\d\d) ([^\r\n]*)$/.exec(startLine);
  if (!req && !res) return { ok: false, reason: 'bad start line' };

  // Collect the headers every message needs, noting what a 400 could be addressed with.
  const all = (n: string) => headers.filter((h) => h.name.toLowerCase() === n);
  for (const n of SINGLE) if (all(n).length > 1) return fail(`more than one ${n}`);
  const via: Via[] = [];
  for (const h of all('via')) {
    const v = parseViaList(h.value);
    if (!v) return fail('bad Via');
    via.push(...v);
  }
  function fail(reason: string): ParseResult {
    if (!req) return { ok: false, reason };
    const one = (n: string) => {
      const hs = all(n);
      return hs.length === 1 ? hs[0].value : undefined;
    };
    const topVia = (() => {
      const values = all('via');
      if (!values.length) return undefined;
      const parsed = parseViaList(values[0].value);
      return parsed?.length ? parsed : undefined;
    })();
    const from = one('from');
    const to = one('to');
    const callId = one('call-id');
    const cseq = one('cseq');
    if (!topVia || !from || !to || !callId || !cseq || req[1] === 'ACK') return { ok: false, reason };
    // Never echo a control character back (a C parser on the far side would cut the header there).
    if ([from, to, callId, cseq, ...topVia.map((v) => v.raw)].some((v) => /[\x00-\x08\x0a-\x1f\x7f]/.test(v))) return { ok: false, reason };
    return { ok: false, reason, reply: { method: req[1], via: topVia, from, to, callId, cseq } };
  }
  if (control) return fail('control character in header section');
  if (via.length === 0) return fail('no Via');

  const get = (n: string) => all(n)[0]?.value;
  const fromRaw = get('from');
  const toRaw = get('to');
  const callId = get('call-id');
  const cseqRaw = get('cseq');
  if (fromRaw === undefined || toRaw === undefined || callId === undefined || cseqRaw === undefined) return fail('missing From, To, Call-ID or CSeq');
  const from = parseNameAddr(fromRaw);
  const to = parseNameAddr(toRaw);
  if (!from || !to) return fail('bad From or To');
  if (!/^[^\s]+$/.test(callId)) return fail('bad Call-ID');
  const cseq = parseCSeq(cseqRaw);
  if (!cseq) return fail('bad CSeq');

  let contentLength: number | undefined;
  const clRaw = get('content-length');
  if (clRaw !== undefined) {
    contentLength = parseUnsigned(clRaw, MAX_MESSAGE_BYTES);
    if (contentLength === undefined) return fail('bad Content-Length');
  } else if (stream) return fail('no Content-Length on a stream');
  const available = buf.length - end;
  if (contentLength !== undefined && contentLength > available) return fail('Content-Length beyond the message');
  const body = buf.subarray(end, end + (contentLength ?? available));
  const common = { headers, via, from, to, callId, cseq, contentLength, contentType: get('content-type'), body: Buffer.from(body) };

  if (res) return { ok: true, message: { kind: 'response', status: Number(res[1]), reason: res[2], ...common } };

  const method = req![1];
  const uri = req![2];
  if (/[<>"]/.test(uri) || !/^[A-Za-z][A-Za-z0-9+\-.]*:/.test(uri)) return fail('bad Request-URI');
  if (cseq.method !== method) return fail('CSeq method differs from the request method');
  let maxForwards: number | undefined;
  const mf = get('max-forwards');
  if (mf !== undefined) {
    maxForwards = parseUnsigned(mf, 255);
    if (maxForwards === undefined) return fail('bad Max-Forwards');
  }
  let contact: NameAddr | undefined;
  const contactRaw = get('contact');
  if (contactRaw !== undefined && contactRaw.trim() !== '*') {
    const first = splitOutside(contactRaw, ',')?.[0];
    contact = first === undefined ? undefined : parseNameAddr(first);
    if (!contact) return fail('bad Contact');
  }
  const requestUri = /^sips?:/i.test(uri) ? parseSipUri(uri) : undefined;
  if (/^sips?:/i.test(uri) && !requestUri) return fail('bad Request-URI');
  return { ok: true, message: { kind: 'request', method, uri, requestUri, version: req![3], maxForwards, contact, ...common } };
}
