/**
 * Typed SIP messages (RFC 3261 §7) and the limits every parse enforces. A message that reaches the
 * transaction layer has passed gateway/sip/parse.ts: its start line, Via, From, To, Call-ID, CSeq and
 * Content-Length are known good, so nothing above the parser re-checks syntax.
 */

/** Largest message we accept on any transport (RFC 3261 §18.1.1 keeps UDP well under this). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Header fields per message (after unfolding, counting each line once). */
export const MAX_HEADERS = 256;
/** One header line (after unfolding). RFC 4475's longest (longreq) is ~500 octets. */
export const MAX_LINE = 8 * 1024;
/** CSeq sequence numbers must be below 2**31 (RFC 3261 §8.1.1.5). */
export const MAX_CSEQ = 2 ** 31 - 1;

export type Transport = 'udp' | 'tcp';

export type Params = Map<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** Still %-escaped, as written (RFC 3261 §19.1.4 compares unescaped; we only read it). */
  user?: string;
  host: string;
  port?: number;
  params: Params;
  /** Everything after `?`, raw. */
  headers?: string;
}

export interface Via {
  /** UDP, TCP, TLS, SCTP... as written (upper-cased). */
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
  /** The value as received, echoed unchanged in responses (RFC 3261 §8.2.6.2). */
  raw: string;
}

export interface NameAddr {
  display?: string;
  /** The URI text between < > (or the bare addr-spec). */
  uri: string;
  params: Params;
  tag?: string;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface Header {
  /** Canonical spelling (compact forms expanded): what we write back. */
  name: string;
  value: string;
}

interface Common {
  headers: Header[];
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  contentLength?: number;
  contentType?: string;
  body: Buffer;
}

export interface SipRequest extends Common {
  kind: 'request';
  method: string;
  /** The Request-URI as written. */
  uri: string;
  /** Parsed when the scheme is sip or sips; undefined for any other scheme (the gateway answers 416). */
  requestUri?: SipUri;
  /** 2.0 for every message but one the gateway answers 505 (RFC 4475 §3.1.2.16). */
  version: string;
  maxForwards?: number;
  contact?: NameAddr;
}

export interface SipResponse extends Common {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Compact forms (RFC 3261 §7.3.3 and later RFCs) → canonical names. */
const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type', f: 'From',
  s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', r: 'Refer-To', b: 'Referred-By', u: 'Allow-Events', x: 'Session-Expires',
};
const CANONICAL = new Map(
  ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Length', 'Content-Type', 'Max-Forwards', 'Route', 'Record-Route', 'Allow', 'Supported',
    'Require', 'Proxy-Require', 'Unsupported', 'User-Agent', 'Server', 'Accept', 'Expires', 'Session-Expires', 'Min-SE', 'Reason', 'Warning', 'Retry-After']
    .map((n) => [n.toLowerCase(), n]),
);

export function canonicalName(name: string): string {
  if (name.length === 1) {
    const c = COMPACT[name.toLowerCase()];
    if (c) return c;
  }
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

export function getHeaders(m: { headers: Header[] }, name: string): string[] {
  const n = canonicalName(name).toLowerCase();
  return m.headers.filter((h) => h.name.toLowerCase() === n).map((h) => h.value);
}

export function getHeader(m: { headers: Header[] }, name: string): string | undefined {
  return getHeaders(m, name)[0];
}
