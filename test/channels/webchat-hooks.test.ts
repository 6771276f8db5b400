/**
 * What the hub tells a connector through its hooks (channels/contract.ts), seen by the widget: its
 * place in the queue (and again for a tab that connects later, asked for by customer id through
 * ConnectorRouting.refreshQueuePosition), an agent's read, and the conversation's resolution.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { nextEvent } from '../helpers/wait.js';
import { Sockets } from '../helpers/sockets.js';

let h: TestHub;
const sockets = new Sockets();
beforeAll(async () => {
  h = await startTestHub({ name: 'webchat_hooks' });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const connect = (ns: string, token: string) => sockets.connect(h.url, ns, token);

test('a waiting visitor gets their queue position; a tab opened later gets the same position without a change in the queue', async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Queued Visitor' } });
  const tab1 = await connect('/webchat', sess.body.token);
  const first = nextEvent<any>(tab1, 'queue.position', (p) => p.position >= 1, 15_000);
  expect((await tab1.timeout(5000).emitWithAck('message.send', { clientId: 'hooks-000001', text: 'anyone?' })).ok).toBe(true);
  const { position } = await first;
  // Nothing moved in the queue, so only the reconnect's request makes the leader send it again.
  const tab2 = await connect('/webchat', sess.body.token);
  const again = await nextEvent<any>(tab2, 'queue.position', () => true, 15_000);
  expect(again.position).toBe(position);
});

test("an agent's read and the resolution reach the visitor's widget", async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Read Visitor' } });
  const visitor = await connect('/webchat', sess.body.token);
  const ack = await visitor.timeout(5000).emitWithAck('message.send', { clientId: 'hooks-000002', text: 'please read me' });
  expect(ack.ok).toBe(true);
  const lead = await loginAs(h.url, 'super1');
  const read = nextEvent<any>(visitor, 'read', (p) => p.upTo === ack.message.id, 15_000);
  expect((await api(h.url, `/api/conversations/${ack.message.conversationId}/read`, { method: 'POST', token: lead })).status).toBe(200);
  await read;
  const resolved = nextEvent<any>(visitor, 'conversation.updated', (p) => p.status === 'resolved', 15_000);
  expect((await api(h.url, `/api/conversations/${ack.message.conversationId}/resolve`, { body: { wrapUpCode: 'resolved' }, token: lead })).status).toBe(200);
  await resolved;
});
