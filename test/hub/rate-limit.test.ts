/** lib/rate-limit.ts against the real Redis: checks of one event-loop turn go as one script call. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { WindowLimiter } from '../../lib/rate-limit.js';
import { testRedisUrl } from '../helpers/db.js';

let redis: Redis;
const prefix = `test-rl-${randomBytes(4).toString('hex')}`;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const settle = (ps: Promise<void>[]) => Promise.allSettled(ps).then((r) => r.map((x) => x.status === 'fulfilled'));

test('one burst: the first `points` checks of a key pass, in order; other keys are counted apart', async () => {
  const lim = new WindowLimiter(redis, prefix, 3, 10);
  const a = Array.from({ length: 5 }, () => lim.consume('a'));
  const b = [lim.consume('b'), lim.consume('b')];
  expect(await settle(a)).toEqual([true, true, true, false, false]);
  expect(await settle(b)).toEqual([true, true]);
  // The window is the key's lifetime in Redis: set at its first point, not moved by later ones.
  const ttl = await redis.pttl(`${prefix}:a`);
  expect(ttl).toBeGreaterThan(8_000);
  expect(ttl).toBeLessThanOrEqual(10_000);
  expect(await settle([lim.consume('b'), lim.consume('b')])).toEqual([true, false]);
});

test('refusals carry the given error; two limiters (two hubs) share one count', async () => {
  const refusal = () => Object.assign(new Error('slow down'), { code: 'rate_limited' });
  const one = new WindowLimiter(redis, prefix, 2, 10, refusal as never);
  const two = new WindowLimiter(redis, prefix, 2, 10, refusal as never);
  await one.consume('shared');
  await two.consume('shared');
  await expect(one.consume('shared')).rejects.toThrow('slow down');
  await expect(two.consume('shared')).rejects.toThrow('slow down');
});

test('a Redis failure rejects the checks (nothing is let through unchecked)', async () => {
  const broken = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0 });
  broken.disconnect();
  const lim = new WindowLimiter(broken, prefix, 100, 10);
  await expect(lim.consume('x')).rejects.toBeInstanceOf(Error);
});
