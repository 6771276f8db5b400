// vitest globalSetup: starts the embedded services (PostgreSQL + the MongoDB-compatible store,
// redis-server) once per `vitest run`, in a fresh temp dir, and hands their URIs to the tests:
//   inject('MONGO_URI') / inject('REDIS_URL')  (or process.env.CCHUB_TEST_MONGO_URI / _REDIS_URL)
// Prefer test/helpers/db.ts testMongoUri(name): a database of its own per test file.
// MONGODB_URI / REDIS_URL in the environment point the tests at existing servers instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type Embedded } from '../scripts/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    MONGO_URI: string;
    REDIS_URL: string;
  }
}

let svc: Embedded | undefined;
let dir: string | undefined;

export async function setup(project: TestProject) {
  dir = mkdtempSync(join(tmpdir(), 'cchub-test-'));
  const t0 = Date.now();
  svc = await startEmbedded({ dir });
  if (process.env.CCHUB_TEST_VERBOSE) console.log(`embedded services up in ${Date.now() - t0} ms (${dir})`);
  project.provide('MONGO_URI', svc.mongoUri);
  project.provide('REDIS_URL', svc.redisUrl);
  // Set in this process before the workers are forked, so they inherit it.
  process.env.CCHUB_TEST_MONGO_URI = svc.mongoUri;
  process.env.CCHUB_TEST_REDIS_URL = svc.redisUrl;
}

export async function teardown() {
  await svc?.stop();
  svc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
