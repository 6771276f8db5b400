import { afterAll, beforeAll, expect, test } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
beforeAll(async () => {
  h = await startTestHub({ name: 'smoke' });
});
afterAll(async () => h?.close());

test('a visitor message reaches the agent, the reply reaches the visitor, the agent resolves', async () => {
  const token = await loginAs(h.url, 'agent1');
  const agent: Socket = io(`${h.url}/agent`, { auth: { token }, transports: ['websocket'] });
  await new Promise<void>((r) => agent.once('connect', () => r()));
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Visitor' } });
  expect(sess.status).toBe(200);
  const visitor: Socket = io(`${h.url}/webchat`, { auth: { token: sess.body.token }, transports: ['websocket'] });
  await new Promise<void>((r) => visitor.once('connect', () => r()));
  const seen = new Promise<any>((r) => agent.on('message.created', (p) => p.message.direction === 'in' && r(p)));
  const ack = await visitor.emitWithAck('message.send', { clientId: 'client-0001', text: '你好 hello' });
  expect(ack.ok).toBe(true);
  const ev = await seen;
  expect(ev.message.text).toBe('你好 hello');
  const convId = ev.conversation.id;
  const got = new Promise<any>((r) => visitor.on('message.created', (p) => r(p)));
  const rep = await api(h.url, `/api/conversations/${convId}/messages`, { token, body: { text: 'Hi, how can I help?', clientId: 'reply-0001' } });
  expect(rep.status).toBe(201);
  expect((await got).message.text).toBe('Hi, how can I help?');
  const res = await api(h.url, `/api/conversations/${convId}/resolve`, { token, body: { wrapUpCode: 'resolved' } });
  expect(res.body.conversation.status).toBe('resolved');
  agent.close();
  visitor.close();
});
