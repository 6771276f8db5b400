/**
 * A checkout where the postgres user cannot reach (cloned under /root, mode 700, the first thing many
 * people do in a container): the embedded services still start, keep their data across a restart of
 * the same directory, and a throw-away cluster placed elsewhere goes when its services stop.
 * PostgreSQL refuses to run as root, so this only arises (and is only tested) as root.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startEmbedded } from '../../scripts/embedded.js';

const isRoot = process.getuid?.() === 0;
let parent: string;
let saved: { m?: string; r?: string };

beforeAll(() => {
  // A parent only root may enter, like /root.
  parent = mkdtempSync(join(tmpdir(), 'cchub-private-'));
  execFileSync('chmod', ['700', parent]);
  // Services of our own (MONGODB_URI/REDIS_URL would make startEmbedded reuse the suite's).
  saved = { m: process.env.MONGODB_URI, r: process.env.REDIS_URL };
  delete process.env.MONGODB_URI;
  delete process.env.REDIS_URL;
});

afterAll(() => {
  if (saved.m !== undefined) process.env.MONGODB_URI = saved.m;
  if (saved.r !== undefined) process.env.REDIS_URL = saved.r;
  if (parent) rmSync(parent, { recursive: true, force: true });
});

test.skipIf(!isRoot)('embedded services start from a directory the postgres user cannot traverse, and keep their data', async () => {
  const dir = join(parent, 'checkout', '.data', 'embedded');
  mkdirSync(dir, { recursive: true });
  // The premise: postgres really cannot reach it.
  expect(() => execFileSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir])).toThrow();

  let svc = await startEmbedded({ dir, persistent: true });
  const where = readFileSync(join(dir, 'pg-location.txt'), 'utf8').split('\n')[1];
  try {
    expect(where).toMatch(/^\/var\/lib\/cchub\/pg-[0-9a-f]{16}$/);
    const conn = await mongoose.createConnection(svc.mongoUri + 'private', { serverSelectionTimeoutMS: 30_000 }).asPromise();
    await conn.db!.collection('things').insertOne({ _id: 'kept' as never, n: 1 });
    await conn.close();
    await svc.stop();
    // The same directory again finds the same cluster and its data.
    svc = await startEmbedded({ dir, persistent: true });
    const again = await mongoose.createConnection(svc.mongoUri + 'private', { serverSelectionTimeoutMS: 30_000 }).asPromise();
    expect(await again.db!.collection('things').findOne({ _id: 'kept' as never })).toMatchObject({ n: 1 });
    await again.close();
  } finally {
    await svc.stop();
    rmSync(where, { recursive: true, force: true });
  }
}, 240_000);

test.skipIf(!isRoot)('a throw-away cluster placed outside its directory is removed when its services stop', async () => {
  const dir = join(parent, 'tmp-run');
  mkdirSync(dir, { recursive: true });
  const svc = await startEmbedded({ dir });
  const where = readFileSync(join(dir, 'pg-location.txt'), 'utf8').split('\n')[1];
  expect(existsSync(join(where, 'data', 'PG_VERSION'))).toBe(true);
  await svc.stop();
  expect(existsSync(where)).toBe(false);
}, 240_000);
