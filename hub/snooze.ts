/**
 * Snooze: an agent puts a conversation aside until a time. It keeps its assignee and status (routing is
 * not involved: it still counts against the agent's capacity), leaves the live list for the "Snoozed"
 * one, and comes back by itself — at its time, or as soon as the customer writes.
 *
 * A customer message wakes it on the hub that stored it (ingest's `stored` callback sees the summary's
 * snoozedUntil: no extra read for conversations that are not snoozed). Snoozing also marks it read, so a
 * hub that died before waking it leaves an unread count the sweep sees as well (unless an agent read it
 * meanwhile: then it waits for its time). Snoozed ids wait in one Redis
 * sorted set (score: until). Every hub sweeps it every `SWEEP_MS`; waking is a write conditional on the
 * snooze still being the one read, so when two hubs wake the same conversation only one announces it,
 * and the id leaves the set only after the record is awake (a hub dying in between leaves it for the next sweep).
 */
import type { Logger } from 'pino';
import type { Hub } from './hub.js';
import type { SessionUser } from './api/auth-routes.js';
import type { ConversationDoc } from './models/conversation.js';
import { LIVE_STATUSES } from './models/types.js';
import { badRequest, conflict, forbidden } from '../lib/errors.js';
import { isLead } from './visibility.js';

export const SWEEP_MS = 2000;
const MIN_MS = 60_000;
const MAX_MS = 30 * 86400_000;

const key = (hub: Hub) => `${hub.config.redisPrefix}:snoozed`;

export async function snooze(hub: Hub, c: ConversationDoc, u: SessionUser, until: Date): Promise<ConversationDoc> {
  if (!LIVE_STATUSES.includes(c.status)) throw conflict('invalid_state', 'only a live conversation can be snoozed');
  if (!isLead(u) && c.assigneeId !== u.id) throw forbidden('only the assignee or a supervisor snoozes a conversation');
  const ahead = until.getTime() - Date.now();
  if (!(ahead >= MIN_MS && ahead <= MAX_MS)) throw badRequest('until must be between a minute and 30 days from now', 'bad_until');
  // Read now: a later customer message shows as unread, which is what wakes it.
  await hub.inbox.bump([{ id: String(c._id), resetUnread: true }]);
  const upd = (await hub.m.Conversation.findOneAndUpdate({ _id: c._id }, { $set: { snoozedUntil: until, unreadCount: 0, updatedAt: new Date() } }, { new: true }).lean()) as ConversationDoc;
  await hub.redis.zadd(key(hub), until.getTime(), String(c._id));
  await hub.inbox.upsert(upd);
  hub.events.conversationUpdated(upd);
  return upd;
}

/** Wake it (the agent, its time, the customer). Null when it was not snoozed (another hub woke it first). */
export async function unsnooze(hub: Hub, c: ConversationDoc, why: 'agent' | 'time' | 'customer'): Promise<ConversationDoc | null> {
  const id = String(c._id);
  if (!c.snoozedUntil) {
    await hub.redis.zrem(key(hub), id);
    return null;
  }
  const upd = (await hub.m.Conversation.findOneAndUpdate({ _id: c._id, snoozedUntil: c.snoozedUntil }, { $set: { snoozedUntil: null, updatedAt: new Date() } }, { new: true }).lean()) as ConversationDoc | null;
  await hub.redis.zrem(key(hub), id);
  if (!upd) return null;
  hub.log.info({ conversationId: id, why }, 'conversation back from snooze');
  await hub.inbox.upsert(upd);
  hub.events.conversationUpdated(upd);
  return upd;
}

export class SnoozeSweeper {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly hub: Hub,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch((e) => this.log.warn({ err: e }, 'snooze sweep failed')), SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A customer message was stored in this snoozed conversation. */
  customerWrote(id: string): void {
    void this.hub.m.Conversation.findById(id).lean()
      .then((c) => (c ? unsnooze(this.hub, c as ConversationDoc, 'customer') : null))
      .catch((e) => this.log.warn({ err: e, conversationId: id }, 'snoozed conversation not woken (the sweep retries)'));
  }

  /** Wake what is due or what the customer wrote to. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const rows = await this.hub.redis.zrange(key(this.hub), '0', '-1', 'WITHSCORES');
      const now = Date.now();
      const ids: string[] = [];
      const due = new Set<string>();
      for (let i = 0; i < rows.length; i += 2) {
        ids.push(rows[i]!);
        if (Number(rows[i + 1]) <= now) due.add(rows[i]!);
      }
      if (!ids.length) return 0;
      const views = await this.hub.inbox.summaries(ids);
      const wrote = new Set<string>();
      await Promise.all(views.map(async (v) => {
        if (v && !due.has(v.id) && (await this.hub.inbox.withCounters(v)).unreadCount > 0) wrote.add(v.id);
      }));
      let woke = 0;
      for (const id of [...due, ...wrote]) {
        const c = (await this.hub.m.Conversation.findById(id).lean()) as ConversationDoc | null;
        if (!c) {
          await this.hub.redis.zrem(key(this.hub), id);
          continue;
        }
        if (await unsnooze(this.hub, c, due.has(id) ? 'time' : 'customer')) woke++;
      }
      return woke;
    } finally {
      this.running = false;
    }
  }
}
