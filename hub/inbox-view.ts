/**
 * The inbox lists, kept hot in Redis. On the embedded store a sorted page of conversations costs a
 * scan of the whole collection (FerretDB 1.x pushes only equality filters down to PostgreSQL and sorts
 * in Go: ~1.1 s per page at 15k conversations, measured), so every change to a conversation also
 * updates its summary and its place in a few sorted sets here, and a page view is a range read.
 * MongoDB stays the record: the view is rebuilt from it whenever Redis lost it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConversationDoc } from './models/conversation.js';
import type { Models } from './models/index.js';
import { LIVE_STATUSES } from './models/types.js';
import { conversationView, type ConversationView } from './views.js';

/** How many resolved conversations the "resolved" lists keep (older ones: the customer's history). */
const CLOSED_CAP = 5000;
const BATCH = 200;

/**
 * upsert — store a conversation summary and move it between view sets, unless a newer one is stored.
 * KEYS[1] summaries hash, KEYS[2] memberships hash, KEYS[3] versions hash, KEYS[4] closed set.
 * ARGV[1] id, ARGV[2] updatedAt ms, ARGV[3] summary JSON, ARGV[4] score (lastMessageAt ms),
 * ARGV[5] JSON array of view set keys, ARGV[6] closed cap.
 * Returns 1 applied, 0 stale (a newer summary is stored).
 */
const UPSERT = `
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur and tonumber(cur) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then for _, k in ipairs(cjson.decode(old)) do redis.call('ZREM', k, ARGV[1]) end end
for _, k in ipairs(cjson.decode(ARGV[5])) do redis.call('ZADD', k, ARGV[4], ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[6])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, over - 1)) do
    redis.call('ZREM', KEYS[4], id)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
return 1`;

export interface ListQuery {
  scope: 'mine' | 'queue' | 'all';
  userId: string;
  queues: string[];
  status?: string;
  channel?: string;
  before?: Date;
  limit: number;
}

export class InboxView {
  private readonly p: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly m: Models,
    private readonly log: Logger,
  ) {
    this.p = `${prefix}:{inbox}`;
    redis.defineCommand('inboxUpsert', { numberOfKeys: 4, lua: UPSERT });
  }

  private key(name: string): string {
    return `${this.p}:${name}`;
  }

  /** The view sets a conversation belongs in. */
  private setsFor(c: ConversationDoc): string[] {
    if (!LIVE_STATUSES.includes(c.status)) return [this.key('z:closed')];
    return [this.key('z:live'), c.assigneeId ? this.key(`z:agent:${c.assigneeId}`) : this.key(`z:queue:${c.queue}`)];
  }

  async upsert(c: ConversationDoc): Promise<void> {
    const v = conversationView(c);
    try {
      await (this.redis as unknown as { inboxUpsert(...a: (string | number)[]): Promise<number> }).inboxUpsert(
        this.key('summaries'),
        this.key('members'),
        this.key('versions'),
        this.key('z:closed'),
        v.id,
        new Date(c.updatedAt).getTime(),
        JSON.stringify(v),
        new Date(c.lastMessageAt).getTime(),
        JSON.stringify(this.setsFor(c)),
        CLOSED_CAP,
      );
    } catch (e) {
      // The record is MongoDB; a lost view update is repaired by the next change or a rebuild.
      this.log.warn({ err: e }, 'inbox view update failed');
    }
  }

  async ready(): Promise<boolean> {
    return (await this.redis.exists(this.key('ready'))) === 1;
  }

  /** Build the view from MongoDB when Redis does not have it (first start, Redis data lost). One process builds. */
  async ensureBuilt(): Promise<void> {
    if (await this.ready()) return;
    if ((await this.redis.set(this.key('building'), '1', 'EX', 300, 'NX')) !== 'OK') return;
    try {
      // Equality filters only: they are pushed down to PostgreSQL on the embedded store.
      for (const status of LIVE_STATUSES) {
        const rows = (await this.m.Conversation.find({ status }).lean()) as ConversationDoc[];
        for (const c of rows) await this.upsert(c);
      }
      const closed = (await this.m.Conversation.find({ status: 'resolved' }).sort({ lastMessageAt: -1 }).limit(CLOSED_CAP).lean()) as ConversationDoc[];
      for (const c of closed) await this.upsert(c);
      await this.redis.set(this.key('ready'), String(Date.now()));
    } finally {
      await this.redis.del(this.key('building'));
    }
  }

  /** One page of a list, newest activity first; null when the view is not built (the caller asks MongoDB). */
  async list(q: ListQuery): Promise<{ items: ConversationView[]; nextCursor: string | null } | null> {
    if (!(await this.ready())) return null;
    const wantClosed = q.status === 'resolved' || q.status === 'closed';
    let sets: string[];
    if (wantClosed) sets = [this.key('z:closed')];
    else if (q.scope === 'all') sets = [this.key('z:live')];
    else if (q.scope === 'mine') sets = [this.key(`z:agent:${q.userId}`)];
    else sets = [...q.queues.map((x) => this.key(`z:queue:${x}`)), this.key(`z:agent:${q.userId}`)];
    const keep = (v: ConversationView) =>
      (!q.status || v.status === q.status) &&
      (!q.channel || v.channel === q.channel) &&
      (!wantClosed || q.scope === 'all' || (q.scope === 'mine' ? v.assignee?.id === q.userId : q.queues.includes(v.queue) && (!v.assignee || v.assignee.id === q.userId)));
    const out: ConversationView[] = [];
    let max = q.before ? `(${q.before.getTime()}` : '+inf';
    // Walk the sets together in score order, a batch at a time, until the page is full.
    for (;;) {
      const batches = await Promise.all(sets.map((k) => this.redis.zrevrangebyscore(k, max, '-inf', 'WITHSCORES', 'LIMIT', 0, BATCH)));
      const merged = new Map<string, number>();
      for (const b of batches) for (let i = 0; i < b.length; i += 2) merged.set(b[i], Number(b[i + 1]));
      if (!merged.size) break;
      // Only scores every set has fully covered are safe to emit in this round.
      const floor = Math.max(...batches.map((b) => (b.length >= BATCH * 2 ? Number(b[b.length - 1]) : -Infinity)));
      const ids = [...merged.entries()].filter(([, s]) => s >= floor).sort((a, b) => b[1] - a[1]);
      const json = ids.length ? await this.redis.hmget(this.key('summaries'), ...ids.map(([id]) => id)) : [];
      for (const j of json) {
        if (!j) continue;
        const v = JSON.parse(j) as ConversationView;
        if (keep(v)) out.push(v);
        if (out.length > q.limit) break;
      }
      if (out.length > q.limit || floor === -Infinity) break;
      max = `(${floor}`;
    }
    const items = out.slice(0, q.limit);
    return { items, nextCursor: out.length > q.limit ? items[items.length - 1].lastMessageAt : null };
  }
}
