/**
 * Issue 16, sessions and tokens, each as the attacker's request with the refusal expected: tokens that
 * outlive a role, password or account change, staff tokens in URLs, visitor tokens in attachment links,
 * sign-in spraying, a forged X-Forwarded-For, a flood of console sockets, and visitor sessions resumed
 * forever.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SignJWT } from 'jose';
import { api, loginAs, startTestHub, TEST_JWT_SECRET, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

let h: TestHub;
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'sec-sessions', overrides: { trustProxy: 1, agentSocketsPerUser: 3, 'login.perIp': 5, 'login.perAccount': 4, 'login.global': 1000 } });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

/** Each test signs in from its own client address (the hub trusts one proxy hop here). */
let nextIp = 10;
const ipHeader = () => ({ 'x-forwarded-for': `203.0.113.${nextIp++}` });

async function admin() {
  return loginAs(h.url, 'admin');
}
async function createUser(username: string, role = 'agent') {
  const r = await api(h.url, '/api/admin/users', { token: await admin(), body: { username, name: username, role, password: `${username}-password`, queues: ['general'] } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.user.id as string;
}
const signIn = (username: string) => loginAs(h.url, username, `${username}-password`);
const patch = async (id: string, body: unknown) => {
  const r = await api(h.url, `/api/admin/users/${id}`, { method: 'PATCH', token: await admin(), body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const refusal = (p: Promise<unknown>) => p.then(() => 'connected', (e: { code?: string; data?: { code?: string } }) => e.code ?? e.data?.code);

test('an agent demoted to marketing: the old token opens no /agent socket and calls no API; the open socket is dropped at once', async () => {
  const id = await createUser('demoted1');
  const token = await signIn('demoted1');
  const s = await sockets.connect(h.url, '/agent', token);
  const dropped = nextEvent(s, 'disconnect');
  await patch(id, { role: 'marketing' });
  await dropped;
  expect(await refusal(sockets.connect(h.url, '/agent', token))).toBe('unauthorized');
  expect((await api(h.url, '/api/me', { token })).status).toBe(401);
  // Signed in again as marketing: still no inbox socket (the stored role decides, not the token's).
  expect(await refusal(sockets.connect(h.url, '/agent', await signIn('demoted1')))).toBe('forbidden');
});

test('a password change revokes every earlier token and drops the open consoles', async () => {
  const id = await createUser('pwchange1');
  const token = await signIn('pwchange1');
  const s = await sockets.connect(h.url, '/agent', token);
  const dropped = nextEvent(s, 'disconnect');
  const r = await api(h.url, `/api/admin/users/${id}`, { method: 'PATCH', token: await admin(), body: { password: 'a-brand-new-password' } });
  expect(r.status).toBe(200);
  await dropped;
  expect((await api(h.url, '/api/me', { token })).status).toBe(401);
  expect(await refusal(sockets.connect(h.url, '/agent', token))).toBe('unauthorized');
  expect((await api(h.url, '/api/me', { token: await loginAs(h.url, 'pwchange1', 'a-brand-new-password') })).status).toBe(200);
});

test('disabling then re-enabling an account does not bring its old tokens back to life', async () => {
  const id = await createUser('reenable1');
  const token = await signIn('reenable1');
  await patch(id, { active: false });
  expect((await api(h.url, '/api/me', { token })).status).toBe(401);
  await patch(id, { active: true });
  expect((await api(h.url, '/api/me', { token })).status).toBe(401);
  expect(await refusal(sockets.connect(h.url, '/agent', token))).toBe('unauthorized');
  expect((await api(h.url, '/api/me', { token: await signIn('reenable1') })).status).toBe(200);
});

test('a staff token in ?token= is refused on every route; only the Authorization header counts', async () => {
  const token = await loginAs(h.url, 'super1');
  for (const path of ['/api/me', '/api/conversations', '/api/acd/overview', '/api/admin/users', '/api/attachments/000000000000000000000000']) {
    const r = await api(h.url, `${path}?token=${encodeURIComponent(token)}`);
    expect(r.status, path).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  }
});

test('sign-in spraying: many usernames from one IP are limited per IP, whatever the username', async () => {
  const ip = ipHeader();
  const tries = [];
  for (let i = 0; i < 8; i++) tries.push((await api(h.url, '/api/auth/login', { headers: ip, body: { username: `nobody${i}`, password: 'guess-guess' } })).status);
  expect(tries.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
  expect(tries.slice(5)).toEqual([429, 429, 429]);
  // The right password from that IP waits too (no oracle while limited).
  expect((await api(h.url, '/api/auth/login', { headers: ip, body: { username: 'agent2', password: 'agent2pass' } })).status).toBe(429);
});

test('one account guessed from many IPs is limited per account, from any IP', async () => {
  await createUser('target1');
  const tries = [];
  for (let i = 0; i < 6; i++) tries.push((await api(h.url, '/api/auth/login', { headers: ipHeader(), body: { username: 'target1', password: `wrong-${i}` } })).status);
  expect(tries).toEqual([401, 401, 401, 401, 429, 429]);
  // Another account from a fresh IP is not affected.
  expect((await api(h.url, '/api/auth/login', { headers: ipHeader(), body: { username: 'agent2', password: 'agent2pass' } })).status).toBe(200);
});

test('a client writing its own X-Forwarded-For entry cannot pick its IP: the hub believes exactly one hop', async () => {
  const proxySaw = `198.51.100.${nextIp++}`;
  const tries = [];
  for (let i = 0; i < 7; i++) {
    // The client put a fresh fake address at the left; our one proxy appended the real one.
    const r = await api(h.url, '/api/auth/login', { headers: { 'x-forwarded-for': `10.9.8.${i}, ${proxySaw}` }, body: { username: `spray${i}`, password: 'guess-guess' } });
    tries.push(r.status);
  }
  expect(tries).toEqual([401, 401, 401, 401, 401, 429, 429]);
  const audit = await h.hub.m.Audit.findOne({ action: 'auth.login_failed', 'actor.id': 'spray0' }).lean();
  expect(audit?.ip).toBe(proxySaw);
});

test('the sign-in limit for the whole hub caps attempts from everywhere', async () => {
  const g = await startTestHub({ name: 'sec-sessions-global', overrides: { trustProxy: 1, 'login.global': 3 } });
  try {
    const tries = [];
    for (let i = 0; i < 5; i++) tries.push((await api(g.url, '/api/auth/login', { headers: { 'x-forwarded-for': `192.0.2.${i}` }, body: { username: `u${i}`, password: 'guess-guess' } })).status);
    expect(tries).toEqual([401, 401, 401, 429, 429]);
  } finally {
    await g.close();
  }
});

test('console sockets per user are capped across the hub; closing one frees its slot', async () => {
  const token = await loginAs(h.url, 'agent2');
  const open = [];
  for (let i = 0; i < 3; i++) open.push(await sockets.connect(h.url, '/agent', token));
  expect(await refusal(sockets.connect(h.url, '/agent', token))).toBe('rate_limited');
  const gone = nextEvent(open[0], 'disconnect');
  open[0].close();
  await gone;
  // The server hears the close a moment after the client: wait for the slot to be released.
  const key = `${h.redisPrefix}:agentsockets:${(await api(h.url, '/api/me', { token })).body.user.id}`;
  await waitFor(async () => (await h.hub.redis.zcard(key)) < 3, 5000, 'slot released');
  expect(await refusal(sockets.connect(h.url, '/agent', token))).toBe('connected');
});

test('a visitor session has an absolute lifetime: an old session can neither be resumed nor connect', async () => {
  const first = await api(h.url, '/api/webchat/session', { body: { name: 'Old Visitor' } });
  expect(first.status).toBe(200);
  const claims = await h.hub.tokens.verify(first.body.token, 'visitor');
  // The same session, begun eight days ago (the default lifetime is seven): a token signed for it now.
  const old = await h.hub.tokens.sign({ ...claims, kind: 'visitor', sst: Math.floor(Date.now() / 1000) - 8 * 86400 });
  expect(await refusal(sockets.connect(h.url, '/webchat', old))).toBe('unauthorized');
  // Even a token whose own expiry is still ahead (signed with the secret, not capped) is refused by its start.
  const forged = await new SignJWT({ ...claims, sst: Math.floor(Date.now() / 1000) - 8 * 86400 })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('cchub')
    .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  expect(await refusal(sockets.connect(h.url, '/webchat', forged))).toBe('unauthorized');
  const resumed = await api(h.url, '/api/webchat/session', { body: { name: 'Old Visitor', token: old } });
  expect(resumed.status).toBe(200);
  expect(resumed.body.visitorId).not.toBe(claims.sub); // a new, anonymous session: not the old history
  // A live session's resume keeps its start: the renewed token expires no later than start + lifetime.
  const again = await api(h.url, '/api/webchat/session', { body: { name: 'Old Visitor', token: first.body.token } });
  const renewed = await h.hub.tokens.verify(again.body.token, 'visitor');
  expect(renewed.sst).toBe(claims.sst);
  expect((renewed as unknown as { exp: number }).exp).toBeLessThanOrEqual(claims.sst + 7 * 86400);
});
