/**
 * Campaign throughput (issue 22): SMS campaigns of each size in SIZES (default 1,000 and 10,000
 * recipients) through a real hub (embedded store, Redis, BullMQ lanes, every rule checked, every
 * recipient claimed and marked) to the test SMSC over real SMPP, with receipts; messages/s, the peak
 * RSS growth of the process during each run (is memory flat across sizes?), and exactly-once checked
 * per destination. In the same run the channel's floor: the hub's own SMS connector send() in a loop
 * (window 10, no campaign bookkeeping) for as many messages as the smallest size.
 *   npm run bench:campaign          SIZES=1000,10000 (100,000 takes hours on this shared 2-core machine)
 * E-mail campaigns are not in this bench yet.
 */
import { join } from 'node:path';
import { Types } from 'mongoose';
import pino from 'pino';
import { loadConfig } from '../config/index.js';
import { Hub } from '../hub/hub.js';
import { seedDemo } from '../hub/seed.js';
import { Smsc } from '../test/helpers/smsc.js';
import { cleanupRegistry, embeddedWithSmsc, runBench, withTimeout } from './harness.js';

const SIZES = (process.env.SIZES ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
const { cleanups, cleanup } = cleanupRegistry();

async function hubFor(svc: { mongoUri: string; redisUrl: string }, db: string, smsc: Smsc): Promise<Hub> {
  const config = loadConfig(
    {
      port: 0, host: '127.0.0.1', mongoUri: `${svc.mongoUri}${db}`, redisUrl: svc.redisUrl, redisPrefix: db, logLevel: 'silent',
      jwtSecret: 'bench-secret-bench-secret-bench-secret-0123456789',
      sms: { enabled: true, accounts: [{ name: 'cmcc', host: '127.0.0.1', port: smsc.port, systemId: 'esme', password: 'secret', window: 10, tps: 100000, sourceAddr: '95588' }] },
      campaigns: { tps: { sms: 100000 }, lanes: 8, approvalThreshold: 10_000_000, frequencyCap: { count: 1000, days: 1 }, quietHours: { start: '00:00', end: '00:00' } },
    },
    {},
  );
  const hub = await Hub.create(config, pino({ level: 'silent' }));
  await seedDemo(hub.m);
  await hub.listen();
  while (!smsc.sessions.size) await new Promise((r) => setTimeout(r, 20));
  return hub;
}

async function customers(hub: Hub, n: number, base: number): Promise<string[]> {
  const dests: string[] = [];
  for (let i = 0; i < n; i += 1000) {
    const cs = [];
    const ids = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) {
      const _id = new Types.ObjectId();
      const address = `+86${String(13000000000 + base + k)}`;
      dests.push(address.slice(1));
      cs.push({ _id, name: `客户${k}`, tier: 'standard', segment: 'bench', tags: [], consents: {}, language: k % 2 ? 'en' : 'zh', identities: [{ channel: 'sms', address }], createdAt: new Date(), updatedAt: new Date() });
      ids.push({ _id: `phone:${address}`, customerId: _id, kind: 'phone', address, channels: ['sms'], verified: true, createdAt: new Date() });
    }
    await hub.m.Customer.collection.insertMany(cs);
    await hub.m.Identity.collection.insertMany(ids as never[]);
  }
  return dests;
}

async function runCampaign(svc: { mongoUri: string; redisUrl: string }, smsc: Smsc, n: number): Promise<{ rate: number; peakMb: number; ok: boolean }> {
  const hub = await hubFor(svc, `bench_cmp_${n}`, smsc);
  try {
    const dests = await customers(hub, n, n * 10);
    const want = new Set(dests);
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const actor = { type: 'user' as const, id: 'bench', name: 'bench' };
    const before = smsc.submitted.length;
    const t0 = performance.now();
    const c = await hub.campaigns.service.create({ name: `bench ${n}`, channel: 'sms', audience: { segments: ['bench'] }, content: { zh: { text: '{{name}}您好，双十二信用卡优惠' }, en: { text: 'Hi {{name}}, card offers this week' } } }, actor);
    await hub.campaigns.service.start(String(c._id), actor);
    for (;;) {
      const s = (await hub.campaigns.models.Campaign.findById(c._id, { state: 1 }).lean())?.state;
      if (s === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const secs = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const per = new Map<string, number>();
    for (const s of smsc.submitted.slice(before)) if (want.has(s.dest)) per.set(s.dest, (per.get(s.dest) ?? 0) + 1);
    const ok = per.size === n && [...per.values()].every((x) => x === 1);
    return { rate: n / secs, peakMb: (peak - base) / 1e6, ok };
  } finally {
    await hub.close();
  }
}

async function floor(svc: { mongoUri: string; redisUrl: string }, smsc: Smsc, n: number): Promise<number> {
  const hub = await hubFor(svc, 'bench_cmp_floor', smsc);
  try {
    const sms = hub.connectors.get('sms')!;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (next < n) {
        const i = next++;
        const id = new Types.ObjectId().toHexString();
        const at = new Date().toISOString();
        await sms.send({ message: { id, conversationId: '', direction: 'out', channel: 'sms', author: { type: 'system' }, text: i % 2 ? 'Hi, card offers this week Reply STOP to opt out' : '客户您好，双十二信用卡优惠 回复TD退订', attachments: [], status: 'queued', createdAt: at, updatedAt: at }, attachments: [], channelData: {}, to: `+86${14000000000 + i}`, attempt: 1 });
      }
    }));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await hub.close();
  }
}

async function main(): Promise<number> {
  const { svc, smsc } = await embeddedWithSmsc('campaign', cleanups);
  console.log(`\nbench:campaign — SMS campaigns of ${SIZES.join(', ')} recipients, 8 lanes, against the test SMSC (receipts on)`);
  const floorRate = await withTimeout(floor(svc, smsc, Math.min(...SIZES)), 30 * 60_000, 'floor');
  console.log(`channel floor: the hub's SMS connector send() loop, window 10: ${floorRate.toFixed(0)} msg/s`);
  let allOk = true;
  const rows = [];
  for (const n of SIZES) {
    const r = await withTimeout(runCampaign(svc, smsc, n), 3 * 3600_000, `campaign ${n}`);
    rows.push({ n, ...r });
    allOk &&= r.ok;
    console.log(`${n} recipients: ${r.rate.toFixed(1)} msg/s (${((r.rate / floorRate) * 100).toFixed(0)}% of the floor), peak RSS growth ${r.peakMb.toFixed(0)} MB, exactly once: ${r.ok ? 'yes' : 'NO'}`);
  }
  if (rows.length > 1) {
    const [a, b] = [rows[0]!, rows[rows.length - 1]!];
    console.log(`memory ${a.n} → ${b.n}: ${a.peakMb.toFixed(0)} → ${b.peakMb.toFixed(0)} MB (target: within 20%)`);
  }
  return allOk ? 0 : 1;
}

void runBench(main, cleanup, 4 * 3600_000);
