/**
 * The pieces of RFC 3261 §25's grammar the gateway reads: tokens, parameters, Via, name-addr,
 * SIP URIs, CSeq. Each function returns undefined on anything it cannot read exactly — never a
 * best guess — so the parser can answer 400 instead of acting on a misread header.
 */
import { MAX_CSEQ, type CSeq, type NameAddr, type Params, type SipUri, type Via } from './message.js';

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const TOKEN_CHARS = "A-Za-z0-9\\-.!%*_+`'~";
const DISPLAY_TOKENS = new RegExp(`^[${TOKEN_CHARS}]+(?:[ \\t]+[${TOKEN_CHARS}]+)*$`);

/** Splits on `sep` outside quoted strings and <...>; returns undefined on an unbalanced quote or bracket. */
export function splitOutside(value: string, sep: string): string[] | undefined {
  const parts: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') {
      if (angle) return undefined;
      angle = true;
    } else if (ch === '>') {
      if (!angle) return undefined;
      angle = false;
    } else if (ch === sep && !angle) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted || angle) return undefined;
  parts.push(value.slice(start));
  return parts;
}

/** `;name[=value]` list (generic-param). An empty parameter (`;;`) or a bad name is an error. */
export function parseParams(text: string): Params | undefined {
  const params: Params = new Map();
  const trimmed = text.trim();
  if (trimmed === '') return params;
  if (!trimmed.startsWith(';')) return undefined;
  const parts = splitOutside(trimmed.slice(1), ';');
  if (!parts) return undefined;
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!TOKEN.test(name)) return undefined;
    if (eq < 0) {
      params.set(name.toLowerCase(), null);
      continue;
    }
    const value = part.slice(eq + 1).trim();
    // gen-value = token / host / quoted-string
    if (!/^("(?:[^"\\]|\\[\s\S])*"|[A-Za-z0-9\-.!%*_+`'~:[\]]+)$/.test(value)) return undefined;
    params.set(name.toLowerCase(), value);
  }
  return params;
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9.])?)$/;

function hostPort(text: string): { host: string; port?: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m || !HOST.test(m[1])) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1], port };
}

/**
 * One via-parm: `SIP / 2.0 / UDP host[:port] *(;param)`; LWS around the slashes is legal (RFC 4475 wsinv).
 * Any SIP/x.y is read, so a request of another version can still be answered 505 (RFC 4475 badvers).
 */
export function parseVia(raw: string): Via | undefined {
  const m = /^\s*SIP\s*\/\s*\d{1,3}\.\d{1,3}\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+(\[[0-9A-Fa-f:.]+\]|[^\s;:]+)(?:\s*:\s*(\d{1,5}))?\s*(;[\s\S]*)?$/.exec(raw);
  if (!m) return undefined;
  const hp = hostPort(m[3] === undefined ? m[2] : `${m[2]}:${m[3]}`);
  if (!hp) return undefined;
  const params = parseParams(m[4] ?? '');
  if (!params) return undefined;
  const branch = params.get('branch');
  if (branch === null) return undefined;
  return { transport: m[1].toUpperCase(), host: hp.host, port: hp.port, params, branch, raw: raw.trim() };
}

/** Every Via value of a header line (comma-separated); an empty element is an error (RFC 4475 badinv01). */
export function parseViaList(value: string): Via[] | undefined {
  const parts = splitOutside(value, ',');
  if (!parts) return undefined;
  const out: Via[] = [];
  for (const p of parts) {
    const via = parseVia(p);
    if (!via) return undefined;
    out.push(via);
  }
  return out;
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route). */
export function parseNameAddr(value: string): NameAddr | undefined {
  const v = value.trim();
  let display: string | undefined;
  let uri: string;
  let rest: string;
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const before = v.slice(0, lt).trim();
    if (before.startsWith('"')) {
      const q = /^"((?:[^"\\]|\\[\s\S])*)"$/.exec(before);
      if (!q) return undefined;
      display = q[1];
    } else if (before !== '') {
      // An unquoted display name is tokens only: "Bell, Alexander" must be quoted (RFC 4475 baddn).
      if (!DISPLAY_TOKENS.test(before)) return undefined;
      display = before;
    }
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    uri = v.slice(lt + 1, gt);
    // No LWS inside the brackets (RFC 4475 badaspec).
    if (!/^[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>"]+$/.test(uri)) return undefined;
    rest = v.slice(gt + 1);
  } else {
    const m = /^([A-Za-z][A-Za-z0-9+\-.]*:[^\s;<>"]+)\s*([\s\S]*)$/.exec(v);
    if (!m) return undefined;
    uri = m[1];
    rest = m[2];
  }
  const params = parseParams(rest);
  if (!params) return undefined;
  const tag = params.get('tag');
  return { display, uri, params, tag: tag ?? undefined };
}

/** sip: / sips: URI (RFC 3261 §19.1.1); other schemes return undefined (the caller decides: 416). */
export function parseSipUri(text: string): SipUri | undefined {
  const m = /^(sips?):([\s\S]+)$/i.exec(text);
  if (!m) return undefined;
  let rest = m[2];
  if (/[\s<>"]/.test(rest)) return undefined;
  let headers: string | undefined;
  let user: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (user === '') return undefined;
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  const hp = hostPort(semi < 0 ? rest : rest.slice(0, semi));
  if (!hp) return undefined;
  const params = parseParams(semi < 0 ? '' : rest.slice(semi));
  if (!params) return undefined;
  return { scheme: m[1].toLowerCase() as 'sip' | 'sips', user, host: hp.host, port: hp.port, params, headers };
}

/** CSeq = 1*DIGIT LWS Method, below 2**31 (RFC 4475 scalar02). */
export function parseCSeq(value: string): CSeq | undefined {
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*$/.exec(value);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > MAX_CSEQ) return undefined;
  return { seq, method: m[2] };
}

/** A non-negative decimal that fits where it goes (Content-Length, Max-Forwards, Expires). */
export function parseUnsigned(value: string, max: number): number | undefined {
  const m = /^\s*(\d{1,10})\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= max ? n : undefined;
}
