/**
 * Canned replies (hub/api/canned-routes.ts) against a real hub: who may read and change which set,
 * shortcuts unique per set (also when two saves race), bad input refused naming the field and changing
 * nothing, every change audited.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
let agent1 = '';
let agent2 = '';
let sup = '';
const reply = (over: Record<string, unknown> = {}) => ({ scope: 'personal', shortcut: 'hello', title: 'Greeting', texts: { en: 'Hello {{customer.name}}, this is {{agent.name}}.', zh: '{{customer.name}}您好，我是{{agent.name}}。' }, ...over });
const list = async (token: string) => (await api(h.url, '/api/canned-replies', { token })).body.items as { id: string; scope: string; shortcut: string }[];

beforeAll(async () => {
  h = await startTestHub({ name: 'canned' });
  [agent1, agent2, sup] = await Promise.all([loginAs(h.url, 'agent1'), loginAs(h.url, 'agent2'), loginAs(h.url, 'super1')]);
});
afterAll(async () => h?.close());

test('an agent keeps personal replies nobody else sees; shared ones are added by supervisors only and seen by all', async () => {
  const mineR = await api(h.url, '/api/canned-replies', { token: agent1, body: reply() });
  expect(mineR.status).toBe(201);
  expect(mineR.body.item).toMatchObject({ scope: 'personal', shortcut: 'hello', texts: { en: expect.stringContaining('{{customer.name}}') } });
  expect((await api(h.url, '/api/canned-replies', { token: agent1, body: reply({ scope: 'shared', shortcut: 'x' }) })).status).toBe(403);
  const shared = await api(h.url, '/api/canned-replies', { token: sup, body: reply({ scope: 'shared', shortcut: 'card-lost', title: 'Lost card', texts: { zh: '请拨打95588挂失。' } }) });
  expect(shared.status).toBe(201);
  // The same shortcut in another set is fine (agent2's own /hello).
  expect((await api(h.url, '/api/canned-replies', { token: agent2, body: reply() })).status).toBe(201);
  expect((await list(agent1)).map((r) => `${r.scope}:${r.shortcut}`)).toEqual(['shared:card-lost', 'personal:hello']);
  expect((await list(agent2)).map((r) => `${r.scope}:${r.shortcut}`)).toEqual(['shared:card-lost', 'personal:hello']);
  expect((await list(agent2)).find((r) => r.scope === 'personal')!.id).not.toBe(mineR.body.item.id);
  // Another agent's personal reply is not there for them: 404, for reading it into an edit or deleting it.
  expect((await api(h.url, `/api/canned-replies/${mineR.body.item.id}`, { token: agent2, method: 'PUT', body: { shortcut: 'x', title: 'x', texts: { en: 'x' } } })).status).toBe(404);
  expect((await api(h.url, `/api/canned-replies/${mineR.body.item.id}`, { token: agent2, method: 'DELETE' })).status).toBe(404);
  // Agents use shared replies but do not change them.
  expect((await api(h.url, `/api/canned-replies/${shared.body.item.id}`, { token: agent1, method: 'DELETE' })).status).toBe(403);
  expect((await api(h.url, '/api/canned-replies')).status).toBe(401);
  expect((await api(h.url, '/api/canned-replies', { token: await loginAs(h.url, 'market1') })).status).toBe(403);
});

test('a shortcut is unique per set, also when two saves race; the loser is told', async () => {
  const results = await Promise.all([1, 2, 3, 4].map(() => api(h.url, '/api/canned-replies', { token: sup, body: reply({ scope: 'shared', shortcut: 'race' }) })));
  expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  expect(results.find((r) => r.status === 409)!.body.error.code).toBe('shortcut_taken');
  expect((await list(sup)).filter((r) => r.shortcut === 'race').length).toBe(1);
});

test('bad input is refused naming the field and changes nothing', async () => {
  const before = await h.hub.m.CannedReply.countDocuments({});
  for (const body of [reply({ shortcut: 'Has Space' }), reply({ texts: {} }), reply({ title: '' }), reply({ texts: { fr: 'bonjour' } }), reply({ scope: 'team' }), reply({ extra: 1 }), reply({ texts: { en: 'x'.repeat(4001) } })]) {
    const r = await api(h.url, '/api/canned-replies', { token: agent1, body });
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(r.body.error.message.length).toBeGreaterThan(0);
  }
  expect((await api(h.url, '/api/canned-replies/not-an-id', { token: agent1, method: 'DELETE' })).status).toBe(400);
  expect(await h.hub.m.CannedReply.countDocuments({})).toBe(before);
});

test('edit and delete: the owner (or a supervisor for shared), audited with the shortcut, never the text', async () => {
  const mine = (await list(agent1)).find((r) => r.scope === 'personal')!;
  const upd = await api(h.url, `/api/canned-replies/${mine.id}`, { token: agent1, method: 'PUT', body: { shortcut: 'hi', title: 'Hi', texts: { en: 'Hi {{customer.name}}' } } });
  expect(upd.status).toBe(200);
  expect(upd.body.item).toMatchObject({ shortcut: 'hi', texts: { en: 'Hi {{customer.name}}' } });
  expect(upd.body.item.texts.zh).toBeUndefined();
  expect((await api(h.url, `/api/canned-replies/${mine.id}`, { token: agent1, method: 'DELETE' })).status).toBe(200);
  expect((await list(agent1)).some((r) => r.id === mine.id)).toBe(false);
  const audit = await h.hub.m.Audit.find({ action: /^canned\./ }).lean();
  expect(audit.map((a: any) => a.action).sort()).toEqual(expect.arrayContaining(['canned.create', 'canned.update', 'canned.delete']));
  expect(JSON.stringify(audit)).not.toContain('{{customer.name}}');
});
