/**
 * What threading remembers, in Redis (so every hub process and a restart see the same threads):
 * aliases → thread key (a Message-ID, an Outlook Thread-Index, a sender + subject within the window)
 * and the case number of each thread (the `[#CASE-n]` token in our subjects and plus-addresses).
 *
 * Keys (prefix P = the connector's key prefix, `<redisPrefix>:email`):
 *   P:alias:<kind>:<value>  → thread key          (mid/ti: 180 days; subj: the subject window)
 *   P:case:<n>              → thread key
 *   P:caseof:<thread key>   → n
 *   P:caseseq               → last case number handed out
 *   P:last:<thread key>     → the customer's latest Message-ID and its References (what a reply answers)
 *   P:acked:<thread key>    → set once the thread's auto-acknowledgement went out (one per thread)
 */
import type { Redis } from 'ioredis';

const ALIAS_TTL_SECONDS = 180 * 24 * 3600;

// KEYS[1] caseof:<key>, KEYS[2] caseseq; ARGV[1] case key prefix, ARGV[2] thread key.
// Returns the thread's case number, allocating the next one the first time: one script, so two
// processes replying on one thread at once cannot give it two numbers.
const CASE_FOR = `
local n = redis.call('GET', KEYS[1])
if n then return n end
n = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], n)
redis.call('SET', ARGV[1] .. n, ARGV[2])
return tostring(n)
`;

export type AliasKind = 'mid' | 'ti' | 'subj';

export interface Alias {
  kind: AliasKind;
  value: string;
}

export class ThreadStore {
  private readonly p: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.p = prefix;
    if (!(redis as unknown as { emailCaseFor?: unknown }).emailCaseFor) redis.defineCommand('emailCaseFor', { numberOfKeys: 2, lua: CASE_FOR });
  }

  private aliasKey(a: Alias): string {
    // Message-IDs compare case-sensitively in the local part, but mailers are sloppy: fold case.
    return `${this.p}:alias:${a.kind}:${a.value.toLowerCase()}`;
  }

  /** The thread key of the first alias known, in the order given. */
  async find(aliases: Alias[]): Promise<string | undefined> {
    if (!aliases.length) return undefined;
    const got = await this.redis.mget(aliases.map((a) => this.aliasKey(a)));
    return got.find((v): v is string => typeof v === 'string');
  }

  async byCase(n: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.p}:case:${n}`)) ?? undefined;
  }

  /**
   * Remember aliases of a thread. `own` aliases (the mail's own Message-ID) are set; others only when
   * new (a mail that references two threads must not move the first one); subject aliases move to the
   * latest mail and live for the window.
   */
  async remember(threadKey: string, own: Alias[], referenced: Alias[], subject?: { value: string; windowSeconds: number }): Promise<void> {
    const m = this.redis.multi();
    for (const a of own) m.set(this.aliasKey(a), threadKey, 'EX', ALIAS_TTL_SECONDS);
    for (const a of referenced) m.set(this.aliasKey(a), threadKey, 'EX', ALIAS_TTL_SECONDS, 'NX');
    if (subject && subject.windowSeconds > 0) m.set(this.aliasKey({ kind: 'subj', value: subject.value }), threadKey, 'EX', Math.ceil(subject.windowSeconds));
    await m.exec();
  }

  /** The customer's latest mail in the thread: a reply's In-Reply-To and References come from it. */
  async setLast(threadKey: string, messageId: string, references: string[]): Promise<void> {
    await this.redis.set(`${this.p}:last:${threadKey}`, JSON.stringify({ messageId, references: references.slice(-30) }), 'EX', ALIAS_TTL_SECONDS);
  }

  async last(threadKey: string): Promise<{ messageId: string; references: string[] } | undefined> {
    const v = await this.redis.get(`${this.p}:last:${threadKey}`);
    return v ? (JSON.parse(v) as { messageId: string; references: string[] }) : undefined;
  }

  /** True the first time only (per thread, across processes): whether this call may send the acknowledgement. */
  async firstAck(threadKey: string): Promise<boolean> {
    return (await this.redis.set(`${this.p}:acked:${threadKey}`, '1', 'EX', ALIAS_TTL_SECONDS, 'NX')) === 'OK';
  }

  /** The thread's case number (allocated on first use). */
  async caseFor(threadKey: string): Promise<string> {
    return (await (this.redis as unknown as { emailCaseFor(k1: string, k2: string, a1: string, a2: string): Promise<string> }).emailCaseFor(
      `${this.p}:caseof:${threadKey}`,
      `${this.p}:caseseq`,
      `${this.p}:case:`,
      threadKey,
    )) as string;
  }
}
