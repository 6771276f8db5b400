/**
 * kill -9: the hub runs as a real child process (scripts/start.ts). A visitor streams 200 messages with
 * several in flight, keeping an outbox of unacked ones like the widget; the hub is SIGKILLed mid-stream,
 * a new hub process starts on the same database and Redis, the visitor reconnects with the same token
 * and resends everything unacked with the same clientIds. Every message ends up stored exactly once and
 * nothing acked before the kill is lost. (Derived counters may lag after a crash: only messages are checked.)
 */
import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { testMongoUri, testRedisUrl } from '../helpers/db.js';
import { api } from '../helpers/hub.js';
import { restartHubProcess, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { WidgetPeer, type SendAck } from '../helpers/widget.js';
import { waitFor } from '../helpers/wait.js';

const TOTAL = 200;
const IN_FLIGHT = 8;
const KILL_AFTER_ACKS = TOTAL / 2;

const mongoUri = testMongoUri('crash');
const redisPrefix = `crash${randomBytes(4).toString('hex')}`;
const hubs: HubProcess[] = [];
let db: Connection;
let peer: WidgetPeer | undefined;

const hubOpts = {
  mongoUri, redisUrl: testRedisUrl(), redisPrefix,
  env: { CCHUB_WEBCHAT_MESSAGES_PER_10S: '100000', CCHUB_WEBCHAT_EVENTS_PER_SECOND: '100000', CCHUB_WEBCHAT_EVENT_BURST: '100000' },
};

/** A hub process on this file's database and Redis prefix (killed in afterAll if a test did not). */
async function startHub(): Promise<HubProcess> {
  const h = await startHubProcess(hubOpts);
  hubs.push(h);
  return h;
}

beforeAll(async () => {
  db = await mongoose.createConnection(mongoUri).asPromise();
});
afterAll(async () => {
  peer?.close();
  await Promise.all(hubs.map((h) => h.kill9()));
  await db?.close();
});

test('SIGKILL mid-stream: after restart and resend, all 200 messages are stored exactly once', async () => {
  const first = await startHub();
  const sess = await api(first.url, '/api/webchat/session', { body: { name: 'Crash Visitor' } });
  expect(sess.status).toBe(200);
  peer = new WidgetPeer(first.url, sess.body.token, sess.body.visitorId);
  await peer.connected();
  const w = peer;

  const clientIds = Array.from({ length: TOTAL }, (_, i) => `crash-${String(i).padStart(4, '0')}-${randomBytes(3).toString('hex')}`);
  const acks = new Map<string, SendAck>();
  let ackedBeforeKill: Map<string, SendAck> | undefined;
  let killed: Promise<void> | undefined;

  // The stream: at most IN_FLIGHT unacked at a time; the 100th ack kills the hub on the spot, so the
  // messages in flight at that moment are in every state (not received, stored but not acked...).
  const sendAll = (async () => {
    const inflight = new Set<Promise<unknown>>();
    for (const [i, cid] of clientIds.entries()) {
      while (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
      const p = w.send(cid, `message ${i}`).then((ack) => {
        acks.set(cid, ack);
        if (acks.size === KILL_AFTER_ACKS && !killed) {
          ackedBeforeKill = new Map(acks);
          killed = first.kill9();
        }
      });
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    }
    await Promise.all(inflight);
  })();

  await waitFor(() => ackedBeforeKill, 30_000, 'the kill');
  await killed;
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(w.pending).toBeGreaterThan(0);

  // A new hub process on the same database and Redis. Same port when free, as behind a stable address:
  // the widget's own reconnect loop finds it and resends its outbox.
  const second = await restartHubProcess(first, hubOpts);
  hubs.push(second);
  if (!second.samePort) w.moveTo(second.url);
  await sendAll;
  expect(acks.size).toBe(TOTAL);
  expect(w.pending).toBe(0);

  const messages = db.collection('messages');
  const stored = await messages.find({ channel: 'webchat', externalId: { $in: clientIds.map((c) => `${w.visitorId}:${c}`) } }).toArray();
  const perId = new Map<string, number>();
  for (const m of stored) perId.set(String(m.clientId), (perId.get(String(m.clientId)) ?? 0) + 1);
  // Exactly once each.
  expect(stored).toHaveLength(TOTAL);
  for (const cid of clientIds) expect(perId.get(cid), cid).toBe(1);
  // Everything acked before the kill is there, under the id its ack named.
  const byId = new Map(stored.map((m) => [String(m._id), m]));
  expect(ackedBeforeKill!.size).toBe(KILL_AFTER_ACKS);
  for (const [cid, ack] of ackedBeforeKill!) expect(byId.get(ack.messageId)?.clientId, cid).toBe(cid);
  // And every ack, before or after the crash, names the stored message.
  for (const [cid, ack] of acks) expect(byId.get(ack.messageId)?.clientId, cid).toBe(cid);
  // All in the visitor's one live conversation.
  expect(new Set(stored.map((m) => String(m.conversationId))).size).toBe(1);

  await second.kill9();
}, 180_000);
