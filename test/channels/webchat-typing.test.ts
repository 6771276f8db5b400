/** A visitor's typing indicator reaches the agents of their conversation (looked up in the Redis inbox view, not MongoDB). */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { nextEvent } from '../helpers/wait.js';
import { Sockets } from '../helpers/sockets.js';

let h: TestHub;
const sockets = new Sockets();
beforeAll(async () => {
  h = await startTestHub({ name: 'typing' });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const connect = (ns: string, token: string) => sockets.connect(h.url, ns, token);

test('typing after the first message reaches the queue\'s agents with the conversation id; stopping too', async () => {
  const agent = await connect('/agent', await loginAs(h.url, 'agent1'));
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Typist' } });
  const visitor = await connect('/webchat', sess.body.token);
  const created = nextEvent<any>(agent, 'message.created', (p) => p.message.text === 'hello, I have a question');
  const ack = await visitor.timeout(5000).emitWithAck('message.send', { clientId: 'typing-0001', text: 'hello, I have a question' });
  expect(ack.ok).toBe(true);
  const conversationId = (await created).conversation.id;

  const on = nextEvent<any>(agent, 'typing', (p) => p.conversationId === conversationId && p.typing === true);
  visitor.emit('typing', { typing: true });
  await on;
  const off = nextEvent<any>(agent, 'typing', (p) => p.conversationId === conversationId && p.typing === false);
  visitor.emit('typing', { typing: false });
  await off;
});

test('a supervisor typing in the conversation shows the customer that someone is typing; stopping too', async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Waiting Customer' } });
  const visitor = await connect('/webchat', sess.body.token);
  const lead = await connect('/agent', await loginAs(h.url, 'super1'));
  const created = nextEvent<any>(lead, 'message.created', (p) => p.message.text === 'is anyone there?');
  expect((await visitor.timeout(5000).emitWithAck('message.send', { clientId: 'typing-0002', text: 'is anyone there?' })).ok).toBe(true);
  const conversationId = (await created).conversation.id;
  const on = nextEvent<any>(visitor, 'typing', (p) => p.typing === true);
  lead.emit('typing', { conversationId, typing: true });
  await on;
  const off = nextEvent<any>(visitor, 'typing', (p) => p.typing === false);
  lead.emit('typing', { conversationId, typing: false });
  await off;
});
