/**
 * Administration over HTTP: users, teams and queues. Admins only; bad input is refused naming the
 * field; every change is audited (never a password) and reaches routing and the consoles at once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';

let h: TestHub;
let admin: string;
let adminId: string;
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'admin' });
  admin = await loginAs(h.url, 'admin');
  adminId = (await api(h.url, '/api/me', { token: admin })).body.user.id;
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const as = (token: string) => ({
  get: (path: string) => api(h.url, path, { token }),
  post: (path: string, body: unknown) => api(h.url, path, { token, body }),
  put: (path: string, body: unknown) => api(h.url, path, { token, body, method: 'PUT' }),
  patch: (path: string, body: unknown) => api(h.url, path, { token, body, method: 'PATCH' }),
  del: (path: string) => api(h.url, path, { token, method: 'DELETE' }),
});

test('only admins: every admin route refuses no token (401) and agents, supervisors and marketing (403)', async () => {
  const routes: [string, string][] = [
    ['GET', '/api/admin/users'],
    ['POST', '/api/admin/users'],
    ['PATCH', `/api/admin/users/${adminId}`],
    ['GET', '/api/admin/teams'],
    ['PUT', '/api/admin/teams/x'],
    ['DELETE', '/api/admin/teams/x'],
    ['GET', '/api/admin/queues'],
    ['PUT', '/api/admin/queues/x'],
  ];
  const tokens = { none: undefined, agent1: await loginAs(h.url, 'agent1'), super1: await loginAs(h.url, 'super1'), market1: await loginAs(h.url, 'market1') };
  for (const [method, path] of routes) {
    for (const [who, token] of Object.entries(tokens)) {
      const r = await api(h.url, path, { token, method, body: method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' } });
      expect(r.status, `${method} ${path} as ${who}`).toBe(token ? 403 : 401);
      expect(typeof r.body.error.code).toBe('string');
    }
  }
  expect(await h.hub.m.Team.countDocuments({ _id: 'x' })).toBe(0);
  expect(await h.hub.m.Queue.countDocuments({ _id: 'x' })).toBe(0);
});

describe('users and teams', () => {
  let userId = '';

  test('create a team and an agent in it: the agent signs in, and routing gives them the team capacity where their own does not say', async () => {
    const a = as(admin);
    expect((await a.put('/api/admin/teams/cards-team', { name: 'Cards team', capacity: { webchat: 5, email: 8 } })).status).toBe(200);
    const r = await a.post('/api/admin/users', {
      username: 'new.agent',
      name: '新座席 New Agent',
      role: 'agent',
      password: 'a-long-password-1',
      queues: ['general'],
      skills: { 'lang:zh': 9, cards: 7 },
      capacity: { email: 2 },
      team: 'cards-team',
    });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ username: 'new.agent', role: 'agent', team: 'cards-team', skills: { 'lang:zh': 9, cards: 7 }, capacity: { email: 2 }, active: true });
    expect(JSON.stringify(r.body)).not.toContain('passwordHash');
    userId = r.body.user.id;
    const token = await loginAs(h.url, 'new.agent', 'a-long-password-1');
    await sockets.connect(h.url, '/agent', token);
    const snap = await waitFor(async () => {
      const s = await h.hub.acd.snapshotAgent(userId);
      return s?.state === 'available' ? s : null;
    }, 10_000, 'new agent available in routing');
    // Own email 2 over the team's 8; the team's webchat 5 over the default 3; voice from the default.
    expect(snap.capacity).toMatchObject({ webchat: 5, email: 2, voice: 1 });
    expect(snap.skills).toMatchObject({ 'lang:zh': 9, cards: 7, 'q:general': 10 });
  });

  test('a team capacity change reaches routing for its members at once', async () => {
    expect((await as(admin).put('/api/admin/teams/cards-team', { name: 'Cards team', capacity: { webchat: 2 } })).status).toBe(200);
    expect((await h.hub.acd.snapshotAgent(userId))?.capacity).toMatchObject({ webchat: 2, email: 2 });
    const teams = (await as(admin).get('/api/admin/teams')).body;
    expect(teams.teams).toContainEqual({ id: 'cards-team', name: 'Cards team', capacity: { webchat: 2 } });
    expect(teams.defaults).toMatchObject({ webchat: 3, voice: 1 });
  });

  test('bad input is refused naming the field and changes nothing', async () => {
    const a = as(admin);
    const before = await h.hub.m.User.countDocuments();
    const cases: [unknown, RegExp][] = [
      [{ username: 'x', name: 'X', role: 'agent', password: 'a-long-password-1' }, /username/],
      [{ username: 'shorty', name: 'X', role: 'agent', password: 'short' }, /password/],
      [{ username: 'roley', name: 'X', role: 'root', password: 'a-long-password-1' }, /role/],
      [{ username: 'capy', name: 'X', role: 'agent', password: 'a-long-password-1', capacity: { webchat: -1 } }, /capacity\.webchat/],
      [{ username: 'capy', name: 'X', role: 'agent', password: 'a-long-password-1', capacity: { pigeon: 1 } }, /capacity/],
      [{ username: 'skilly', name: 'X', role: 'agent', password: 'a-long-password-1', skills: { cards: 11 } }, /skills\.cards/],
      [{ username: 'extra', name: 'X', role: 'agent', password: 'a-long-password-1', passwordHash: 'x' }, /passwordHash|unrecognized/i],
    ];
    for (const [body, field] of cases) {
      const r = await a.post('/api/admin/users', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(field);
    }
    expect((await a.post('/api/admin/users', { username: 'qqq1', name: 'X', role: 'agent', password: 'a-long-password-1', queues: ['nope'] })).body.error.code).toBe('unknown_queue');
    expect((await a.post('/api/admin/users', { username: 'ttt1', name: 'X', role: 'agent', password: 'a-long-password-1', team: 'nope' })).body.error.code).toBe('unknown_team');
    const dup = await a.post('/api/admin/users', { username: 'new.agent', name: 'Again', role: 'agent', password: 'a-long-password-1' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('username_taken');
    expect(await h.hub.m.User.countDocuments()).toBe(before);
    expect((await a.patch('/api/admin/users/nothex', { name: 'x' })).status).toBe(400);
    expect((await a.patch(`/api/admin/users/${'0'.repeat(24)}`, { name: 'x' })).status).toBe(404);
  });

  test('an admin cannot disable themselves or drop their own admin role', async () => {
    for (const body of [{ active: false }, { role: 'agent' }]) {
      const r = await as(admin).patch(`/api/admin/users/${adminId}`, body);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('self_lockout');
    }
    expect((await h.hub.m.User.findById(adminId).lean())!.active).toBe(true);
  });

  test('new queues move the agent console to the new queue rooms; a team in use cannot be deleted', async () => {
    expect((await as(admin).put('/api/admin/queues/loans', { label: { en: 'Loans', zh: '贷款' } })).status).toBe(200);
    const r = await as(admin).patch(`/api/admin/users/${userId}`, { queues: ['loans'] });
    expect(r.status).toBe(200);
    expect(r.body.user.queues).toEqual(['loans']);
    await waitFor(async () => (await h.hub.io.of('/agent').in('queue:loans').fetchSockets()).length === 1, 5000, 'socket in queue:loans');
    expect((await h.hub.io.of('/agent').in('queue:general').fetchSockets()).some((s) => s.data.user?.sub === userId)).toBe(false);
    expect((await h.hub.acd.snapshotAgent(userId))?.skills).toMatchObject({ 'q:loans': 10 });
    expect((await h.hub.acd.snapshotAgent(userId))?.skills['q:general']).toBeUndefined();
    const del = await as(admin).del('/api/admin/teams/cards-team');
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('team_in_use');
  });

  test('disabling an account signs its console out, refuses its sign-in and logs it out of routing; the password never reaches the audit', async () => {
    const token = await loginAs(h.url, 'new.agent', 'a-long-password-1');
    const s = await sockets.connect(h.url, '/agent', token);
    const gone = new Promise<string>((resolve) => s.once('disconnect', resolve));
    expect((await as(admin).patch(`/api/admin/users/${userId}`, { active: false, password: 'another-password-2' })).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
    expect((await api(h.url, '/api/auth/login', { body: { username: 'new.agent', password: 'another-password-2' } })).status).toBe(401);
    expect((await api(h.url, '/api/me', { token })).status).toBe(401);
    expect((await h.hub.acd.snapshotAgent(userId))?.state).toBe('offline');
    const audit = await h.hub.m.Audit.find({ 'target.id': userId }).lean();
    expect(audit.map((x) => x.action)).toEqual(expect.arrayContaining(['user.create', 'user.update']));
    const text = JSON.stringify(audit);
    expect(text).not.toContain('another-password-2');
    expect(text).not.toContain('a-long-password-1');
    expect(text).toContain('"password":"changed"');
  });
});

describe('queues', () => {
  test('define a queue: validated, stored, audited, and routing uses it at once', async () => {
    const body = {
      label: { en: 'VIP cards', zh: '贵宾信用卡' },
      skills: { cards: 6, 'lang:zh': 5 },
      strategy: 'most-skilled',
      serviceLevel: { pct: 90, seconds: 10 },
      autoAccept: ['webchat'],
      offerTimeoutSec: 15,
      wrapUpSec: 45,
      relax: [{ afterSec: 30, minProficiency: 3 }],
      overflow: { afterSec: 120, queue: 'general' },
      stickySec: 60,
      hours: { tz: 'Asia/Shanghai', week: { '1': [['08:00', '20:00']], '6': [['09:00', '12:00'], ['13:00', '17:00']] } },
      afterHours: { action: 'overflow', queue: 'general' },
      defaultAhtSec: 240,
    };
    const r = await as(admin).put('/api/admin/queues/cards-vip', body);
    expect(r.status).toBe(200);
    expect(r.body.queue.definition).toMatchObject({ id: 'cards-vip', strategy: 'most-skilled', skills: { cards: 6, 'lang:zh': 5 }, overflow: { afterSec: 120, queue: 'general' } });
    // The leader reloaded its queues before answering.
    const q = h.hub.acd.localRouter!.queue('cards-vip');
    expect(q).toMatchObject({ strategy: 'most-skilled', offerTimeoutSec: 15, serviceLevel: { pct: 90, seconds: 10 }, afterHours: { action: 'overflow', queue: 'general' } });
    expect(q.skills).toMatchObject({ cards: 6, 'lang:zh': 5, 'q:cards-vip': 1 });
    // Business hours survive the store (which cannot hold nested arrays) as they were given.
    expect(q.hours).toEqual(body.hours);
    const list = (await as(admin).get('/api/admin/queues')).body.queues;
    const listed = list.find((x: { id: string }) => x.id === 'cards-vip');
    expect(listed.label).toEqual({ en: 'VIP cards', zh: '贵宾信用卡' });
    expect(listed.definition.skills['q:cards-vip']).toBeUndefined();
    expect(list.some((x: { id: string }) => x.id === 'general')).toBe(true);
    expect(await h.hub.m.Audit.countDocuments({ action: 'queue.update', 'target.id': 'cards-vip' })).toBe(1);

    // Defaults for what is left out.
    const plain = await as(admin).put('/api/admin/queues/plain', {});
    expect(plain.body.queue.definition).toMatchObject({ strategy: 'longest-idle', serviceLevel: { pct: 80, seconds: 20 }, offerTimeoutSec: 20, hours: null, overflow: null });
  });

  test('the supervisors\' overview says which queues are outside their business hours now', async () => {
    expect((await as(admin).put('/api/admin/queues/night-closed', { label: { en: 'Closed queue' }, hours: { tz: 'Asia/Shanghai', week: {} } })).status).toBe(200);
    const overview = (await api(h.url, '/api/acd/overview', { token: await loginAs(h.url, 'super1') })).body;
    const open = Object.fromEntries(overview.queues.map((q: { id: string; open: boolean }) => [q.id, q.open]));
    expect(open['night-closed']).toBe(false);
    expect(open.general).toBe(true);
  });

  test('a bad queue definition is refused naming the field and changes nothing', async () => {
    const before = JSON.stringify(await h.hub.m.Queue.find().sort({ _id: 1 }).lean());
    const cases: [string, unknown, RegExp][] = [
      ['bad id', {}, /queue id/],
      ['q1', { strategy: 'random' }, /strategy/],
      ['q1', { hours: { tz: 'Mars/Olympus', week: {} } }, /time zone/],
      ['q1', { hours: { tz: 'Asia/Shanghai', week: { '1': [['20:00', '08:00']] } } }, /ends after it starts/],
      ['q1', { hours: { tz: 'Asia/Shanghai', week: { '8': [['08:00', '09:00']] } } }, /week/],
      ['q1', { overflow: { afterSec: 10, queue: 'q1' } }, /itself/],
      ['q1', { overflow: { afterSec: 10, queue: 'nowhere' } }, /unknown queue/],
      ['q1', { afterHours: { action: 'voicemail' } }, /afterHours/],
      ['q1', { offerTimeoutSec: 0 }, /offerTimeoutSec/],
      ['q1', { skills: { Cards: 5 } }, /skill/],
      ['q1', { relax: [{ afterSec: 10, minProficiency: 0 }] }, /relax/],
      ['q1', { $set: { x: 1 } }, /unrecognized|\$set/i],
    ];
    for (const [id, body, field] of cases) {
      const r = await as(admin).put(`/api/admin/queues/${encodeURIComponent(id)}`, body);
      expect(r.status, `${id} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error.message).toMatch(field);
    }
    expect(JSON.stringify(await h.hub.m.Queue.find().sort({ _id: 1 }).lean())).toBe(before);
  });
});

test('changes made on one hub reach the consoles on another: new queue rooms, then a disabled account signed out', async () => {
  const b = await startTestHub({ mongoUri: h.mongoUri, redisPrefix: h.redisPrefix, seed: false });
  try {
    const a = as(admin);
    const created = await a.post('/api/admin/users', { username: 'far.agent', name: 'Far Agent', role: 'agent', password: 'a-long-password-3', queues: ['general'] });
    expect(created.status).toBe(201);
    const id = created.body.user.id;
    const s = await sockets.connect(b.url, '/agent', await loginAs(b.url, 'far.agent', 'a-long-password-3'));
    // Asked on hub A; the socket lives on hub B.
    expect((await a.patch(`/api/admin/users/${id}`, { queues: ['loans'] })).status).toBe(200);
    await waitFor(async () => (await h.hub.io.of('/agent').in('queue:loans').fetchSockets()).some((x) => x.data.user?.sub === id), 5000, 'hub B socket in queue:loans');
    expect((await b.hub.io.of('/agent').in('queue:general').fetchSockets()).some((x) => x.data.user?.sub === id)).toBe(false);
    const gone = new Promise<string>((resolve) => s.once('disconnect', resolve));
    expect((await a.patch(`/api/admin/users/${id}`, { active: false })).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
  } finally {
    await b.close();
  }
});
