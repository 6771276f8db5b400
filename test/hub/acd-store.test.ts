/**
 * The routing state in Redis under pipelined persists (hub/acd/store.ts): the leader sends each
 * persist without waiting for the one before, so a persist that is refused (fenced out, or lost with
 * the connection) must make every later one of that leader refused too — the stored state never has
 * a gap — until the leader reloads.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { AcdStore } from '../../hub/acd/store.js';
import type { Changes } from '../../hub/acd/router.js';
import type { AgentSnapshot } from '../../hub/acd/types.js';
import { testRedisUrl } from '../helpers/db.js';

let redis: Redis;
let prefix: string;
beforeAll(() => {
  redis = new Redis(testRedisUrl(), { enableAutoPipelining: false });
  prefix = `acdstore${randomBytes(4).toString('hex')}`;
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const agent = (id: string, note: string) => ({ id, name: note, state: 'available' }) as unknown as AgentSnapshot;
const changes = (agents: AgentSnapshot[]): Changes => ({ agents, tasks: [], removed: [], decisions: [] }) as unknown as Changes;
const counters = { seq: 1, assignSeq: 1 };

test('pipelined persists are written in order; after a refused one, every later one is refused until reload', async () => {
  const store = new AcdStore(redis, prefix);
  const token = 'leader-a';
  expect(await store.acquire(token, 4000)).toBe(true);
  await store.load();

  // Three at once: all written, in order (the last write of a1 wins).
  const first = await Promise.all([
    store.persist(token, '1-1', counters, changes([agent('a1', 'one')])),
    store.persist(token, '1-2', counters, changes([agent('a1', 'two')])),
    store.persist(token, '1-3', counters, changes([agent('a2', 'three')])),
  ]);
  expect(first).toEqual([true, true, true]);
  expect((await store.readAgents()).map((a) => a.name).sort()).toEqual(['three', 'two']);

  // The lease is lost between the sends: the first refused persist drags the rest with it, even
  // though the lease is ours again by the time they run.
  await redis.del(store.keys.lease);
  const p1 = store.persist(token, '1-4', counters, changes([agent('a3', 'lost')]));
  const reacquired = store.acquire(token, 4000);
  const p2 = store.persist(token, '1-5', counters, changes([agent('a4', 'after the gap')]));
  expect(await p1).toBe(false);
  expect(await reacquired).toBe(true);
  expect(await p2).toBe(false);
  const ids = (await store.readAgents()).map((a) => a.id).sort();
  expect(ids).toEqual(['a1', 'a2']);
  expect(await redis.hget(store.keys.meta, 'cursor')).toBe('1-3');

  // Reloading resynchronises: the leader goes on from the stored state.
  await store.load();
  expect(await store.persist(token, '1-6', counters, changes([agent('a5', 'resumed')]))).toBe(true);
  expect((await store.readAgents()).map((a) => a.id).sort()).toEqual(['a1', 'a2', 'a5']);
});

test('a deposed leader cannot write, pipelined or not, while the new leader writes on', async () => {
  const p = `${prefix}b`;
  const old = new AcdStore(redis, p);
  const next = new AcdStore(redis, p);
  expect(await old.acquire('old', 4000)).toBe(true);
  await old.load();
  expect(await old.persist('old', '2-1', counters, changes([agent('x', 'old')]))).toBe(true);
  // The old leader's lease expires; the new one takes over and loads.
  await redis.del(old.keys.lease);
  expect(await next.acquire('new', 4000)).toBe(true);
  await next.load();
  const [o1, n1, o2] = await Promise.all([
    old.persist('old', '2-2', counters, changes([agent('x', 'stale')])),
    next.persist('new', '2-2', counters, changes([agent('x', 'new')])),
    old.persist('old', '2-3', counters, changes([agent('y', 'stale')])),
  ]);
  expect([o1, n1, o2]).toEqual([false, true, false]);
  expect((await next.readAgents()).map((a) => `${a.id}:${a.name}`)).toEqual(['x:new']);
});
