/**
 * `npm start`'s embedded services are supervised: PostgreSQL, the store and Redis each killed with
 * SIGKILL come back on the same port with their data, and clients carry on by themselves.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { startEmbedded, type Embedded } from '../../scripts/embedded.js';

let svc: Embedded;
let dir: string;
let conn: mongoose.Connection;
let redis: Redis;
const log: string[] = [];
const waiters: { re: RegExp; resolve: () => void }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cchub-supervise-'));
  // Separate services from the suite's (MONGODB_URI/REDIS_URL would make startEmbedded reuse those).
  const saved = { m: process.env.MONGODB_URI, r: process.env.REDIS_URL };
  delete process.env.MONGODB_URI;
  delete process.env.REDIS_URL;
  try {
    svc = await startEmbedded({
      dir,
      supervise: {
        log: (m) => {
          log.push(m);
          for (const w of waiters.splice(0)) if (w.re.test(m)) w.resolve(); else waiters.push(w);
        },
      },
    });
  } finally {
    if (saved.m !== undefined) process.env.MONGODB_URI = saved.m;
    if (saved.r !== undefined) process.env.REDIS_URL = saved.r;
  }
  conn = await mongoose.createConnection(svc.mongoUri + 'supervise', { serverSelectionTimeoutMS: 30_000 }).asPromise();
  redis = new Redis(svc.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // reconnecting while Redis is down is expected here
}, 240_000);

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  redis?.disconnect();
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function backAgain(name: string): Promise<void> {
  return new Promise((resolve) => waiters.push({ re: new RegExp(`embedded ${name} is back`), resolve }));
}

for (const name of ['embedded-store', 'redis-server', 'postgres']) {
  test(`${name} killed with SIGKILL comes back; what was written before is there, writes go on`, async () => {
    const docs = conn.db!.collection('docs');
    await docs.insertOne({ before: name });
    await redis.set(`before:${name}`, '1');
    const { pid } = svc.services().find((s) => s.name === name)!;
    expect(pid).toBeGreaterThan(0);
    const back = backAgain(name);
    process.kill(pid!, 'SIGKILL');
    await back;
    expect(svc.services().find((s) => s.name === name)!.pid).not.toBe(pid);
    // The clients reconnect by themselves (the first operation may still meet the dead connection).
    const retry = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await fn();
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await retry(() => docs.insertOne({ after: name }));
    expect(await retry(() => docs.countDocuments({ before: name }))).toBe(1);
    expect(await retry(() => docs.countDocuments({ after: name }))).toBe(1);
    expect(await retry(() => redis.get(`before:${name}`))).toBe('1');
  }, 60_000);
}
