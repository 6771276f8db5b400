/**
 * An agent's reply is stored, then queued for sending. A process that dies between the two must not
 * leave it unsent: the console's retry (same client id) queues it, and so does the next start-up.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Types } from 'mongoose';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { WidgetPeer } from '../helpers/widget.js';

let h: TestHub;
let peer: WidgetPeer;
let conversationId: string;
let agentId: string;
let token: string;
beforeAll(async () => {
  h = await startTestHub({ name: 'outbound_resume' });
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Resume Visitor' } });
  peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
  await peer.connected();
  conversationId = (await peer.send('resume-in-0001', 'hello, is anyone there?')).conversationId;
  token = await loginAs(h.url, 'agent1');
  agentId = (await api(h.url, '/api/me', { token })).body.user.id;
});
afterAll(async () => {
  peer?.close();
  await h?.close();
});

/** What reply() stores before it queues the send: as if the process died right after the insert. */
async function storedNotQueued(clientId: string, text: string): Promise<string> {
  const conv = await h.hub.m.Conversation.findById(conversationId).lean();
  const _id = new Types.ObjectId();
  const now = new Date();
  await h.hub.m.Message.collection.insertOne({
    _id, conversationId: conv!._id, customerId: conv!.customerId, direction: 'out', channel: 'webchat',
    author: { type: 'agent', id: agentId, name: 'agent1' }, text, attachments: [], externalId: `out:${agentId}:${clientId}`,
    clientId, status: 'queued', createdAt: now, updatedAt: now,
  });
  return String(_id);
}

const statusOf = async (id: string) => (await h.hub.m.Message.findById(id).lean())?.status;

test('the console retries the reply (same client id): answered as a duplicate, and now sent to the visitor', async () => {
  const id = await storedNotQueued('resume-out-0001', 'your card is on its way');
  const r = await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text: 'your card is on its way', clientId: 'resume-out-0001' } });
  expect(r.status).toBe(200);
  expect(r.body.message.id).toBe(id);
  await waitFor(() => peer.inbox.some((m) => m.messageId === id), 5000, 'visitor receives the reply');
  expect(await waitFor(async () => ((await statusOf(id)) === 'sent' ? 'sent' : null), 5000, 'status sent')).toBe('sent');
  expect(peer.inbox.filter((m) => m.messageId === id)).toHaveLength(1);
});

test('a restart sends what was stored but never queued, once', async () => {
  const id = await storedNotQueued('resume-out-0002', 'we have blocked the card');
  const { mongoUri, redisPrefix } = h;
  const port = h.hub.port;
  await h.close();
  try {
    h = await startTestHub({ mongoUri, redisPrefix, seed: false, overrides: { port } });
  } catch {
    h = await startTestHub({ mongoUri, redisPrefix, seed: false });
    peer.moveTo(h.url);
  }
  expect(await waitFor(async () => ((await statusOf(id)) === 'sent' ? 'sent' : null), 10_000, 'status sent after restart')).toBe('sent');
  // The visitor (reconnected by itself) has it in the conversation's history exactly once.
  await waitFor(() => peer.socket.connected, 10_000, 'widget reconnects');
  const hist = await peer.socket.timeout(5000).emitWithAck('history', {});
  expect((hist.messages as { id: string }[]).filter((m) => m.id === id)).toHaveLength(1);
});
