/**
 * Conversation search on an inverted index in Redis: one set of conversation ids per token
 * (search/tokens.ts), filled as messages are stored (customer's, agents'; never internal notes) and as
 * conversations open (the customer's name and contact points). A query intersects the sets of its
 * tokens, smallest first, then shows what the caller may open, newest activity first, from the inbox
 * view's summaries. The store is not read per query, so it stays fast at 100k+ messages (bench/search.ts).
 * What was stored before this index existed is found once it changes again (no back-fill yet).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { InboxView } from '../inbox-view.js';
import type { ConversationView } from '../views.js';
import { queryTokens, tokens } from './tokens.js';

/** Conversations one query looks at before the visibility filter: a bound on work per query. */
const CANDIDATES = 500;

export class SearchIndex {
  private readonly p: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly inbox: InboxView,
    private readonly log: Logger,
  ) {
    this.p = `${prefix}:search:t:`;
  }

  /** Index texts under a conversation (fire and forget: search is a convenience, never a reason to fail a write). */
  add(conversationId: string, ...texts: (string | undefined | null)[]): void {
    const toks = new Set<string>();
    for (const t of texts) if (t) for (const k of tokens(t)) toks.add(k);
    if (!toks.size) return;
    const pipe = this.redis.pipeline();
    for (const k of toks) pipe.sadd(this.p + k, conversationId);
    pipe.exec().catch((e) => this.log.warn({ err: e }, 'search index not updated'));
  }

  /** Conversation ids holding every token of the query (at most CANDIDATES). */
  async ids(q: string): Promise<string[]> {
    const toks = queryTokens(q);
    if (!toks.length) return [];
    const sizes = await Promise.all(toks.map((k) => this.redis.scard(this.p + k)));
    if (sizes.some((n) => n === 0)) return [];
    const order = toks.map((k, i) => [k, sizes[i]!] as const).sort((a, b) => a[1] - b[1]).map(([k]) => this.p + k);
    // One common token alone (a set of tens of thousands): a sample, not the whole set; more words narrow it.
    const ids = order.length === 1 && sizes[0]! > CANDIDATES * 10 ? await this.redis.srandmember(order[0]!, CANDIDATES) : await this.redis.sinter(...order);
    return ids.slice(0, CANDIDATES);
  }

  /** Summaries of the matching conversations the caller may open, newest activity first. */
  async search(q: string, may: (v: ConversationView) => boolean, limit: number): Promise<ConversationView[]> {
    const ids = await this.ids(q);
    const views = (await this.inbox.summaries(ids)).filter((v): v is ConversationView => !!v && may(v));
    views.sort((a, b) => Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt));
    return Promise.all(views.slice(0, limit).map((v) => this.inbox.withCounters(v)));
  }
}
