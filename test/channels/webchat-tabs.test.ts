/**
 * A visitor with several tabs, on different hub processes: each tab sees the messages the others
 * send. (The echo is only published when the visitor has other tabs: channels/webchat announceTab.)
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
let b: TestHub;
const sockets: Socket[] = [];
beforeAll(async () => {
  h = await startTestHub({ name: 'tabs' });
  b = await startTestHub({ mongoUri: h.mongoUri, redisPrefix: h.redisPrefix, seed: false });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.allSettled([h?.close(), b?.close()]);
});

type Created = { message: { text: string; clientId?: string } };

/** A tab as the widget opens it: connect, then load history (which the hub answers once every hub knows the tab). */
async function openTab(url: string, token: string) {
  const s = io(`${url}/webchat`, { auth: { token }, transports: ['websocket'] });
  sockets.push(s);
  const seen: string[] = [];
  s.on('message.created', (p: Created) => seen.push(p.message.text));
  await new Promise<void>((r) => s.once('connect', () => r()));
  const hist = await s.emitWithAck('history', {});
  expect(hist.ok).toBe(true);
  return { s, seen, history: (hist.messages as { text: string }[]).map((m) => m.text) };
}

function nextCreated(s: Socket, text: string): Promise<void> {
  return new Promise((r) => {
    const on = (p: Created) => {
      if (p.message.text !== text) return;
      s.off('message.created', on);
      r();
    };
    s.on('message.created', on);
  });
}

test('tabs on two hubs see each other\'s messages; a tab opened later gets the earlier ones from history', async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Two Tabs' } });
  const a = await openTab(h.url, sess.body.token);
  expect((await a.s.emitWithAck('message.send', { clientId: 'tabs-1-abcdef', text: 'alone' })).ok).toBe(true);

  const bTab = await openTab(b.url, sess.body.token);
  expect(bTab.history).toEqual(['alone']);

  const seenByB = nextCreated(bTab.s, 'from a');
  expect((await a.s.emitWithAck('message.send', { clientId: 'tabs-2-abcdef', text: 'from a' })).ok).toBe(true);
  await seenByB;

  const seenByA = nextCreated(a.s, 'from b');
  expect((await bTab.s.emitWithAck('message.send', { clientId: 'tabs-3-abcdef', text: 'from b' })).ok).toBe(true);
  await seenByA;

  // A third tab on the first hub: both older tabs see its message.
  const c = await openTab(h.url, sess.body.token);
  expect(c.history).toEqual(['alone', 'from a', 'from b']);
  const both = Promise.all([nextCreated(a.s, 'from c'), nextCreated(bTab.s, 'from c')]);
  expect((await c.s.emitWithAck('message.send', { clientId: 'tabs-4-abcdef', text: 'from c' })).ok).toBe(true);
  await both;
  // Nobody got their own message echoed back.
  expect(a.seen).not.toContain('from a');
  expect(bTab.seen).not.toContain('from b');
  expect(c.seen).not.toContain('from c');
});
