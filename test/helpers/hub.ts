/**
 * Start a real hub in this test process against the test store and Redis: its own database and Redis
 * key prefix unless given, a shared JWT secret so several hubs (two "processes") accept each other's tokens.
 */
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from '../../config/index.js';
import { Hub } from '../../hub/hub.js';
import type { ConnectorDefinition } from '../../channels/contract.js';
import { seedDemo } from '../../hub/seed.js';
import { testMongoUri, testRedisUrl } from './db.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestHub {
  hub: Hub;
  url: string;
  mongoUri: string;
  redisPrefix: string;
  close(): Promise<void>;
}

export async function startTestHub(opts: { name?: string; mongoUri?: string; redisPrefix?: string; overrides?: Record<string, unknown>; seed?: boolean; log?: Logger; connectors?: readonly ConnectorDefinition[] } = {}): Promise<TestHub> {
  const mongoUri = opts.mongoUri ?? testMongoUri(opts.name ?? 'hub');
  const redisPrefix = opts.redisPrefix ?? `t${randomBytes(4).toString('hex')}`;
  const config: Config = loadConfig(
    { port: 0, host: '127.0.0.1', mongoUri, redisUrl: testRedisUrl(), redisPrefix, jwtSecret: TEST_JWT_SECRET, logLevel: 'silent', ...(opts.overrides ?? {}) },
    {},
  );
  const hub = await Hub.create(config, opts.log ?? pino({ level: process.env.CCHUB_TEST_LOG ?? 'silent' }), { connectors: opts.connectors });
  if (opts.seed !== false) await seedDemo(hub.m);
  const url = await hub.listen();
  return { hub, url, mongoUri, redisPrefix, close: () => hub.close() };
}

/** JSON over fetch with an optional bearer token. */
export async function api(base: string, path: string, init: { method?: string; body?: unknown; token?: string; raw?: string; headers?: Record<string, string> } = {}) {
  const r = await fetch(base + path, {
    method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'),
    headers: { ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers ?? {}) },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await r.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body };
}

export async function loginAs(base: string, username: string, password = `${username}pass`): Promise<string> {
  const r = await api(base, '/api/auth/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}
