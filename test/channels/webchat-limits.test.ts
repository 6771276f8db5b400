/** Web chat rate limits (kept in Redis, so they hold across hub processes): per visitor and per IP. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
let b: TestHub;
const sockets: Socket[] = [];
beforeAll(async () => {
  const overrides = { 'webchat.messagesPer10s': 3, 'webchat.sessionsPerIpPerMinute': 2 };
  h = await startTestHub({ name: 'limits', overrides });
  b = await startTestHub({ mongoUri: h.mongoUri, redisPrefix: h.redisPrefix, seed: false, overrides });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.allSettled([h?.close(), b?.close()]);
});

test('a visitor over the message rate gets rate_limited, on whichever hub, and nothing more is stored', async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Fast Typer' } });
  const connect = async (url: string) => {
    const s = io(`${url}/webchat`, { auth: { token: sess.body.token }, transports: ['websocket'] });
    sockets.push(s);
    await new Promise<void>((r) => s.once('connect', () => r()));
    return s;
  };
  const [sa, sb] = [await connect(h.url), await connect(b.url)];
  const acks = [];
  for (let i = 0; i < 5; i++) acks.push(await (i % 2 ? sb : sa).emitWithAck('message.send', { clientId: `rate-${i}-abcdef`, text: `m${i}` }));
  expect(acks.map((a) => a.ok)).toEqual([true, true, true, false, false]);
  expect(acks[3].error.code).toBe('rate_limited');
  expect(await h.hub.m.Message.countDocuments({ text: /^m\d$/ })).toBe(3);
});

test('one IP opening too many sessions gets 429 with a clear error', async () => {
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push((await api(i % 2 ? b.url : h.url, '/api/webchat/session', { body: { name: `Visitor ${i}` } })).status);
  // The first test already opened one session from this IP.
  expect(codes).toEqual([200, 429, 429]);
  const r = await api(h.url, '/api/webchat/session', { body: { name: 'again' } });
  expect(r.body.error.code).toBe('rate_limited');
});
