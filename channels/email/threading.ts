/**
 * Which thread (conversation) a mail belongs to. In order, the first that answers wins:
 *   0. the mail's own Message-ID, when a reply that arrived before it named it;
 *   1. In-Reply-To, then References newest first, known to us;
 *   2. Outlook's Thread-Index (its first 22 bytes name the thread), known to us;
 *   3. a case token in the subject, `[#CASE-1042]` (survives clients that drop References);
 *   4. a plus-address, `service+CASE-1042@bank.example` (survives clients that rewrite the subject);
 *   5. References/In-Reply-To we have not seen: the thread's root (References[0]) — so a reply that
 *      arrives before its parent, and the parent after it, meet on the same key;
 *   6. an unseen Thread-Index (the same rule for Outlook);
 *   7. the same sender with the same normalised subject within the window (RE:/Fwd:/答复:/回复:/转发:
 *      stripped) — keyed by sender, so two customers with one subject never merge; forwards skip it
 *      (a forward is a new matter);
 *   8. otherwise a new thread named after the mail itself.
 */
import type { ParsedMail } from './parse.js';
import type { Alias, ThreadStore } from './thread-store.js';

export type ThreadVia = 'references' | 'thread-index' | 'case-token' | 'plus-address' | 'root' | 'new-thread-index' | 'subject' | 'new';

export interface ThreadDecision {
  threadKey: string;
  via: ThreadVia;
  /** The subject began with a forward prefix (Fwd:, FW:, 转发:, 轉寄:). */
  forward: boolean;
}

const PREFIX = /^\s*(re|fw|fwd|aw|wg|sv|vs|antw|tr|答复|答覆|回复|回覆|转发|轉發|轉寄)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*/i;
const FORWARD = /^\s*(fw|fwd|wg|tr|转发|轉發|轉寄)\s*(\[\d+\]|\(\d+\))?\s*[:：]/i;
const CASE_TOKEN = /\[#CASE-(\d{1,12})\]/i;

/** The subject without reply/forward prefixes and case token, spaces collapsed, lower case. */
export function normaliseSubject(subject: string): string {
  let s = subject.replace(CASE_TOKEN, ' ');
  for (let i = 0; i < 20 && PREFIX.test(s); i++) s = s.replace(PREFIX, '');
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

export function caseToken(n: string): string {
  return `[#CASE-${n}]`;
}

/** Outlook's Thread-Index: base64 of a 22-byte header (the thread) + 5 bytes per reply. */
export function threadIndexRoot(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const b = Buffer.from(v.replace(/\s+/g, ''), 'base64');
  return b.length >= 22 ? b.subarray(0, 22).toString('hex') : undefined;
}

function plusCase(mail: ParsedMail, mailboxAddress: string): string | undefined {
  const [local, domain] = mailboxAddress.toLowerCase().split('@');
  for (const a of [...mail.deliveredTo, ...mail.to.map((t) => t.address), ...mail.cc.map((t) => t.address)]) {
    const m = /^([^+@]+)\+case-(\d{1,12})@(.+)$/i.exec(a);
    if (m && m[1].toLowerCase() === local && m[3].toLowerCase() === domain) return m[2];
  }
  return undefined;
}

function subjectAlias(mail: ParsedMail, mailbox: string): string | undefined {
  const s = normaliseSubject(mail.subject);
  const from = mail.from?.address;
  return s && from ? `${mailbox}\u0000${from}\u0000${s}` : undefined;
}

/** The mail's own identity as a thread key (Message-ID, else its content hash). */
export function ownKey(mail: ParsedMail): string {
  return mail.messageId ?? `sha256:${mail.sha256}`;
}

export async function resolveThread(mail: ParsedMail, mailbox: { name: string; address: string }, store: ThreadStore): Promise<ThreadDecision> {
  const forward = FORWARD.test(mail.subject);
  const decide = (threadKey: string, via: ThreadVia): ThreadDecision => ({ threadKey, via, forward });

  const early = mail.messageId ? await store.find([{ kind: 'mid', value: mail.messageId }]) : undefined;
  if (early) return decide(early, 'references');
  const refs = [...(mail.inReplyTo ? [mail.inReplyTo] : []), ...[...mail.references].reverse()];
  const byRef = await store.find(refs.map((value) => ({ kind: 'mid' as const, value })));
  if (byRef) return decide(byRef, 'references');
  const ti = threadIndexRoot(mail.threadIndex);
  const byTi = ti ? await store.find([{ kind: 'ti', value: ti }]) : undefined;
  if (byTi) return decide(byTi, 'thread-index');
  const token = CASE_TOKEN.exec(mail.subject)?.[1];
  const byToken = token ? await store.byCase(token) : undefined;
  if (byToken) return decide(byToken, 'case-token');
  const plus = plusCase(mail, mailbox.address);
  const byPlus = plus ? await store.byCase(plus) : undefined;
  if (byPlus) return decide(byPlus, 'plus-address');
  const root = mail.references[0] ?? mail.inReplyTo;
  if (root) return decide(root, 'root');
  if (ti) return decide(`ti:${ti}`, 'new-thread-index');
  const subj = forward ? undefined : subjectAlias(mail, mailbox.name);
  const bySubject = subj ? await store.find([{ kind: 'subj', value: subj }]) : undefined;
  if (bySubject) return decide(bySubject, 'subject');
  return decide(ownKey(mail), 'new');
}

/** Remember the mail in its thread, after it is stored: its own id, what it references, its subject. */
export async function recordThread(mail: ParsedMail, mailbox: { name: string }, threadKey: string, store: ThreadStore, windowSeconds: number): Promise<void> {
  const own: Alias[] = [{ kind: 'mid', value: ownKey(mail) }];
  const referenced: Alias[] = [...(mail.inReplyTo ? [mail.inReplyTo] : []), ...mail.references].map((value) => ({ kind: 'mid', value }));
  const ti = threadIndexRoot(mail.threadIndex);
  if (ti) referenced.push({ kind: 'ti', value: ti });
  const subj = FORWARD.test(mail.subject) ? undefined : subjectAlias(mail, mailbox.name);
  await store.remember(threadKey, own, referenced, subj ? { value: subj, windowSeconds } : undefined);
}
