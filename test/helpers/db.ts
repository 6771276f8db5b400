import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';

/**
 * The test MongoDB server's URI with a database of this test file's own, so files running in
 * parallel never see each other's data. Call once per file (e.g. at module level or in
 * beforeAll) and reuse the result; every call returns a new database.
 * `name` is a readable prefix; a random suffix keeps it unique (MongoDB names ≤ 63 bytes).
 */
export function testMongoUri(dbName: string): string {
  const base = inject('MONGO_URI') ?? process.env.CCHUB_TEST_MONGO_URI;
  if (!base) throw new Error('no test MongoDB: run through vitest (test/global-setup.ts provides MONGO_URI)');
  const safe = dbName.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  const db = `t_${safe}_${randomBytes(4).toString('hex')}`;
  // String surgery rather than new URL(): mongodb:// URIs may list several hosts (h1:1,h2:2).
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(base);
  if (!m) throw new Error(`unexpected MongoDB URI: ${base}`);
  return `${m[1]}/${db}${m[2] ?? ''}`;
}

/** The test Redis URL (shared by all files: prefix your keys, or use a separate db number). */
export function testRedisUrl(): string {
  const url = inject('REDIS_URL') ?? process.env.CCHUB_TEST_REDIS_URL;
  if (!url) throw new Error('no test Redis: run through vitest (test/global-setup.ts provides REDIS_URL)');
  return url;
}
