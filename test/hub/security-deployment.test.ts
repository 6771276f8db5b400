/**
 * Issue 16, deployment defaults, as an attacker reaching the port would try them: demo logins on a
 * reachable hub, framing the console, reading /metrics, an agent hiding a not-ready spell as
 * supervisor-forced or ring-no-answer, a conversation reassigned to a marketing user; and the first
 * admin created by a command that asks for the password.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { api, loginAs, startTestHub, TEST_JWT_SECRET, type TestHub } from '../helpers/hub.js';
import { testMongoUri, testRedisUrl } from '../helpers/db.js';

let h: TestHub;
beforeAll(async () => {
  h = await startTestHub({ name: 'sec-deploy' });
});
afterAll(async () => {
  await h?.close();
});

test('every response carries a strict CSP (no inline script, no framing) and the usual headers', async () => {
  for (const path of ['/console/', '/api/webchat/status', '/api/me', '/nope', '/healthz', '/demo/']) {
    const r = await fetch(h.url + path);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp, path).toContain("script-src 'self'");
    expect(csp, path).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options'), path).toBe('DENY');
    expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
    expect(r.headers.get('referrer-policy'), path).toBe('no-referrer');
  }
});

test('/metrics: with a token set, nobody without it reads them', async () => {
  const token = randomBytes(16).toString('hex');
  const m = await startTestHub({ name: 'sec-metrics', overrides: { metricsToken: token }, seed: false });
  try {
    expect((await fetch(`${m.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${m.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect((await fetch(`${m.url}/metrics?token=${token}`)).status).toBe(401);
    const ok = await fetch(`${m.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('# HELP');
  } finally {
    await m.close();
  }
});

test('an agent cannot set their own not-ready reason to supervisor or rona', async () => {
  const t = await loginAs(h.url, 'agent1');
  expect((await api(h.url, '/api/acd/me/state', { token: t, body: { state: 'notready', reason: 'meal' } })).status).toBe(200);
  for (const reason of ['supervisor', 'rona']) {
    const r = await api(h.url, '/api/acd/me/state', { token: t, body: { state: 'notready', reason } });
    expect(r.status, reason).toBe(400);
    expect(r.body.error.code).toBe('invalid_body');
  }
  expect((await api(h.url, '/api/acd/me', { token: t })).body.agent.reason).toBe('meal');
});

test('a conversation cannot be reassigned to a marketing user, nor a marketing user forced into a state', async () => {
  const sup = await loginAs(h.url, 'super1');
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: `sec-re-${randomBytes(4).toString('hex')}`, customer: { identity: { channel: 'sms', address: addr } }, from: addr, text: 'hi', queue: 'general' });
  const market = String((await h.hub.m.User.findOne({ username: 'market1' }).lean())!._id);
  const re = await api(h.url, `/api/acd/conversations/${r.conversation._id}/reassign`, { token: sup, body: { agentId: market, force: true } });
  expect(re.status).toBe(400);
  expect(re.body.error.code).toBe('invalid_target');
  expect((await h.hub.m.Conversation.findById(r.conversation._id).lean())!.assigneeId ?? null).not.toBe(market);
  const st = await api(h.url, `/api/acd/agents/${market}/state`, { token: sup, body: { state: 'available' } });
  expect(st.status).toBe(400);
});

test('demo seeding is off unless asked for; a hub listening beyond loopback refuses demo passwords', async () => {
  expect(loadConfig({}, {}).seedDemo).toBe(false);
  // Bound to every interface (the test itself still talks to 127.0.0.1 only).
  const wide = await startTestHub({ name: 'sec-wide', overrides: { host: '0.0.0.0' } });
  try {
    const r = await api(wide.url.replace('0.0.0.0', '127.0.0.1'), '/api/auth/login', { body: { username: 'admin', password: 'adminpass' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    const admin = await wide.hub.m.User.findOne({ username: 'agent1' }).lean();
    const { hashPassword } = await import('../../hub/auth/password.js');
    await wide.hub.m.User.updateOne({ _id: admin!._id }, { $set: { passwordHash: await hashPassword('a-private-password') } });
    expect((await api(wide.url.replace('0.0.0.0', '127.0.0.1'), '/api/auth/login', { body: { username: 'agent1', password: 'a-private-password' } })).status).toBe(200);
  } finally {
    await wide.close();
  }
});

/** Run a script with tsx, stdin given, environment added; resolves its exit code and output. */
function run(script: string, env: Record<string, string>, stdin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    p.on('exit', (code) => resolve({ code, out }));
    p.stdin.end(stdin);
  });
}

test('npm start refuses to seed the demo logins on a hub others can reach', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sec-start-'));
  try {
    const r = await run('scripts/start.ts', { HOST: '0.0.0.0', PORT: '0', CCHUB_SEED_DEMO: '1', MONGODB_URI: testMongoUri('sec-start'), REDIS_URL: testRedisUrl(), CCHUB_DATA_DIR: dir, CCHUB_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' }, '');
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/refusing to seed the demo logins/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('create-admin asks for the password, refuses short, demo and mistyped ones, and creates an admin that can sign in', async () => {
  const env = { MONGODB_URI: h.mongoUri, LOG_LEVEL: 'silent' };
  for (const [input, why] of [['root1\nRoot\nshort\n', /shorter than 10/], ['root1\nRoot\nsuper1pass-x\nsuper1pass-y\n', /differ/]] as const) {
    const r = await run('scripts/create-admin.ts', env, input);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(why);
  }
  expect(await h.hub.m.User.exists({ username: 'root1' })).toBeNull();
  const ok = await run('scripts/create-admin.ts', env, 'root1\nRoot Admin\na-long-secret-1\na-long-secret-1\n');
  expect(ok.code, ok.out).toBe(0);
  expect(ok.out).not.toContain('a-long-secret-1');
  const t = await loginAs(h.url, 'root1', 'a-long-secret-1');
  expect((await api(h.url, '/api/me', { token: t })).body.user.role).toBe('admin');
  expect(await h.hub.m.Audit.countDocuments({ action: 'user.create', 'actor.id': 'create-admin' })).toBe(1);
  expect((await run('scripts/create-admin.ts', env, 'root1\nAgain\na-long-secret-2\na-long-secret-2\n')).out).toMatch(/taken/);
}, 180_000);
