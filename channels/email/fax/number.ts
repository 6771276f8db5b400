/**
 * The fax sender's number, from the first source that has one: a header the service sets
 * (X-Fax-From), the subject ("Fax from +86 10 8888 1234"), or a "Sender:" line in the body. The
 * body's "Receiver:"/"To:" line is our own number and is never taken: body patterns are matched
 * line by line and name the sender. The number is returned as written; the hub normalises it to
 * E.164 with the customer's identity (hub/identities.ts: fax numbers are phone numbers).
 */
import type { ParsedMail } from '../parse.js';
import type { FaxSettings } from './config.js';

export type NumberSource = 'header' | 'subject' | 'body';

export interface FaxNumber {
  /** As written, spacing and punctuation trimmed. */
  number: string;
  source: NumberSource;
}

// A fax number: digits with the usual separators, at least 5 digits, optional leading +.
const PLAUSIBLE = /^\+?\d[\d\s\-().]{3,30}$/;

function clean(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const v = raw.trim().replace(/[\s\-().]/g, '');
  return PLAUSIBLE.test(raw.trim()) && v.replace(/\D/g, '').length >= 5 ? v : undefined;
}

function firstMatch(patterns: string[], text: string, flags: string): string | undefined {
  for (const p of patterns) {
    const m = new RegExp(p, flags).exec(text);
    const n = clean(m?.[1]);
    if (n) return n;
  }
  return undefined;
}

export function faxNumber(mail: Pick<ParsedMail, 'header' | 'subject' | 'text'>, s: Pick<FaxSettings, 'numberHeaders' | 'subjectPatterns' | 'bodyPatterns'>): FaxNumber | undefined {
  for (const h of s.numberHeaders) {
    // A header may carry a name too ("Zhang <+86 10 8888 1234>"): take the number-looking part.
    const v = mail.header(h);
    const n = clean(v?.match(/\+?\d[\d\s\-().]{3,30}\d/)?.[0]);
    if (n) return { number: n, source: 'header' };
  }
  const fromSubject = firstMatch(s.subjectPatterns, mail.subject, 'i');
  if (fromSubject) return { number: fromSubject, source: 'subject' };
  // Only the first 64 KB of text: a fax mail's cover text is short, and patterns run per line.
  const fromBody = firstMatch(s.bodyPatterns, mail.text.slice(0, 65_536), 'im');
  if (fromBody) return { number: fromBody, source: 'body' };
  return undefined;
}
