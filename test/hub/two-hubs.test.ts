/**
 * Two hub processes on one database and one Redis prefix (in-process here): the socket.io Redis
 * adapter, the shared BullMQ outbound queue and the cross-process invalidation of the live-conversation
 * cache make them behave as one hub to a visitor on one and an agent on the other.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Socket } from 'socket.io-client';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { testRedisUrl } from '../helpers/db.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { Sockets } from '../helpers/sockets.js';

let A: TestHub;
let B: TestHub | undefined;
const sockets = new Sockets();
let agentToken: string;
let agentB: Socket;
let visitorA: Socket;
let visitorId: string;

const connect = (url: string, ns: string, token: string) => sockets.connect(url, ns, token);

beforeAll(async () => {
  A = await startTestHub({ name: 'twohubs' });
  B = await startTestHub({ mongoUri: A.mongoUri, redisPrefix: A.redisPrefix });
  agentToken = await loginAs(B.url, 'agent1');
  agentB = await connect(B.url, '/agent', agentToken);
  const sess = await api(A.url, '/api/webchat/session', { body: { name: 'Two Hub Visitor' } });
  visitorId = sess.body.visitorId;
  visitorA = await connect(A.url, '/webchat', sess.body.token);
});
afterAll(async () => {
  sockets.closeAll();
  await B?.close();
  await A?.close();
});

let firstConversation: string;

test('visitor on hub A, agent on hub B: the message reaches the agent live, the reply reaches the visitor', async () => {
  const seen = nextEvent<any>(agentB, 'message.created', (p) => p.message.text === 'hello from hub A');
  const ack = await visitorA.timeout(5000).emitWithAck('message.send', { clientId: 'twohub-0001', text: 'hello from hub A' });
  expect(ack.ok).toBe(true);
  const ev = await seen;
  expect(ev.message.id).toBe(ack.message.id);
  expect(ev.conversation.id).toBe(ack.message.conversationId);
  firstConversation = ev.conversation.id;

  const got = nextEvent<any>(visitorA, 'message.created', (p) => p.message.direction === 'out');
  const rep = await api(B!.url, `/api/conversations/${firstConversation}/messages`, { token: agentToken, body: { text: 'answered from hub B', clientId: 'twohub-reply-1' } });
  expect(rep.status).toBe(201);
  const msg = (await got).message;
  expect(msg.text).toBe('answered from hub B');
  expect(msg.id).toBe(rep.body.message.id);
  await waitFor(async () => (await A.hub.m.Message.findById(msg.id).lean())?.status === 'sent', 10_000, 'reply status sent');
});

test('a conversation resolved on hub B: the next visitor message on hub A opens a new conversation', async () => {
  // Hub A has the live conversation cached from the first test.
  const resolvedSeen = nextEvent<any>(visitorA, 'conversation.updated', (p) => p.status === 'resolved');
  const res = await api(B!.url, `/api/conversations/${firstConversation}/resolve`, { token: agentToken, body: { wrapUpCode: 'resolved' } });
  expect(res.status).toBe(200);
  // The visitor learns of it through hub A; the invalidation was published before this event.
  await resolvedSeen;

  const seen = nextEvent<any>(agentB, 'message.created', (p) => p.message.text === 'one more question');
  const ack = await visitorA.timeout(5000).emitWithAck('message.send', { clientId: 'twohub-0002', text: 'one more question' });
  expect(ack.ok).toBe(true);
  expect(ack.message.conversationId).not.toBe(firstConversation);
  const ev = await seen;
  expect(ev.conversation.id).toBe(ack.message.conversationId);
  // Live: queued, or already routed to an agent by the ACD.
  expect(['queued', 'assigned']).toContain(ev.conversation.status);

  const old = await A.hub.m.Conversation.findById(firstConversation).lean();
  expect(old!.status).toBe('resolved');
  expect(await A.hub.m.Message.countDocuments({ conversationId: old!._id })).toBe(2);
  const fresh = await A.hub.m.Conversation.findById(ack.message.conversationId).lean();
  expect(['queued', 'assigned']).toContain(fresh!.status);
  expect(await A.hub.m.Message.countDocuments({ conversationId: fresh!._id })).toBe(1);
  expect(await A.hub.m.Conversation.countDocuments({ 'channelData.visitorId': visitorId })).toBe(2);
});

test('a burst on hub A (events published in batches, hub/fanout.ts) reaches the agent on hub B once each, in order per conversation', async () => {
  const n = 12; // sessions per IP are limited (30 a minute)
  const visitors = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const sess = await api(A.url, '/api/webchat/session', { body: { name: `Burst ${i}` } });
      return connect(A.url, '/webchat', sess.body.token);
    }),
  );
  const texts = visitors.flatMap((_, i) => [`burst ${i} a`, `burst ${i} b`, `burst ${i} c`]);
  const got: string[] = [];
  const all = new Promise<void>((resolve) => {
    const on = (p: { message: { text: string } }) => {
      if (!p.message.text.startsWith('burst ')) return;
      got.push(p.message.text);
      if (got.length === texts.length) resolve();
    };
    agentB.on('message.created', on);
  });
  // Both messages of every visitor at once: the hub stores and emits them in a few batches.
  const acks = await Promise.all(
    visitors.flatMap((v, i) => [
      v.timeout(10_000).emitWithAck('message.send', { clientId: `burst-${i}-a-abcdef`, text: `burst ${i} a` }),
      v.timeout(10_000).emitWithAck('message.send', { clientId: `burst-${i}-b-abcdef`, text: `burst ${i} b` }),
      v.timeout(10_000).emitWithAck('message.send', { clientId: `burst-${i}-c-abcdef`, text: `burst ${i} c` }),
    ]),
  );
  expect(acks.every((a) => a.ok)).toBe(true);
  await all;
  expect([...got].sort()).toEqual([...texts].sort());
  for (let i = 0; i < n; i++) {
    expect(got.indexOf(`burst ${i} a`)).toBeLessThan(got.indexOf(`burst ${i} b`));
    expect(got.indexOf(`burst ${i} b`)).toBeLessThan(got.indexOf(`burst ${i} c`));
  }
  // A stock adapter (another version of the hub) still gets single broadcasts: the probe below.
});

test('a new customer writing to both hubs at once (20 messages): one customer, one identity, one conversation routed once, every message once', async () => {
  const address = 'race.customer@example.com';
  const msg = (i: number) => ({ channel: 'email' as const, externalId: `race-both-hubs-${i}`, customer: { identity: { channel: 'email' as const, address }, name: 'Race Customer' }, text: `mail ${i}` });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? B! : A).hub.ingest.ingest(msg(i))));
  const m = A.hub.m;
  const ids = await m.Identity.find({ _id: `email:${address}` }).lean();
  expect(ids).toHaveLength(1);
  const customerId = String(ids[0].customerId);
  expect(await m.Customer.countDocuments({ _id: ids[0].customerId })).toBe(1);
  const convs = await m.Conversation.find({ customerId: ids[0].customerId }).lean();
  expect(convs).toHaveLength(1);
  expect(new Set(results.map((r) => String(r.conversation._id)))).toEqual(new Set([String(convs[0]._id)]));
  expect(results.every((r) => String(r.message.customerId) === customerId && !r.duplicate)).toBe(true);
  expect(await m.Message.countDocuments({ conversationId: convs[0]._id })).toBe(20);
  // Routed once: one routing task for it.
  await waitFor(async () => (await A.hub.acd.snapshotTask(String(convs[0]._id))) !== null, 5000, 'routing task');
  const tasks = (await A.hub.acd.snapshot()).tasks.filter((t) => t.id === String(convs[0]._id));
  expect(tasks).toHaveLength(1);
});

test("closing hub B leaves hub A's visitors and agents connected", async () => {
  const agentA = await connect(A.url, '/agent', await loginAs(A.url, 'agent2'));
  const dropped: string[] = [];
  visitorA.on('disconnect', (r) => dropped.push(`visitor: ${r}`));
  agentA.on('disconnect', (r) => dropped.push(`agent: ${r}`));
  await B!.close();
  B = undefined;

  // A probe broadcast through the same Redis channels, published after B is gone: hub A handles
  // whatever B published during its shutdown before it relays the probe, so once both probes arrive
  // any disconnect B asked for would already have happened.
  const pub = new Redis(testRedisUrl());
  const sub = pub.duplicate();
  const probe = new Server();
  probe.adapter(createAdapter(pub, sub, { key: `${A.redisPrefix}:socket.io` }));
  try {
    // Either the probe arrives, or the socket was dropped (and the probe never will).
    const arrived = (s: Socket) => new Promise<void>((resolve, reject) => {
      s.once('probe', () => resolve());
      if (!s.connected) reject(new Error(`dropped: ${dropped.join(', ')}`));
      s.once('disconnect', () => reject(new Error(`dropped: ${dropped.join(', ')}`)));
    });
    const both = Promise.all([arrived(visitorA), arrived(agentA)]);
    probe.of('/webchat').to(`visitor:${visitorId}`).emit('probe', {});
    probe.of('/agent').to('queue:wealth').emit('probe', {});
    await both;
  } finally {
    for (const nsp of ['/', '/webchat', '/agent']) await probe.of(nsp).adapter.close();
    pub.disconnect();
    sub.disconnect();
  }
  expect(dropped).toEqual([]);
  expect(visitorA.connected).toBe(true);
  expect(agentA.connected).toBe(true);
  const ack = await visitorA.timeout(5000).emitWithAck('message.send', { clientId: 'twohub-0003', text: 'still here' });
  expect(ack.ok).toBe(true);
});
