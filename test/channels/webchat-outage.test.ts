/**
 * Redis unreachable while a visitor writes: the send is refused as `unavailable` (a code the widget
 * retries, keeping the message), nothing is stored; once Redis is back the resend under the same
 * client id is stored exactly once.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Socket } from 'socket.io-client';
import { Sockets } from '../helpers/sockets.js';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
let s: Socket;
const sockets = new Sockets();
let visitorId: string;
let token: string;
beforeAll(async () => {
  h = await startTestHub({ name: 'outage' });
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Outage Visitor' } });
  visitorId = sess.body.visitorId;
  token = sess.body.token;
  s = await sockets.connect(h.url, '/webchat', sess.body.token);
  expect((await s.timeout(5000).emitWithAck('message.send', { clientId: 'outage-000001', text: 'first' })).ok).toBe(true);
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

test('Redis down: unavailable (retriable), nothing stored; Redis back: the resend is stored once', async () => {
  const stored = () => h.hub.m.Message.countDocuments({ externalId: `${visitorId}:outage-000002` });
  h.hub.redis.disconnect(); // the hub's main connection: rate limit and counters live there
  const refused = await s.timeout(10_000).emitWithAck('message.send', { clientId: 'outage-000002', text: 'while Redis is down' });
  expect(refused).toEqual({ ok: false, error: { code: 'unavailable', message: expect.any(String) } });
  expect(await stored()).toBe(0);
  // A new tab connecting meanwhile is refused as unavailable too (the widget tries again in a few s).
  const refusedTab = await sockets.connect(h.url, '/webchat', token, { reconnection: false }).then(
    () => null,
    (e: Error & { data?: { code?: string } }) => e.data?.code,
  );
  expect(refusedTab).toBe('unavailable');
  // Readiness says which dependency is down (and nothing about where it is), and lists the connectors.
  expect(await api(h.url, '/readyz')).toEqual({ status: 503, body: { ok: false, down: ['redis'], connectors: { webchat: { state: 'up', since: expect.any(String) } } } });
  await h.hub.redis.connect();
  const ok = await s.timeout(10_000).emitWithAck('message.send', { clientId: 'outage-000002', text: 'while Redis is down' });
  expect(ok.ok).toBe(true);
  expect(ok.duplicate).toBe(false);
  const again = await s.timeout(10_000).emitWithAck('message.send', { clientId: 'outage-000002', text: 'while Redis is down' });
  expect(again.duplicate).toBe(true);
  expect(await stored()).toBe(1);
});
