/**
 * Web chat rate limits (kept in Redis, so they hold across hub processes): per visitor and per IP.
 * The per-IP counters are keyed by the client's address, so each test calls from a loopback address
 * of its own (127.0.0.0/8 is all loopback): either test runs alone and in any order.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';

let h: TestHub;
let b: TestHub;
const sockets = new Sockets();
beforeAll(async () => {
  const overrides = { 'webchat.messagesPer10s': 3, 'webchat.sessionsPerIpPerMinute': 2 };
  h = await startTestHub({ name: 'limits', overrides });
  b = await startTestHub({ mongoUri: h.mongoUri, redisPrefix: h.redisPrefix, seed: false, overrides });
});
afterAll(async () => {
  sockets.closeAll();
  await Promise.allSettled([h?.close(), b?.close()]);
});

/** POST /api/webchat/session from this local (loopback) address. */
function session(base: string, from: string, name: string): Promise<{ status: number; body: any }> {
  const url = new URL('/api/webchat/session', base);
  const data = JSON.stringify({ name });
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end(data);
  });
}

test('a visitor over the message rate gets rate_limited, on whichever hub, and nothing more is stored', async () => {
  const sess = await session(h.url, '127.0.0.2', 'Fast Typer');
  expect(sess.status).toBe(200);
  const sa = await sockets.connect(h.url, '/webchat', sess.body.token);
  const sb = await sockets.connect(b.url, '/webchat', sess.body.token);
  const acks = [];
  for (let i = 0; i < 5; i++) acks.push(await (i % 2 ? sb : sa).timeout(10_000).emitWithAck('message.send', { clientId: `rate-${i}-abcdef`, text: `m${i}` }));
  expect(acks.map((a) => a.ok)).toEqual([true, true, true, false, false]);
  expect(acks[3].error.code).toBe('rate_limited');
  expect(await h.hub.m.Message.countDocuments({ text: /^m\d$/ })).toBe(3);
});

test('one IP opening too many sessions gets 429 with a clear error, on whichever hub', async () => {
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await session(i % 2 ? b.url : h.url, '127.0.0.3', `Visitor ${i}`)).status);
  // Two a minute from one IP, counted across both hubs.
  expect(codes).toEqual([200, 200, 429, 429]);
  const r = await session(h.url, '127.0.0.3', 'again');
  expect(r.status).toBe(429);
  expect(r.body.error.code).toBe('rate_limited');
  expect(typeof r.body.error.message).toBe('string');
  // Another address is not held back by this one's count.
  expect((await session(h.url, '127.0.0.4', 'elsewhere')).status).toBe(200);
});
