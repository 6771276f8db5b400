/** The Redis inbox view answers exactly what the MongoDB query would, pages included, and rebuilds itself. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { conversationView } from '../../hub/views.js';
import type { ConversationDoc } from '../../hub/models/conversation.js';

let h: TestHub;
let sup: string;
let agent: string;
let agentId: string;

beforeAll(async () => {
  h = await startTestHub({ name: 'inbox' });
  sup = await loginAs(h.url, 'super1');
  agent = await loginAs(h.url, 'agent1');
  agentId = (await api(h.url, '/api/me', { token: agent })).body.user.id;
  // 25 conversations across queues and channels; some resolved.
  for (let i = 0; i < 25; i++) {
    await h.hub.ingest.ingest({
      channel: i % 3 ? 'webchat' : 'email',
      externalId: `inbox-${i}`,
      customer: { identity: { channel: i % 3 ? 'webchat' : 'email', address: `inbox-${i}@example.com` }, name: `C${i}` },
      text: `message ${i}`,
      queue: ['general', 'cards', 'wealth'][i % 3],
    });
  }
  const convs = await h.hub.m.Conversation.find().lean();
  for (const c of convs.slice(0, 6)) {
    expect((await api(h.url, `/api/conversations/${c._id}/resolve`, { token: sup, body: { wrapUpCode: 'resolved' } })).status).toBe(200);
  }
  await waitFor(() => h.hub.inbox.ready(), 10_000, 'view built');
});
afterAll(async () => h?.close());

async function fromMongo(filter: Record<string, unknown>) {
  const rows = (await h.hub.m.Conversation.find(filter).lean()) as ConversationDoc[];
  return rows.sort((a, b) => +new Date(b.lastMessageAt) - +new Date(a.lastMessageAt)).map((c) => conversationView(c).id);
}

async function allPages(path: string, token: string, limit = 4) {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (;;) {
    const r = await api(h.url, `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(r.status).toBe(200);
    ids.push(...r.body.items.map((i: { id: string }) => i.id));
    cursor = r.body.nextCursor;
    if (!cursor) return ids;
  }
}

test('every list, paged, equals the database query in order', async () => {
  await waitFor(async () => (await allPages('/api/conversations?scope=all', sup)).length === (await fromMongo({ status: { $in: ['open', 'queued', 'assigned', 'pending'] } })).length, 10_000, 'view caught up');
  expect(await allPages('/api/conversations?scope=all', sup)).toEqual(await fromMongo({ status: { $in: ['open', 'queued', 'assigned', 'pending'] } }));
  expect(await allPages('/api/conversations?scope=all&status=resolved', sup)).toEqual(await fromMongo({ status: 'resolved' }));
  expect(await allPages('/api/conversations?scope=all&channel=email', sup)).toEqual(await fromMongo({ channel: 'email', status: { $in: ['open', 'queued', 'assigned', 'pending'] } }));
  expect(await allPages('/api/conversations?scope=queue', agent)).toEqual(
    await fromMongo({ queue: { $in: ['general', 'cards'] }, assigneeId: { $in: [null, agentId] }, status: { $in: ['open', 'queued', 'assigned', 'pending'] } }),
  );
});

test('a change moves the conversation between lists at once', async () => {
  const c = (await h.hub.m.Conversation.findOne({ status: 'queued', queue: 'general' }).lean())!;
  await api(h.url, `/api/conversations/${c._id}/claim`, { token: agent, method: 'POST' });
  const mine = await allPages('/api/conversations?scope=mine', agent);
  expect(mine).toContain(String(c._id));
  await api(h.url, `/api/conversations/${c._id}/resolve`, { token: agent, body: { wrapUpCode: 'resolved' } });
  expect(await allPages('/api/conversations?scope=mine', agent)).not.toContain(String(c._id));
  // Resolved lists are ordered by last activity like every list: it is there, not necessarily first.
  expect(await allPages('/api/conversations?scope=all&status=resolved', sup)).toContain(String(c._id));
});

test('lost from Redis: rebuilt from MongoDB with the same answers', async () => {
  const before = await allPages('/api/conversations?scope=all', sup);
  const keys = await h.hub.redis.keys(`${h.redisPrefix}:{inbox}:*`);
  await h.hub.redis.del(...keys);
  expect(await h.hub.inbox.ready()).toBe(false);
  // Served from MongoDB meanwhile, same order.
  expect(await allPages('/api/conversations?scope=all', sup)).toEqual(before);
  // The first list that found it missing started the rebuild.
  await waitFor(() => h.hub.inbox.ready(), 10_000, 'view rebuilt');
  expect(await allPages('/api/conversations?scope=all', sup)).toEqual(before);
});

test('write-back of counters never goes backwards when two flushes finish out of order', async () => {
  const r = await h.hub.ingest.ingest({ channel: 'webchat', externalId: 'wb-1', customer: { identity: { channel: 'webchat', address: 'wb-visitor' }, name: 'WB' }, text: 'one', queue: 'general' });
  for (let i = 2; i <= 5; i++) await h.hub.ingest.ingest({ channel: 'webchat', externalId: `wb-${i}`, customer: { identity: { channel: 'webchat', address: 'wb-visitor' }, name: 'WB' }, text: `m${i}`, queue: 'general' });
  await h.hub.inbox.flushAll();
  const id = String(r.conversation._id);
  expect((await h.hub.m.Conversation.findById(id).lean())?.messageCount).toBe(5);
  // A flush that read older counters (version 1) and writes late must not undo the newer write.
  const key = `${h.redisPrefix}:{inbox}:counters`;
  const current = await h.hub.redis.hmget(key, `${id}:n`, `${id}:v`);
  await h.hub.redis.hset(key, `${id}:n`, '1', `${id}:v`, '1');
  await h.hub.redis.sadd(`${h.redisPrefix}:{inbox}:dirty`, id);
  await h.hub.inbox.flushAll();
  expect((await h.hub.m.Conversation.findById(id).lean())?.messageCount).toBe(5);
  await h.hub.redis.hset(key, `${id}:n`, current[0]!, `${id}:v`, current[1]!);
});
