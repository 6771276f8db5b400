/**
 * Where the routing state lives between decisions and across failovers: Redis (append-only file on).
 * Only the leader writes, and every write is fenced by its lease token inside one Lua script, so a
 * deposed leader (paused, partitioned) can never write a stale assignment over the new leader's.
 */
import type { Redis } from 'ioredis';
import type { AgentSnapshot, TaskSnapshot } from './types.js';
import type { Changes, RouterState } from './router.js';

/**
 * acquire — take the lease if free or already ours.
 * KEYS[1] lease key. ARGV[1] token, ARGV[2] ttl ms.
 * Returns 1 = we hold the lease, 0 = another holder.
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/**
 * release — give the lease up if ours.
 * KEYS[1] lease key. ARGV[1] token. Returns 1 released, 0 not ours.
 */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * persist — write what one routing step changed, only while holding the lease, and only if every
 * earlier persist of this leader was written: the leader sends persists without waiting for the one
 * before (pipelined, in order on one connection), so each carries its number and requires the stored
 * number to be the one before it. A persist refused (fenced, or Redis unreachable) thus refuses every
 * later one until the leader reloads: the stored state never has a gap.
 * KEYS[1] lease, KEYS[2] agents hash, KEYS[3] tasks hash, KEYS[4] meta hash.
 * ARGV[1] token, ARGV[2] stream cursor, ARGV[3] seq, ARGV[4] assignSeq, ARGV[5] persist number,
 * ARGV[6] number of agent pairs A, then A × (id, json), then number of task pairs T, then T × (id, json),
 * then number of offer pairs O, then O × (agent id, task id), then number of answered contacts S, then
 * S × (service-level key, wait ms, 1 if within the queue's target else 0), then the ids of removed tasks.
 * The service-level counters (the wallboard's answered today, service level, speed of answer) go in the
 * same script as the assignment that answered the contact: a leader killed after the assignment was
 * stored can never lose its count, and a persist refused never counts one.
 * Offer pairs index the tasks offered to each agent (KEYS[5] .. agent id: a set; readers drop the
 * entries whose task is no longer offered to that agent; a set untouched for an hour, all of whose
 * offers have long expired, expires), so one agent's offers are found without reading every task.
 * Returns 1 written, 0 fenced out (not the leader, or an earlier persist missing: nothing written).
 */
const PERSIST = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[4], 'pseq') or '0') ~= tonumber(ARGV[5]) - 1 then return 0 end
redis.call('HSET', KEYS[4], 'cursor', ARGV[2], 'seq', ARGV[3], 'assignSeq', ARGV[4], 'pseq', ARGV[5])
local i = 6
local na = tonumber(ARGV[i]); i = i + 1
for _ = 1, na do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
local nt = tonumber(ARGV[i]); i = i + 1
for _ = 1, nt do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]); i = i + 2 end
local no = tonumber(ARGV[i]); i = i + 1
for _ = 1, no do
  redis.call('SADD', KEYS[5] .. ARGV[i], ARGV[i + 1])
  redis.call('EXPIRE', KEYS[5] .. ARGV[i], 3600)
  i = i + 2
end
local ns = tonumber(ARGV[i]); i = i + 1
for _ = 1, ns do
  redis.call('HINCRBY', ARGV[i], 'answered', 1)
  redis.call('HINCRBY', ARGV[i], 'waitMs', ARGV[i + 1])
  if ARGV[i + 2] == '1' then redis.call('HINCRBY', ARGV[i], 'withinTarget', 1) end
  redis.call('EXPIRE', ARGV[i], 3456000)
  i = i + 3
end
while i <= #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]); i = i + 1 end
return 1`;

/** Service level per queue and UTC day (hash: answered, withinTarget, waitMs), in the routing hash slot. */
export const slKey = (prefix: string, queue: string, day: string) => `${prefix}:{acd}:sl:${queue}:${day}`;

/** A contact answered for the first time (its first assignment): what the service-level counters add. */
export interface Answered {
  queue: string;
  day: string;
  waitMs: number;
  within: boolean;
}

export class AcdStore {
  /** The number of the last persist sent; load() sets it from what is stored. */
  private pseq = 0;
  readonly keys: { lease: string; agents: string; tasks: string; meta: string; events: string; offers: string };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // One hash tag, so a Redis Cluster keeps every key of the script in one slot.
    const p = `${prefix}:{acd}`;
    this.keys = { lease: `${p}:leader`, agents: `${p}:agents`, tasks: `${p}:tasks`, meta: `${p}:meta`, events: `${p}:events`, offers: `${p}:offers:` };
    redis.defineCommand('acdAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('acdRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('acdPersist', { numberOfKeys: 5, lua: PERSIST });
  }

  async acquire(token: string, ttlMs: number): Promise<boolean> {
    return (await (this.redis as unknown as { acdAcquire(k: string, t: string, ttl: number): Promise<number> }).acdAcquire(this.keys.lease, token, ttlMs)) === 1;
  }

  async release(token: string): Promise<void> {
    await (this.redis as unknown as { acdRelease(k: string, t: string): Promise<number> }).acdRelease(this.keys.lease, token);
  }

  /**
   * Returns false when fenced out: the caller is no longer the leader (or an earlier persist of its
   * was not written) and must drop its state and load() again. Calls may overlap: they are written
   * in the order they were made.
   */
  async persist(token: string, cursor: string, state: { seq: number; assignSeq: number }, ch: Changes, answered: Answered[] = []): Promise<boolean> {
    const args: (string | number)[] = [token, cursor, state.seq, state.assignSeq, ++this.pseq, ch.agents.length];
    for (const a of ch.agents) args.push(a.id, JSON.stringify(a));
    args.push(ch.tasks.length);
    const offers: string[] = [];
    for (const t of ch.tasks) {
      args.push(t.id, JSON.stringify(t));
      if (t.state === 'offered' && t.agentId) offers.push(t.agentId, t.id);
    }
    args.push(offers.length / 2, ...offers);
    args.push(answered.length);
    for (const a of answered) args.push(slKey(this.prefix, a.queue, a.day), Math.max(0, Math.round(a.waitMs)), a.within ? 1 : 0);
    args.push(...ch.removed);
    const r = await (this.redis as unknown as { acdPersist(...a: (string | number)[]): Promise<number> }).acdPersist(this.keys.lease, this.keys.agents, this.keys.tasks, this.keys.meta, this.keys.offers, ...args);
    return r === 1;
  }

  async load(): Promise<{ state: RouterState; cursor: string }> {
    const [agents, tasks, meta] = await Promise.all([this.redis.hgetall(this.keys.agents), this.redis.hgetall(this.keys.tasks), this.redis.hgetall(this.keys.meta)]);
    this.pseq = Number(meta.pseq ?? 0);
    return {
      state: {
        agents: Object.values(agents).map((j) => JSON.parse(j) as AgentSnapshot),
        tasks: Object.values(tasks).map((j) => JSON.parse(j) as TaskSnapshot),
        seq: Number(meta.seq ?? 0),
        assignSeq: Number(meta.assignSeq ?? 0),
      },
      cursor: meta.cursor ?? '0-0',
    };
  }

  /** The tasks offered to one agent now (from its offer index; stale entries are dropped on the way). */
  async offersTo(agentId: string): Promise<TaskSnapshot[]> {
    const key = this.keys.offers + agentId;
    const ids = await this.redis.smembers(key);
    if (!ids.length) return [];
    const rows = await this.redis.hmget(this.keys.tasks, ...ids);
    const out: TaskSnapshot[] = [];
    const stale: string[] = [];
    rows.forEach((j, i) => {
      const t = j ? (JSON.parse(j) as TaskSnapshot) : null;
      if (t && t.state === 'offered' && t.agentId === agentId) out.push(t);
      else stale.push(ids[i]);
    });
    if (stale.length) await this.redis.srem(key, ...stale);
    return out;
  }

  async readAgents(): Promise<AgentSnapshot[]> {
    return Object.values(await this.redis.hgetall(this.keys.agents)).map((j) => JSON.parse(j));
  }
  async readTasks(): Promise<TaskSnapshot[]> {
    return Object.values(await this.redis.hgetall(this.keys.tasks)).map((j) => JSON.parse(j));
  }
}
