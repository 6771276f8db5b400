/**
 * A widget connection that floods events (lib/event-budget.ts): over its budget it is refused before
 * any handler runs, then closed; repeated typing states are not relayed; the hub goes on serving others.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { nextEvent } from '../helpers/wait.js';
import { TokenBucket } from '../../lib/event-budget.js';
import { Sockets } from '../helpers/sockets.js';

const BURST = 10;
const CONNECTIONS = 5;
let h: TestHub;
const sockets = new Sockets();
beforeAll(async () => {
  h = await startTestHub({ name: 'flood', overrides: { 'webchat.eventsPerSecond': 1, 'webchat.eventBurst': BURST, 'webchat.connectionsPerMinute': CONNECTIONS } });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

// No reconnection: a closed flooder must stay closed (a real widget would come back, within budget).
const connect = (ns: string, token: string) => sockets.connect(h.url, ns, token, { reconnection: false });
/** A connection attempt's outcome: connected, or refused with the hub's code. */
const attempt = (token: string) =>
  connect('/webchat', token).then(
    (): { ok: boolean; code?: string } => ({ ok: true }),
    (e: Error & { data?: { code?: string } }) => ({ ok: false, code: e.data?.code }),
  );

async function visitor(name: string) {
  const sess = await api(h.url, '/api/webchat/session', { body: { name } });
  expect(sess.status).toBe(200);
  return connect('/webchat', sess.body.token);
}

test('token bucket: a burst, then the sustained rate', () => {
  const b = new TokenBucket(2, 3, 0);
  expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
  expect(b.take(499)).toBe(false);
  expect(b.take(500)).toBe(true);
  expect(b.take(10_000) && b.take(10_000) && b.take(10_000)).toBe(true);
  expect(b.take(10_000)).toBe(false);
});

test('a history flood: the burst is served, the rest refused with rate_limited, then the connection is closed; others are served', async () => {
  const flooder = await visitor('Flooder');
  const closed = new Promise<string>((r) => flooder.once('disconnect', (reason) => r(reason)));
  const ask = () => new Promise<any>((r) => flooder.timeout(5000).emit('history', {}, (err: unknown, ack: unknown) => r(err ? { unanswered: true } : ack)));
  // Within the burst: every request is served.
  const started = Date.now();
  const served = await Promise.all(Array.from({ length: BURST }, ask));
  expect(served.every((a) => a.ok === true && Array.isArray(a.messages))).toBe(true);
  // Then a flood: refused before any handler runs, and closed after 4 × burst refusals in a row.
  const acks = await Promise.all(Array.from({ length: BURST * 6 }, ask));
  const elapsedS = (Date.now() - started) / 1000;
  const refused = acks.filter((a) => a.ok === false && a.error?.code === 'rate_limited').length;
  const unanswered = acks.filter((a) => a.unanswered).length;
  expect(refused).toBe(BURST * 4);
  expect(await closed).toBe('io server disconnect');
  // At most what the sustained rate (1/s) refilled got through; everything after the close is unanswered.
  expect(acks.length - refused - unanswered).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
  expect(unanswered).toBeGreaterThanOrEqual(BURST * 2 - Math.ceil(elapsedS) - 1);

  // The hub goes on: another visitor's message is stored and acked.
  const other = await visitor('Calm Customer');
  const ack = await other.timeout(5000).emitWithAck('message.send', { clientId: 'flood-calm-0001', text: 'hello' });
  expect(ack.ok).toBe(true);
  expect((await api(h.url, '/healthz')).status).toBe(200);
});

test('repeated typing states are relayed once: one "typing", one "stopped"', async () => {
  const agent = await connect('/agent', await loginAs(h.url, 'agent1'));
  const v = await visitor('Typist');
  const created = nextEvent<any>(agent, 'message.created', (p) => p.message.text === 'question about my card');
  expect((await v.timeout(5000).emitWithAck('message.send', { clientId: 'flood-typing-01', text: 'question about my card' })).ok).toBe(true);
  const conversationId = (await created).conversation.id;
  const seen: boolean[] = [];
  agent.on('typing', (p: { conversationId: string; typing: boolean }) => p.conversationId === conversationId && seen.push(p.typing));
  const off = nextEvent<any>(agent, 'typing', (p) => p.conversationId === conversationId && p.typing === false);
  // Within the budget (burst 10, one used by the message): 4 repeats of "typing", then "stopped".
  for (let i = 0; i < 4; i++) v.emit('typing', { typing: true });
  v.emit('typing', { typing: false });
  await off;
  // Every relay of this socket's events is issued in order; a later echo of a repeat would come after
  // the "stopped" event, so a round trip on the same connections flushes any straggler.
  await v.timeout(5000).emitWithAck('history', {});
  expect(seen).toEqual([true, false]);
});

test('one visitor opening connections over the per-minute limit is refused with rate_limited; another visitor is not', async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Reconnector' } });
  const results = [];
  for (let i = 0; i < CONNECTIONS + 2; i++) results.push(await attempt(sess.body.token));
  expect(results.slice(0, CONNECTIONS).every((r) => r.ok)).toBe(true);
  expect(results.slice(CONNECTIONS)).toEqual([{ ok: false, code: 'rate_limited' }, { ok: false, code: 'rate_limited' }]);
  // A bad token is still told apart (the widget asks for a new session on it).
  expect(await attempt('not-a-token')).toEqual({ ok: false, code: 'unauthorized' });
  await visitor('Someone Else'); // connects
});
