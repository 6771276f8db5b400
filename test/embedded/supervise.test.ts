/**
 * `npm start`'s embedded services are supervised: PostgreSQL, the store and Redis each killed with
 * SIGKILL come back on the same port with their data, and clients carry on by themselves.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { startOwnServices, type OwnServices } from '../helpers/own-services.js';
import { api, loginAs, startTestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { WidgetPeer } from '../helpers/widget.js';

let svc: OwnServices;
let conn: mongoose.Connection;
let redis: Redis;
const log: string[] = [];
const waiters: { re: RegExp; resolve: () => void }[] = [];

beforeAll(async () => {
  // Services of this file's own: killing the suite's shared ones would fail the files running beside it.
  svc = await startOwnServices('supervise', {
    supervise: {
      log: (m) => {
        log.push(m);
        for (const w of waiters.splice(0)) if (w.re.test(m)) w.resolve(); else waiters.push(w);
      },
    },
  });
  conn = await mongoose.createConnection(svc.mongoUri + 'supervise', { serverSelectionTimeoutMS: 30_000 }).asPromise();
  redis = new Redis(svc.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // reconnecting while Redis is down is expected here
}, 240_000);

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  redis?.disconnect();
  await svc?.stop();
});

/** The supervisor's word that `name` is back; rejects after 30 s so a service that never returns fails clearly. */
function backAgain(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded ${name} not back within 30 s; log: ${log.slice(-5).join(' | ')}`)), 30_000);
    waiters.push({ re: new RegExp(`embedded ${name} is back`), resolve: () => (clearTimeout(timer), resolve()) });
  });
}

for (const name of ['embedded-store', 'redis-server', 'postgres']) {
  test(`${name} killed with SIGKILL comes back; what was written before is there, writes go on`, async () => {
    const docs = conn.db!.collection('docs');
    await docs.insertOne({ before: name });
    await redis.set(`before:${name}`, '1');
    const { pid } = svc.services().find((s) => s.name === name)!;
    expect(pid).toBeGreaterThan(0);
    const back = backAgain(name);
    process.kill(pid!, 'SIGKILL');
    await back;
    expect(svc.services().find((s) => s.name === name)!.pid).not.toBe(pid);
    // The clients reconnect by themselves (the first operation may still meet the dead connection).
    const retry = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await fn();
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await retry(() => docs.insertOne({ after: name }));
    expect(await retry(() => docs.countDocuments({ before: name }))).toBe(1);
    expect(await retry(() => docs.countDocuments({ after: name }))).toBe(1);
    expect(await retry(() => redis.get(`before:${name}`))).toBe('1');
  });
}

for (const name of ['embedded-store', 'postgres', 'redis-server']) test(`a hub on these services: ${name} killed mid-conversation, every message stored once and seen by the agent`, async () => {
  const h = await startTestHub({ name: 'supervise_hub', mongoUri: `${svc.mongoUri}supervise_hub_${name.replace(/-/g, '_')}`, overrides: { redisUrl: svc.redisUrl, 'webchat.messagesPer10s': 100_000, 'webchat.eventsPerSecond': 100_000, 'webchat.eventBurst': 100_000 } });
  const sockets = new Sockets();
  let peer: WidgetPeer | undefined;
  try {
    const N = 60;
    const seen = new Set<string>();
    let allSeen!: () => void;
    const everyoneSeen = new Promise<void>((r) => (allSeen = r));
    const agent = await sockets.connect(h.url, '/agent', await loginAs(h.url, 'agent1'));
    agent.on('message.created', (p: { message: { clientId?: string; direction: string } }) => {
      if (p.message.direction === 'in' && p.message.clientId?.startsWith('sv-')) seen.add(p.message.clientId);
      if (seen.size === N) allSeen();
    });
    const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Supervised Visitor' } });
    peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
    await peer.connected();
    const ids = Array.from({ length: N }, (_, i) => `sv-${name}-${String(i).padStart(4, '0')}`);
    await Promise.all(ids.slice(0, N / 2).map((id) => peer!.send(id, `message ${id}`)));
    const { pid } = svc.services().find((x) => x.name === name)!;
    const back = backAgain(name);
    process.kill(pid!, 'SIGKILL');
    // Sent while the store is down or coming back: refused as unavailable and sent again by the widget.
    const rest = Promise.all(ids.slice(N / 2).map((id) => peer!.send(id, `message ${id}`)));
    await back;
    await rest;
    await everyoneSeen;
    const stored = await h.hub.m.Message.find({ externalId: { $in: ids.map((id) => `${sess.body.visitorId}:${id}`) } }, { clientId: 1 }).lean();
    expect(stored.map((m) => m.clientId).sort()).toEqual(ids);
  } finally {
    peer?.close();
    sockets.closeAll();
    await h.close();
  }
});
