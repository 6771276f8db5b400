/**
 * bench:sms, end to end through a real hub (embedded store, Redis, outbound jobs) against the test
 * SMSC, one bind, window 10:
 *  - MO: N_MO texts (half Chinese) from 500 numbers as deliver_sm, at most 50 outstanding; timed from
 *    the first deliver_sm to the last deliver_sm_resp (the hub answers only after the store): messages
 *    stored and acked per second. Floor in the same run: a bare smpp client that acks every deliver_sm
 *    at once (nothing stored), same window.
 *  - MT: N_MT agent replies (half Chinese, 10% long) in those conversations, through the hub's reply path
 *    (store, outbound job, connector, submit_sm, submit_sm_resp recorded, receipt applied), 20 at a time;
 *    timed from the first reply to the last message `delivered` (its receipt stored). Floor: bench/sms.ts.
 *   npm run bench:sms   (N_MO=2000 N_MT=2000 by default)
 */
import pino from 'pino';
import smpp, { type PDU } from 'smpp';
import { loadConfig } from '../config/index.js';
import { Hub } from '../hub/hub.js';
import { seedDemo } from '../hub/seed.js';
import { Smsc } from '../test/helpers/smsc.js';
import { cleanupRegistry, embeddedWithSmsc, runBench, withTimeout } from './harness.js';

const N_MO = Number(process.env.N_MO ?? 2_000);
const N_MT = Number(process.env.N_MT ?? 2_000);
const MO_WINDOW = 50;
const { cleanups, cleanup } = cleanupRegistry();

const moText = (i: number) => (i % 2 ? `My card ${i} is blocked, please help` : `您好，我的卡 ${i} 被锁了，请帮忙`);
const mtText = (i: number) => {
  const long = i % 10 === 0;
  if (i % 2 === 0) return long ? '您的账户于今日完成一笔转账，如非本人操作请致电95588。'.repeat(4) : `验证码${100000 + i}，五分钟内有效。`;
  return long ? `Your card ending 1234 was charged CNY ${i}.00. `.repeat(5) : `Code ${100000 + i}, valid 5 minutes.`;
};

/** N deliver_sm with at most `window` outstanding; resolves with messages/s. */
async function moLoop(smsc: Smsc, n: number, offset: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: MO_WINDOW }, async () => {
      while (next < n) {
        const i = next++;
        const st = await smsc.mo(`86139${String(offset + (i % 500)).padStart(8, '0')}`, moText(offset + i));
        if (st !== 0) throw new Error(`deliver_sm ${i} answered 0x${st.toString(16)}`);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function bareMo(smsc: Smsc, n: number): Promise<number> {
  const session = new smpp.Session({ host: '127.0.0.1', port: smsc.port } as never);
  await new Promise((r) => session.on('connect', r));
  session.socket.setNoDelay(true);
  session.on('deliver_sm', (pdu: PDU) => session.send(pdu.response()));
  await new Promise<void>((r) => session.send(new smpp.PDU('bind_transceiver', { system_id: 'esme', password: 'secret' }), () => r()));
  while (!smsc.sessions.size) await new Promise((r) => setTimeout(r, 10));
  try {
    return await moLoop(smsc, n, 900_000);
  } finally {
    session.destroy();
    while (smsc.sessions.size) await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<number> {
  const { svc, smsc } = await embeddedWithSmsc('sms', cleanups);
  console.log(`\nbench:sms through the hub — ${N_MO} MO, ${N_MT} MT (half Chinese, 10% long), one bind, window 10, receipts on`);
  const moFloor = await bareMo(smsc, N_MO);
  console.log(`  floor: bare smpp client acking deliver_sm at once:   ${moFloor.toFixed(0)} MO/s`);

  const config = loadConfig(
    {
      port: 0, host: '127.0.0.1', mongoUri: `${svc.mongoUri}bench_sms`, redisUrl: svc.redisUrl, redisPrefix: 'benchsms', logLevel: 'silent',
      jwtSecret: 'bench-secret-bench-secret-bench-secret-0123456789',
      sms: { enabled: true, accounts: [{ name: 'cmcc', host: '127.0.0.1', port: smsc.port, systemId: 'esme', password: 'secret', window: 10, tps: 100000, sourceAddr: '95588' }] },
    },
    {},
  );
  const hub = await Hub.create(config, pino({ level: 'silent' }));
  cleanups.push(() => hub.close());
  await seedDemo(hub.m);
  await hub.listen();
  await withTimeout((async () => { while (!smsc.sessions.size) await new Promise((r) => setTimeout(r, 20)); })(), 30_000, 'bind');

  const moRate = await moLoop(smsc, N_MO, 0);
  const storedMo = await hub.m.Message.countDocuments({ channel: 'sms', direction: 'in' });
  console.log(`  MO through the hub (deliver_sm → stored → resp):   ${moRate.toFixed(0)} MO/s (${storedMo}/${N_MO} stored) = ${((moRate / moFloor) * 100).toFixed(0)}% of the floor`);

  // MT: a supervisor answers (any conversation, no claim needed): the agent send path without HTTP.
  const sup = await hub.m.User.findOne({ username: 'super1' }).lean();
  const u = { id: String(sup!._id), name: String(sup!.name), role: 'supervisor', queues: (sup!.queues ?? []) as string[] } as never;
  const convs = await hub.m.Conversation.find({ channel: 'sms' }).lean();
  const before = smsc.submitted.length;
  let next = 0;
  const ids: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < N_MT) {
        const i = next++;
        const { message } = await hub.conversations.reply(convs[i % convs.length] as never, u, mtText(i), `bench-mt-${i}`, { claim: false });
        ids.push(String(message._id));
      }
    }),
  );
  const queuedS = (performance.now() - t0) / 1000;
  // A bench may poll: "every receipt stored" has no event.
  for (;;) {
    const done = await hub.m.Message.countDocuments({ channel: 'sms', direction: 'out', status: { $in: ['delivered', 'failed'] } });
    if (done >= N_MT) break;
    if (performance.now() - t0 > 30 * 60_000) throw new Error(`only ${done}/${N_MT} MT delivered after 30 min`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const mtS = (performance.now() - t0) / 1000;
  const segments = smsc.submitted.length - before;
  const delivered = await hub.m.Message.countDocuments({ channel: 'sms', direction: 'out', status: 'delivered' });
  console.log(`  MT through the hub (reply → job → submit_sm → resp → receipt stored): ${(segments / mtS).toFixed(0)} segments/s, ${(N_MT / mtS).toFixed(0)} msg/s (${delivered}/${N_MT} delivered, ${segments} segments; replies stored in ${queuedS.toFixed(1)} s)`);
  console.log(`  targets: MO ≥ 500/s ${moRate >= 500 ? 'met' : 'NOT met'}; MT ≥ 500 segments/s ${segments / mtS >= 500 ? 'met' : 'NOT met'} (session floor: the first part of bench:sms)\n`);
  return storedMo === N_MO && delivered === N_MT ? 0 : 1;
}

void runBench(main, cleanup, 60 * 60_000);
