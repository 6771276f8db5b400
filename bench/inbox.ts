/**
 * bench:inbox — one inbox page (newest activity first, 50 rows) with 15,000 conversations on the
 * embedded store: the Redis view the hub serves versus the MongoDB query it replaced, in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startEmbedded } from '../scripts/embedded.js';
import { createModels } from '../hub/models/index.js';
import { InboxView } from '../hub/inbox-view.js';
import type { ConversationDoc } from '../hub/models/conversation.js';

const N = Number(process.env.BENCH_CONVERSATIONS ?? 15_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'cchub-bench-inbox-'));
const svc = await startEmbedded({ dir });
const conn = await mongoose.createConnection(`${svc.mongoUri}inbox`).asPromise();
const redis = new Redis(svc.redisUrl);
const m = createModels(conn);
await m.Conversation.createIndexes();
const queues = ['general', 'cards', 'wealth', 'vip'];
const docs = Array.from({ length: N }, (_, i) => {
  const status = i % 10 === 0 ? 'queued' : i % 10 === 1 ? 'assigned' : 'resolved';
  const at = new Date(Date.now() - i * 1000);
  return { _id: new mongoose.Types.ObjectId(), customerId: new mongoose.Types.ObjectId(), customerName: `C${i}`, channel: 'webchat', status, openKey: status === 'resolved' ? `closed:${i}` : `k${i}`, queue: queues[i % 4], priority: 0, assigneeId: status === 'assigned' ? `agent${i % 50}` : null, lastMessageAt: at, createdAt: at, updatedAt: at, unreadCount: 0, messageCount: 1, tags: [] };
});
for (let i = 0; i < docs.length; i += 500) await m.Conversation.collection.insertMany(docs.slice(i, i + 500));
const view = new InboxView(redis, 'bench', m, pino({ level: 'silent' }));
const t0 = Date.now();
await view.ensureBuilt();
const buildMs = Date.now() - t0;

async function time(f: () => Promise<unknown>) {
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const s = performance.now();
    await f();
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  return { n: lat.length, p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}
const LIVE = ['open', 'queued', 'assigned', 'pending'];
const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
  ['supervisor: all live', () => view.list({ scope: 'all', userId: 'x', queues: [], limit: 50 }), () => m.Conversation.find({ status: { $in: LIVE } }).sort({ lastMessageAt: -1 }).limit(51).lean()],
  ['agent: my queues', () => view.list({ scope: 'queue', userId: 'agent1', queues: ['general', 'cards'], limit: 50 }), () => m.Conversation.find({ queue: { $in: ['general', 'cards'] }, assigneeId: { $in: [null, 'agent1'] }, status: { $in: LIVE } }).sort({ lastMessageAt: -1 }).limit(51).lean()],
  ['resolved, newest', () => view.list({ scope: 'all', userId: 'x', queues: [], status: 'resolved', limit: 50 }), () => m.Conversation.find({ status: 'resolved' }).sort({ lastMessageAt: -1 }).limit(51).lean()],
];
console.log(`\nbench:inbox — ${N} conversations on the embedded store; one page of 50 (view built in ${buildMs} ms)\n`);
console.log('list'.padEnd(24), 'Redis view p50/p99 ms'.padEnd(26), 'MongoDB query p50/p99 ms'.padEnd(28), 'speed-up (p50)');
for (const [name, hot, cold] of cases) {
  const a = await time(hot);
  const b = await time(cold);
  const rows = (await hot()) as { items: unknown[] };
  const ref = (await cold()) as ConversationDoc[];
  if (rows.items.length !== Math.min(50, ref.length)) throw new Error(`${name}: view returned ${rows.items.length} rows, database ${ref.length}`);
  console.log(name.padEnd(24), `${a.p50.toFixed(2)} / ${a.p99.toFixed(2)}`.padEnd(26), `${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`.padEnd(28), `${(b.p50 / a.p50).toFixed(0)}x`);
}
redis.disconnect();
await conn.close();
await svc.stop();
rmSync(dir, { recursive: true, force: true });
