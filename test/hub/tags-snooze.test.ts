/**
 * Tags and snooze on conversations against a real hub (store, Redis): tags normalised, kept when two
 * agents tag at once, filterable in the list, refused when malformed; snooze only by the assignee or a
 * supervisor, back by itself when the customer writes and when its time comes, announced once.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

let h: TestHub;
let agent1 = '';
let agent2 = '';
let sup = '';
let conv = '';
let customerId = '';

async function newChat(text: string) {
  const r = await h.hub.ingest.ingest({ channel: 'webchat', externalId: `t-${Math.random()}`, customer: { identity: { channel: 'webchat', address: `v-${Math.random()}` }, name: 'Zhao Lei' }, text, queue: 'general' });
  return r;
}

beforeAll(async () => {
  h = await startTestHub({ name: 'tags_snooze' });
  [agent1, agent2, sup] = await Promise.all([loginAs(h.url, 'agent1'), loginAs(h.url, 'agent2'), loginAs(h.url, 'super1')]);
  const r = await newChat('my card was charged twice');
  conv = String(r.conversation._id);
  customerId = String(r.conversation.customerId);
  expect((await api(h.url, `/api/conversations/${conv}/claim`, { token: agent1, body: {} })).status).toBe(200);
});
afterAll(async () => h?.close());

const tagsOf = async () => (await h.hub.m.Conversation.findById(conv).lean())!.tags;

test('tags: normalised, two agents tagging at once both kept, removed, and the list filters by tag', async () => {
  const r = await api(h.url, `/api/conversations/${conv}/tags`, { token: agent1, body: { add: ['  Complaint ', '挂失'] } });
  expect(r.status).toBe(200);
  expect(r.body.conversation.tags).toEqual(['complaint', '挂失']);
  // agent1 (assignee) and a supervisor at the same moment: neither tag is lost.
  const both = await Promise.all([
    api(h.url, `/api/conversations/${conv}/tags`, { token: agent1, body: { add: ['refund'] } }),
    api(h.url, `/api/conversations/${conv}/tags`, { token: sup, body: { add: ['vip follow-up'] } }),
  ]);
  expect(both.map((x) => x.status)).toEqual([200, 200]);
  expect((await tagsOf())!.sort()).toEqual(['complaint', 'refund', 'vip follow-up', '挂失'].sort());
  expect((await api(h.url, `/api/conversations/${conv}/tags`, { token: agent1, body: { remove: ['REFUND'] } })).body.conversation.tags).not.toContain('refund');
  const other = await newChat('hello');
  const listed = await api(h.url, `/api/conversations?scope=all&tag=${encodeURIComponent('挂失')}`, { token: sup });
  expect(listed.status).toBe(200);
  expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([conv]);
  expect(listed.body.items.some((c: { id: string }) => c.id === String(other.conversation._id))).toBe(false);
  // The list view (Redis) carries the tags too: the unfiltered list shows them.
  const all = await api(h.url, '/api/conversations?scope=all', { token: sup });
  expect(all.body.items.find((c: { id: string }) => c.id === conv).tags).toContain('挂失');
  expect((await h.hub.m.Audit.countDocuments({ action: 'conversation.tags' }))).toBeGreaterThanOrEqual(3);
});

test('tags: malformed refused naming the field, nothing changed; a colleague without access gets 404', async () => {
  const before = await tagsOf();
  for (const body of [{ add: ['<script>'] }, { add: ['x'.repeat(40)] }, {}, { add: [] }, { add: [''] }, { add: ['ok'], extra: 1 }]) {
    const r = await api(h.url, `/api/conversations/${conv}/tags`, { token: agent1, body });
    expect(r.status, JSON.stringify(body)).toBe(400);
  }
  expect(await tagsOf()).toEqual(before);
  expect((await api(h.url, `/api/conversations/${conv}/tags`, { token: agent2, body: { add: ['x'] } })).status).toBe(404);
});

test('snooze: the assignee only; bad times refused; it comes back when the customer writes', async () => {
  const until = new Date(Date.now() + 3600_000).toISOString();
  expect((await api(h.url, `/api/conversations/${conv}/snooze`, { token: agent1, body: { until: new Date(Date.now() + 5_000).toISOString() } })).status).toBe(400);
  expect((await api(h.url, `/api/conversations/${conv}/snooze`, { token: agent1, body: { until: 'tomorrow' } })).status).toBe(400);
  const r = await api(h.url, `/api/conversations/${conv}/snooze`, { token: agent1, body: { until } });
  expect(r.status).toBe(200);
  expect(r.body.conversation.snoozedUntil).toBe(until);
  expect(r.body.conversation.unreadCount).toBe(0);
  // Still agent1's, still live: routing is not involved.
  expect(r.body.conversation).toMatchObject({ status: 'assigned', assignee: { id: expect.any(String) } });
  await h.hub.ingest.ingest({ channel: 'webchat', externalId: `t-back-${Date.now()}`, customer: { id: customerId }, text: 'are you there?', queue: 'general' });
  await waitFor(async () => !(await h.hub.m.Conversation.findById(conv).lean())!.snoozedUntil, 10_000, 'woken by the customer');
  expect((await api(h.url, `/api/conversations/${conv}`, { token: agent1 })).body.conversation.snoozedUntil).toBeUndefined();
});

test('snooze: it comes back at its time, once, and an agent can wake it early', async () => {
  const until = new Date(Date.now() + 3600_000).toISOString();
  expect((await api(h.url, `/api/conversations/${conv}/snooze`, { token: agent2, body: { until } })).status).toBe(404);
  expect((await api(h.url, `/api/conversations/${conv}/snooze`, { token: agent1, body: { until } })).status).toBe(200);
  // The hour passes for this snooze: its score in the sweep's set moves to the past (the record keeps its time).
  await h.hub.redis.zadd(`${h.redisPrefix}:snoozed`, Date.now() - 1, conv);
  // Two sweeps at once (as two hubs): one wakes it.
  const woke = await Promise.all([h.hub.snoozes.sweep(), new (h.hub.snoozes.constructor as any)(h.hub, h.hub.log).sweep()]);
  expect(woke.reduce((a: number, b: number) => a + b, 0)).toBeLessThanOrEqual(1);
  await waitFor(async () => !(await h.hub.m.Conversation.findById(conv).lean())!.snoozedUntil, 10_000, 'woken at its time');
  expect(await h.hub.redis.zscore(`${h.redisPrefix}:snoozed`, conv)).toBeNull();
  expect((await api(h.url, `/api/conversations/${conv}/snooze`, { token: sup, body: { until } })).status).toBe(200);
  const early = await api(h.url, `/api/conversations/${conv}/unsnooze`, { token: agent1, body: {} });
  expect(early.status).toBe(200);
  expect(early.body.conversation.snoozedUntil).toBeUndefined();
  expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.snooze' })).toBe(3);
});
