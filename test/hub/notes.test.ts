/**
 * Internal notes (issue 23): written on a conversation for colleagues, shown to the agents' consoles,
 * never sent to the customer — not by the API, not in the visitor's history, and not even when a note
 * is handed to the outbound queue (the worker refuses it), nor by a start-up resume or a reply retry.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Socket } from 'socket.io-client';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { WidgetPeer } from '../helpers/widget.js';

let h: TestHub;
let peer: WidgetPeer;
let conversationId: string;
let token: string;
let console1: Socket;
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'notes' });
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Note Visitor' } });
  peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
  await peer.connected();
  conversationId = (await peer.send('note-in-0001', 'hello')).conversationId;
  token = await loginAs(h.url, 'agent1');
  console1 = await sockets.connect(h.url, '/agent', token);
});
afterAll(async () => {
  sockets.closeAll();
  peer?.close();
  await h?.close();
});

const NOTE = 'customer sounds upset, offer a fee waiver / 客户情绪不好';

test('a note is stored as internal, shown to agents, audited, and never reaches the visitor', async () => {
  const seen = nextEvent<{ message: { text: string; internal?: boolean } }>(console1, 'message.created', (p) => p.message.text === NOTE);
  const r = await api(h.url, `/api/conversations/${conversationId}/notes`, { token, body: { text: NOTE, clientId: 'note-0001' } });
  expect(r.status).toBe(201);
  expect(r.body.message).toMatchObject({ internal: true, direction: 'out', text: NOTE });
  expect((await seen).message.internal).toBe(true);
  // the same client id again: the same note, not a second one
  const again = await api(h.url, `/api/conversations/${conversationId}/notes`, { token, body: { text: NOTE, clientId: 'note-0001' } });
  expect([again.status, again.body.message.id]).toEqual([200, r.body.message.id]);
  expect(await h.hub.m.Message.countDocuments({ conversationId, internal: true })).toBe(1);
  expect(await h.hub.m.Audit.countDocuments({ action: 'note.create', 'target.id': conversationId })).toBe(1);

  // a reply after it reaches the visitor; the note never did (the visitor's socket gets messages in order)
  const reply = await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text: 'how can I help?', clientId: 'note-0001' } });
  expect(reply.status).toBe(201);
  await waitFor(() => peer.inbox.some((m) => m.text === 'how can I help?'), 5000, 'visitor gets the reply');
  expect(peer.inbox.map((m) => m.text)).not.toContain(NOTE);
  // nor is it in the visitor's history
  const hist = await new Promise<{ messages: { text: string }[] }>((res) => peer.socket.emit('history', {}, res));
  expect(hist.messages.map((m) => m.text)).toContain('how can I help?');
  expect(hist.messages.map((m) => m.text)).not.toContain(NOTE);
});

test('the outbound worker refuses a note handed to it: it fails for good and the visitor gets nothing', async () => {
  const r = await api(h.url, `/api/conversations/${conversationId}/notes`, { token, body: { text: 'internal only', clientId: 'note-0002' } });
  const id = r.body.message.id as string;
  // as if a bug queued it: the same job the reply path adds
  const outbound = h.hub.outbound as unknown as { queue: { getJob(id: string): Promise<{ getState(): Promise<string>; failedReason?: string } | undefined> }; enqueue(m: unknown): Promise<void> };
  const doc = await h.hub.m.Message.findById(id).lean();
  await outbound.enqueue(doc);
  const failed = await waitFor(async () => {
    const job = await outbound.queue.getJob(id);
    return job && (await job.getState()) === 'failed' ? job : null;
  }, 10_000, 'the job fails');
  expect(failed.failedReason).toContain('internal note');
  // a later reply still arrives, the note did not
  await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text: 'still here', clientId: 'note-0003' } });
  await waitFor(() => peer.inbox.some((m) => m.text === 'still here'), 5000, 'visitor gets the later reply');
  expect(peer.inbox.map((m) => m.text)).not.toContain('internal only');
  expect((await h.hub.m.Message.findById(id).lean())?.status).toBe('received');
});
