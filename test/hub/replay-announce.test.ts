/**
 * A message stored by a process that died before announcing it: when the widget sends it again (same
 * client id), it is not stored twice, the agents get it now, and it is counted (unread, messages) once;
 * a message counted before is not counted again when it is sent again.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Types } from 'mongoose';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { nextEvent } from '../helpers/wait.js';
import { Sockets } from '../helpers/sockets.js';

let h: TestHub;
const sockets = new Sockets();
const connect = (ns: string, token: string) => sockets.connect(h.url, ns, token);
beforeAll(async () => {
  h = await startTestHub({ name: 'replay_announce' });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

test('resent after a crash between storing and announcing: answered as a duplicate and announced to the agents', async () => {
  const agent = await connect('/agent', await loginAs(h.url, 'agent1'));
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Replay Visitor' } });
  const visitor = await connect('/webchat', sess.body.token);
  const first = await visitor.timeout(5000).emitWithAck('message.send', { clientId: 'replay-000001', text: 'hello' });
  expect(first.ok).toBe(true);
  const conv = await h.hub.m.Conversation.findById(first.message.conversationId).lean();

  // What the dead process left: the message stored, no event sent, no ack given.
  const _id = new Types.ObjectId();
  const now = new Date();
  await h.hub.m.Message.collection.insertOne({
    _id, conversationId: conv!._id, customerId: conv!.customerId, direction: 'in', channel: 'webchat', author: { type: 'customer', name: 'Replay Visitor' },
    from: sess.body.visitorId, text: 'stored before the crash', attachments: [], externalId: `${sess.body.visitorId}:replay-000002`, clientId: 'replay-000002',
    status: 'received', channelData: { visitorId: sess.body.visitorId }, createdAt: now, updatedAt: now, __v: 0,
  });

  const announced = nextEvent<any>(agent, 'message.created', (p) => p.message.id === String(_id));
  const again = await visitor.timeout(5000).emitWithAck('message.send', { clientId: 'replay-000002', text: 'stored before the crash' });
  expect(again).toMatchObject({ ok: true, duplicate: true, message: { id: String(_id) } });
  const ev = await announced;
  expect(ev.conversation.id).toBe(String(conv!._id));
  expect(await h.hub.m.Message.countDocuments({ externalId: `${sess.body.visitorId}:replay-000002` })).toBe(1);
  // It was never counted (its process died first): counted now, once, and it is the last message.
  expect(ev.conversation).toMatchObject({ unreadCount: 2, lastMessagePreview: 'stored before the crash' });
  const counters = async () => {
    const [v] = await h.hub.inbox.list({ scope: 'all', userId: '', queues: [], limit: 50 }).then((page) => (page?.items ?? []).filter((x) => x.id === String(conv!._id)));
    return { unread: v?.unreadCount, count: Number(await h.hub.redis.hget(`${h.redisPrefix}:{inbox}:counters`, `${String(conv!._id)}:n`)) };
  };
  expect(await counters()).toEqual({ unread: 2, count: 2 });

  // Sent again, both of them (a reconnecting widget resending its outbox): counted already, nothing moves.
  for (const clientId of ['replay-000001', 'replay-000002']) {
    const dup = await visitor.timeout(5000).emitWithAck('message.send', { clientId, text: clientId === 'replay-000001' ? 'hello' : 'stored before the crash' });
    expect(dup).toMatchObject({ ok: true, duplicate: true });
  }
  expect(await counters()).toEqual({ unread: 2, count: 2 });
  expect(await h.hub.m.Message.countDocuments({ conversationId: conv!._id })).toBe(2);
});
