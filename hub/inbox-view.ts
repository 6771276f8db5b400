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
import { maskSensitive } from './mask.js';
import { bulkWriteChunked } from './bulk.js';
import { Types } from 'mongoose';

/** How many resolved conversations the "resolved" lists keep (older ones: the customer's history). */
const CLOSED_CAP = 5000;
const BATCH = 200;

/**
 * upsert — store a conversation summary and move it between view sets, unless a newer one is stored.
 * The message counters (unread, count, last message time and preview) live beside it and are only
 * seeded from the document: once here they are ahead of MongoDB (bump() below, written back by flush()).
 * KEYS[1] summaries hash, KEYS[2] memberships hash, KEYS[3] versions hash, KEYS[4] closed set,
 * KEYS[5] counters hash.
 * ARGV[1] id, ARGV[2] updatedAt ms, ARGV[3] summary JSON, ARGV[4] lastMessageAt ms,
 * ARGV[5] JSON array of view set keys, ARGV[6] closed cap, ARGV[7] unread, ARGV[8] message count,
 * ARGV[9] last message preview.
 * Returns 1 applied, 0 stale (a newer summary is stored).
 */
const UPSERT = `
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur and tonumber(cur) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSETNX', KEYS[5], ARGV[1] .. ':u', ARGV[7])
redis.call('HSETNX', KEYS[5], ARGV[1] .. ':n', ARGV[8])
local t = tonumber(redis.call('HGET', KEYS[5], ARGV[1] .. ':t'))
if not t or tonumber(ARGV[4]) > t then
  t = tonumber(ARGV[4])
  redis.call('HSET', KEYS[5], ARGV[1] .. ':t', ARGV[4], ARGV[1] .. ':p', ARGV[9])
end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then for _, k in ipairs(cjson.decode(old)) do redis.call('ZREM', k, ARGV[1]) end end
for _, k in ipairs(cjson.decode(ARGV[5])) do redis.call('ZADD', k, t, ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[6])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, over - 1)) do
    redis.call('ZREM', KEYS[4], id)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[5], id .. ':u', id .. ':n', id .. ':t', id .. ':p', id .. ':v')
  end
end
return 1`;

/**
 * bump — new messages in conversations: counters move, each conversation moves up its lists, and it
 * is marked for write-back to MongoDB. This, not a MongoDB update, is what a stored message costs.
 * One call carries a whole ingest batch (one script run, one reply).
 * KEYS[1] summaries hash, KEYS[2] memberships hash, KEYS[3] counters hash, KEYS[4] dirty set,
 * KEYS[5] prefix of the per-conversation sets of counted message ids.
 * ARGV: seven per conversation: id, unread delta, message delta, message time ms ('' = none),
 * preview, '1' to set unread to zero first, message ids (space-separated, '' = none).
 * With message ids the deltas are per message, and only messages not counted before count: the ids
 * counted are kept per conversation (the newest 200, for two days), so a message sent again after
 * its first attempt died between being stored and being counted is counted once, and one that was
 * counted is not counted again.
 * Every bump raises the counters' version (id:v), so a slower write-back of older counters can never
 * overwrite newer ones in MongoDB (flush() writes only over a lower version).
 * Returns per conversation { unread, count, last ms, preview, summary JSON or '' }.
 */
const BUMP = `
local out = {}
for i = 1, #ARGV, 7 do
  local id = ARGV[i]
  local du, dn, fresh = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), true
  if ARGV[i + 6] ~= '' then
    local set = KEYS[5] .. id
    local k = 0
    local score = ARGV[i + 3] ~= '' and ARGV[i + 3] or '0'
    for mid in string.gmatch(ARGV[i + 6], '%S+') do k = k + redis.call('ZADD', set, 'NX', score, mid) end
    redis.call('ZREMRANGEBYRANK', set, 0, -201)
    redis.call('EXPIRE', set, 172800)
    du, dn, fresh = du * k, dn * k, k > 0
  end
  if ARGV[i + 5] == '1' then redis.call('HSET', KEYS[3], id .. ':u', 0) end
  redis.call('HINCRBY', KEYS[3], id .. ':v', 1)
  local u = redis.call('HINCRBY', KEYS[3], id .. ':u', du)
  local n = redis.call('HINCRBY', KEYS[3], id .. ':n', dn)
  if fresh and ARGV[i + 3] ~= '' then
    local t = tonumber(redis.call('HGET', KEYS[3], id .. ':t'))
    if not t or tonumber(ARGV[i + 3]) >= t then
      redis.call('HSET', KEYS[3], id .. ':t', ARGV[i + 3], id .. ':p', ARGV[i + 4])
      local m = redis.call('HGET', KEYS[2], id)
      if m then for _, k in ipairs(cjson.decode(m)) do redis.call('ZADD', k, ARGV[i + 3], id) end end
    end
  end
  redis.call('SADD', KEYS[4], id)
  out[#out + 1] = { u, n, redis.call('HGET', KEYS[3], id .. ':t') or '', redis.call('HGET', KEYS[3], id .. ':p') or '', redis.call('HGET', KEYS[1], id) or '' }
end
return out`;

export interface Bump {
  id: string;
  /** New unread inbound messages. */
  unread?: number;
  /** New messages either way. */
  messages?: number;
  /** Time of the newest of them. */
  at?: Date;
  preview?: string;
  /** The agent read everything (before adding `unread`). */
  resetUnread?: boolean;
  /**
   * The messages this bump is for: `unread` and `messages` are then per message, and a message
   * counted before (sent again after a crash, or twice) is not counted again.
   */
  messageIds?: string[];
}

/** Live counters of a conversation; v is their version (0 where not needed). */
type Counters = { u: number; n: number; t: number; p: string; v: number };

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
  /** Write-backs in progress in this process. */
  private flushing = new Set<Promise<number>>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly m: Models,
    private readonly log: Logger,
  ) {
    this.p = `${prefix}:{inbox}`;
    redis.defineCommand('inboxUpsert', { numberOfKeys: 5, lua: UPSERT });
    redis.defineCommand('inboxBump', { numberOfKeys: 5, lua: BUMP });
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
        this.key('counters'),
        v.id,
        new Date(c.updatedAt).getTime(),
        JSON.stringify(v),
        new Date(c.lastMessageAt).getTime(),
        JSON.stringify(this.setsFor(c)),
        CLOSED_CAP,
        c.unreadCount ?? 0,
        c.messageCount ?? 0,
        c.lastMessagePreview ?? '',
      );
    } catch (e) {
      // The record is MongoDB; a lost view update is repaired by the next change or a rebuild.
      this.log.warn({ err: e }, 'inbox view update failed');
    }
  }

  /**
   * Store a summary that is not read from a record: routing's stored decision applied to the summary
   * this view holds, so the lists and consoles get an assignment before its record is written
   * (hub/acd/announce.ts; the record follows with the same updatedAt). Returns false when stale.
   */
  async upsertView(v: ConversationView): Promise<boolean> {
    const live = LIVE_STATUSES.includes(v.status as never);
    const sets = live ? [this.key('z:live'), v.assignee ? this.key(`z:agent:${v.assignee.id}`) : this.key(`z:queue:${v.queue}`)] : [this.key('z:closed')];
    const r = await (this.redis as unknown as { inboxUpsert(...a: (string | number)[]): Promise<number> }).inboxUpsert(
      this.key('summaries'),
      this.key('members'),
      this.key('versions'),
      this.key('z:closed'),
      this.key('counters'),
      v.id,
      new Date(v.updatedAt).getTime(),
      JSON.stringify(v),
      new Date(v.lastMessageAt).getTime(),
      JSON.stringify(sets),
      CLOSED_CAP,
      v.unreadCount ?? 0,
      0,
      v.lastMessagePreview ?? '',
    );
    return r === 1;
  }

  /** Record new messages (or a read) for several conversations in one round trip; their summaries with fresh counters. */
  async bump(items: Bump[]): Promise<Map<string, ConversationView | null>> {
    const out = new Map<string, ConversationView | null>();
    if (!items.length) return out;
    const args = items.flatMap((b) => [b.id, b.unread ?? 0, b.messages ?? 0, b.at ? b.at.getTime() : '', b.preview ?? '', b.resetUnread ? '1' : '0', b.messageIds?.join(' ') ?? '']);
    const res = await (this.redis as unknown as { inboxBump(...a: (string | number)[]): Promise<unknown> }).inboxBump(
      this.key('summaries'),
      this.key('members'),
      this.key('counters'),
      this.key('dirty'),
      this.key('counted:'),
      ...args,
    );
    if (!Array.isArray(res) || res.length !== items.length) throw new Error('inbox bump failed');
    items.forEach((b, i) => {
      const [u, n, t, p, json] = res[i] as [number, number, string, string, string];
      out.set(b.id, json ? overlay(JSON.parse(json) as ConversationView, { u: Number(u), n: Number(n), t: Number(t), p, v: 0 }) : null);
    });
    return out;
  }

  /** A conversation's summary as the view holds it (queue, assignee, status...); null when the view does not know it. */
  async summary(id: string): Promise<ConversationView | null> {
    const json = await this.redis.hget(this.key('summaries'), id);
    return json ? (JSON.parse(json) as ConversationView) : null;
  }

  /** Many summaries at once, in the order asked (null where the view does not know one). */
  async summaries(ids: string[]): Promise<(ConversationView | null)[]> {
    if (!ids.length) return [];
    const out: (ConversationView | null)[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.redis.hmget(this.key('summaries'), ...ids.slice(i, i + 1000));
      for (const j of rows) out.push(j ? (JSON.parse(j) as ConversationView) : null);
    }
    return out;
  }

  /** Every conversation the lists show as live (the routing leader's sweep compares them with the records). */
  liveIds(): Promise<string[]> {
    return this.redis.zrange(this.key('z:live'), '0', '-1');
  }

  /** A conversation's summary with the live counters (MongoDB's copy of them lags by up to a flush). */
  async view(c: ConversationDoc): Promise<ConversationView> {
    const v = conversationView(c);
    const [cn] = await this.counters([v.id]);
    return cn ? overlay(v, cn) : v;
  }

  /** A stored summary with the live counters. */
  async withCounters(v: ConversationView): Promise<ConversationView> {
    const [cn] = await this.counters([v.id]);
    return cn ? overlay(v, cn) : v;
  }

  private async counters(ids: string[]): Promise<(Counters | null)[]> {
    if (!ids.length) return [];
    const raw = await this.redis.hmget(this.key('counters'), ...ids.flatMap((id) => [`${id}:u`, `${id}:n`, `${id}:t`, `${id}:p`, `${id}:v`]));
    return ids.map((_, i) => (raw[i * 5] === null ? null : { u: Number(raw[i * 5]), n: Number(raw[i * 5 + 1]), t: Number(raw[i * 5 + 2]), p: raw[i * 5 + 3] ?? '', v: Number(raw[i * 5 + 4] ?? 0) }));
  }

  /**
   * Write counters back to MongoDB for conversations that changed, a bounded number per call: at most
   * `max` updates, in commands of 25 (hub/bulk.ts). Any hub may run it; SPOP hands each id to one.
   */
  flush(max = 100): Promise<number> {
    const p = this.flushOnce(max);
    this.flushing.add(p);
    void p.finally(() => this.flushing.delete(p)).catch(() => undefined);
    return p;
  }

  private async flushOnce(max: number): Promise<number> {
    const ids = (await this.redis.spop(this.key('dirty'), max)) as string[];
    if (!ids.length) return 0;
    const cs = await this.counters(ids);
    const ops = ids.flatMap((id, i) => {
      const c = cs[i];
      if (!c || !/^[0-9a-f]{24}$/.test(id)) return [];
      // Only over older counters: two flushes of one conversation may finish out of order.
      const filter = { _id: new Types.ObjectId(id), $or: [{ counterVersion: { $lt: c.v } }, { counterVersion: { $exists: false } }] };
      return [{ updateOne: { filter, update: { $set: { unreadCount: c.u, messageCount: c.n, lastMessagePreview: c.p, counterVersion: c.v }, ...(c.t ? { $max: { lastMessageAt: new Date(c.t) } } : {}) } } }];
    });
    try {
      await bulkWriteChunked(this.m.Conversation.collection, ops as never, { ordered: false });
    } catch (e) {
      await this.redis.sadd(this.key('dirty'), ...ids); // try again next time
      throw e;
    }
    return ids.length;
  }

  /** Flush everything dirty (shutdown, tests). */
  /** Everything dirty written, including what a background flush had already taken (shutdown, tests). */
  async flushAll(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.flushing]);
      if ((await this.flush(500)) === 0 && this.flushing.size === 0) return;
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
    if (!(await this.ready())) {
      // Redis lost the view (restart without its data, flush): rebuild it in the background.
      void this.ensureBuilt().catch((e) => this.log.error({ err: e }, 'inbox view rebuild failed'));
      return null;
    }
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
      const cs = await this.counters(ids.map(([id]) => id));
      for (let k = 0; k < json.length; k++) {
        const j = json[k];
        if (!j) continue;
        const v = cs[k] ? overlay(JSON.parse(j) as ConversationView, cs[k]!) : (JSON.parse(j) as ConversationView);
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

/** A summary with live counters; its updatedAt is the newer of the summary's and the last message's. */
function overlay(v: ConversationView, c: Counters): ConversationView {
  const last = c.t ? new Date(c.t).toISOString() : v.lastMessageAt;
  return {
    ...v,
    unreadCount: c.u,
    lastMessageAt: last > v.lastMessageAt ? last : v.lastMessageAt,
    lastMessagePreview: c.t ? maskSensitive(c.p) : v.lastMessagePreview,
    updatedAt: last > v.updatedAt ? last : v.updatedAt,
  };
}
