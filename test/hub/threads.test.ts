/**
 * Thread keys in ingest, against the real store and Redis, with two hubs (two processes) on one
 * database where races matter: two threads of one customer on one channel stay apart, a reply joins
 * its thread, a resolved thread reopens within the window and opens a linked conversation after it,
 * and concurrent messages of one thread make one conversation (and one reopen).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import type { ConversationDoc } from '../../hub/models/conversation.js';
import { waitFor } from '../helpers/wait.js';
import { threadConversation, threadOpenKey } from '../../hub/ingest/threads.js';

let h: TestHub;
let h2: TestHub;
let token: string;

beforeAll(async () => {
  h = await startTestHub({ name: 'threads', overrides: { 'ingest.reopenWindowHours': 2 } });
  h2 = await startTestHub({ mongoUri: h.mongoUri, redisPrefix: h.redisPrefix, seed: false, overrides: { 'ingest.reopenWindowHours': 2 } });
  token = await loginAs(h.url, 'super1');
});
afterAll(async () => {
  await h2?.close();
  await h?.close();
});

const hex = () => randomBytes(6).toString('hex');
const email = (address: string, threadKey: string | undefined, text = 'hello', externalId = `<${hex()}@mail.example>`) =>
  ({ channel: 'email' as const, externalId, threadKey, customer: { identity: { channel: 'email' as const, address } }, from: address, subject: 'Card', text });

async function resolve(conversationId: string): Promise<void> {
  const r = await api(h.url, `/api/conversations/${conversationId}/resolve`, { token, body: { wrapUpCode: 'resolved' } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}
const conv = async (id: unknown) => (await h.hub.m.Conversation.findById(id).lean()) as ConversationDoc;

test('two threads of one customer on one channel stay apart; each reply joins its own thread', async () => {
  const who = `two-${hex()}@example.com`;
  const a1 = await h.hub.ingest.ingest(email(who, `<a-${hex()}@example.com>`, 'lost card'));
  const b1 = await h.hub.ingest.ingest(email(who, `<b-${hex()}@example.com>`, 'loan question'));
  expect(String(b1.conversation._id)).not.toBe(String(a1.conversation._id));
  expect(String(b1.conversation.customerId)).toBe(String(a1.conversation.customerId));
  // Replies, on the other hub too, join their threads.
  const a2 = await h2.hub.ingest.ingest(email(who, a1.conversation.threadKey!, 'any news on my card?'));
  const b2 = await h.hub.ingest.ingest(email(who, b1.conversation.threadKey!, 'and the rate?'));
  expect(String(a2.conversation._id)).toBe(String(a1.conversation._id));
  expect(String(b2.conversation._id)).toBe(String(b1.conversation._id));
  // A message with no thread goes to the customer's unthreaded live conversation, a third one.
  const plain = await h.hub.ingest.ingest(email(who, undefined, 'no thread'));
  expect([String(a1.conversation._id), String(b1.conversation._id)]).not.toContain(String(plain.conversation._id));
  const live = await h.hub.m.Conversation.countDocuments({ customerId: a1.conversation.customerId, channel: 'email', status: { $in: ['open', 'queued', 'assigned', 'pending'] } });
  expect(live).toBe(3);
  // Both threads are in the supervisor's inbox.
  const list = await api(h.url, '/api/conversations?scope=all&channel=email&limit=100', { token });
  const ids = list.body.items.map((c: { id: string }) => c.id);
  expect(ids).toContain(String(a1.conversation._id));
  expect(ids).toContain(String(b1.conversation._id));
});

test('a message in a resolved thread within the window reopens it: same conversation, back in the queue', async () => {
  const who = `reopen-${hex()}@example.com`;
  const key = `<r-${hex()}@example.com>`;
  const first = await h.hub.ingest.ingest(email(who, key, 'please close my account'));
  const id = String(first.conversation._id);
  await resolve(id);
  const again = await h2.hub.ingest.ingest(email(who, key, 'one more thing'));
  expect(String(again.conversation._id)).toBe(id);
  const c = await conv(id);
  expect(c.status).toBe('queued');
  expect(c.reopenCount).toBe(1);
  expect(c.reopenedAt).toBeTruthy();
  expect(c.resolvedAt ?? null).toBeNull();
  expect(c.openKey).toBe(`thread:email:${key}`);
  // The consoles' view and routing know it is live again.
  await waitFor(async () => (await h.hub.inbox.summary(id))?.status === 'queued', 5000, 'inbox view says queued');
  const view = await api(h.url, `/api/conversations/${id}`, { token });
  expect(view.body.conversation.status).not.toBe('resolved');
  expect(view.body.messages.map((m: { text: string }) => m.text)).toEqual(['please close my account', 'one more thing']);
});

test('after the window, a message in the thread opens a new conversation linked to the old one (shown in the view)', async () => {
  const who = `late-${hex()}@example.com`;
  const key = `<l-${hex()}@example.com>`;
  const first = await h.hub.ingest.ingest(email(who, key, 'statement missing'));
  const oldId = String(first.conversation._id);
  await resolve(oldId);
  // Resolved three hours ago: outside the 2-hour window.
  await h.hub.m.Conversation.updateOne({ _id: first.conversation._id }, { $set: { resolvedAt: new Date(Date.now() - 3 * 3600_000) } });
  const later = await h.hub.ingest.ingest(email(who, key, 'it is still missing'));
  const newId = String(later.conversation._id);
  expect(newId).not.toBe(oldId);
  expect((await conv(oldId)).status).toBe('resolved');
  const c = await conv(newId);
  expect(String(c.previousConversationId)).toBe(oldId);
  expect(c.threadKey).toBe(key);
  const view = await api(h.url, `/api/conversations/${newId}`, { token });
  expect(view.body.conversation.previousConversationId).toBe(oldId);
  expect(view.body.conversation.threadKey).toBe(key);
  expect(view.body.history.map((x: { id: string }) => x.id)).toContain(oldId);
  // The next message of the thread joins the new conversation.
  expect(String((await h2.hub.ingest.ingest(email(who, key, 'hello?'))).conversation._id)).toBe(newId);
});

test('concurrent first messages of one new thread, on two hubs: one conversation holds them all', async () => {
  const who = `burst-${hex()}@example.com`;
  const key = `<burst-${hex()}@example.com>`;
  const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? h : h2).hub.ingest.ingest(email(who, key, `part ${i}`))));
  const ids = new Set(results.map((r) => String(r.conversation._id)));
  expect(ids.size).toBe(1);
  expect(await h.hub.m.Conversation.countDocuments({ threadKey: key })).toBe(1);
  expect(await h.hub.m.Message.countDocuments({ conversationId: results[0].conversation._id })).toBe(24);
});

test('concurrent messages into a resolved thread, on two hubs: reopened once, every message in it', async () => {
  const who = `reburst-${hex()}@example.com`;
  const key = `<rb-${hex()}@example.com>`;
  const first = await h.hub.ingest.ingest(email(who, key, 'start'));
  const id = String(first.conversation._id);
  await resolve(id);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? h : h2).hub.ingest.ingest(email(who, key, `again ${i}`))));
  expect(new Set(results.map((r) => String(r.conversation._id)))).toEqual(new Set([id]));
  expect(await h.hub.m.Conversation.countDocuments({ threadKey: key })).toBe(1);
  expect((await conv(id)).reopenCount).toBe(1);
  expect(await h.hub.m.Message.countDocuments({ conversationId: first.conversation._id })).toBe(21);
});

test('idempotency on (channel, externalId) is unchanged with thread keys', async () => {
  const who = `idem-${hex()}@example.com`;
  const key = `<i-${hex()}@example.com>`;
  const ext = `<msg-${hex()}@example.com>`;
  const all = await Promise.all([h, h2, h, h2].map((x) => x.hub.ingest.ingest(email(who, key, 'once', ext))));
  expect(all.filter((r) => !r.duplicate)).toHaveLength(1);
  expect(await h.hub.m.Message.countDocuments({ channel: 'email', externalId: ext })).toBe(1);
});

test('ten processes deciding at once (no in-process sharing): the resolved thread is reopened exactly once', async () => {
  const who = `race-${hex()}@example.com`;
  const key = `<race-${hex()}@example.com>`;
  const first = await h.hub.ingest.ingest(email(who, key, 'start'));
  const id = String(first.conversation._id);
  await resolve(id);
  let reopened = 0;
  const openKey = threadOpenKey('email', key);
  const got = await Promise.all(
    Array.from({ length: 10 }, () =>
      threadConversation(openKey, 'email', key, {
        m: h.hub.m,
        reopenWindowMs: 3600_000,
        open: () => Promise.reject(new Error('must reopen, not open')),
        reopened: () => void reopened++,
      }),
    ),
  );
  expect(new Set(got.map((c) => String(c._id)))).toEqual(new Set([id]));
  expect(reopened).toBe(1);
  expect((await conv(id)).reopenCount).toBe(1);
});
