/**
 * A message stored by a process that died before announcing it: when the widget sends it again (same
 * client id), it is not stored twice, and the agents get it now.
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
});
