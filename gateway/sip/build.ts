/**
 * Writing SIP: responses built from a request (RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq
 * copied, To-tag added once) and requests built inside a dialog. Always CRLF, always Content-Length
 * (our messages are framed the same on UDP and TCP).
 */
import { randomBytes } from 'node:crypto';
import type { ReplyTo } from './parse.js';
import type { Header, SipRequest } from './message.js';

export const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 500: 'Server Internal Error', 501: 'Not Implemented',
  503: 'Service Unavailable', 505: 'Version Not Supported', 513: 'Message Too Large',
};

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newBranch(): string {
  return 'z9hG4bK' + randomBytes(9).toString('base64url');
}

export function serialize(startLine: string, headers: Header[], body: Buffer = Buffer.alloc(0)): Buffer {
  const lines = [startLine];
  for (const h of headers) if (h.name.toLowerCase() !== 'content-length') lines.push(`${h.name}: ${h.value}`);
  lines.push(`Content-Length: ${body.length}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

export interface ResponseOptions {
  /** Our To-tag (RFC 3261 §8.2.6.2: added unless the request's To already carries one). */
  toTag?: string;
  reason?: string;
  headers?: Header[];
  body?: Buffer;
  contentType?: string;
}

/** The source of the copied headers: a parsed request, or what a failed parse could still read. */
type Source = SipRequest | ReplyTo;

export function buildResponse(req: Source, status: number, opts: ResponseOptions = {}): Buffer {
  const isParsed = 'kind' in req;
  const toRaw = isParsed ? rawHeader(req, 'To') : req.to;
  const hasTag = isParsed ? req.to.tag !== undefined : /;\s*tag\s*=/i.test(req.to);
  const headers: Header[] = [
    ...req.via.map((v) => ({ name: 'Via', value: v.raw })),
    { name: 'From', value: isParsed ? rawHeader(req, 'From') : req.from },
    // Every response but 100 carries our To-tag (RFC 3261 §8.2.6.2); a retransmission resends the same bytes, so one tag.
    { name: 'To', value: hasTag || status === 100 ? toRaw : `${toRaw};tag=${opts.toTag ?? newTag()}` },
    { name: 'Call-ID', value: req.callId },
    { name: 'CSeq', value: isParsed ? `${req.cseq.seq} ${req.cseq.method}` : req.cseq.trim() },
    { name: 'Server', value: 'cchub' },
    ...(opts.headers ?? []),
  ];
  if (opts.contentType) headers.push({ name: 'Content-Type', value: opts.contentType });
  return serialize(`SIP/2.0 ${status} ${opts.reason ?? REASONS[status] ?? 'Unknown'}`, headers, opts.body);
}

function rawHeader(req: SipRequest, name: string): string {
  return req.headers.find((h) => h.name === name)?.value ?? '';
}
