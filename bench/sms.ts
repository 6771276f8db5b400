/**
 * SMS MT throughput: submit_sm/s through the connector's SMPP session (channels/sms/bind.ts: our
 * framing, the window, our encoding and concatenation) against the test SMSC, receipts included, and
 * in the same run a bare smpp-package client loop (same window, same pre-encoded parts) as the floor.
 * 10,000 messages, half Chinese, 10% long; window 10, one bind. Not yet end to end through the hub
 * (store, outbound job, statusByExternalId): see README "SMS channel".
 *   npm run bench:sms   (N=2000 for a short run)
 */
import pino from 'pino';
import smpp, { type PDU } from 'smpp';
import { SmppBind } from '../channels/sms/bind.js';
import type { SmsAccount } from '../channels/sms/config.js';
import { encodeSms } from '../channels/sms/encoding.js';
import { Smsc } from '../test/helpers/smsc.js';

const N = Number(process.env.N ?? 10_000);
const WINDOW = 10;

function texts(): string[] {
  return Array.from({ length: N }, (_, i) => {
    const long = i % 10 === 0;
    if (i % 2 === 0) return (long ? '您的账户于今日完成一笔转账，如非本人操作请致电95588。'.repeat(4) : `验证码${100000 + i}，五分钟内有效。`);
    return long ? `Your card ending 1234 was charged CNY ${i}.00. `.repeat(5) : `Code ${100000 + i}, valid 5 minutes.`;
  });
}

async function viaConnector(port: number, parts: { dc: number; udh: boolean; body: Buffer }[], smsc: Smsc): Promise<number> {
  const account: SmsAccount = { name: 'bench', host: '127.0.0.1', port, systemId: 'esme', password: 'secret', systemType: '', mode: 'transceiver', binds: 1, window: WINDOW, tps: 100000, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general' };
  let receipts = 0;
  const bind = new SmppBind(account, 'transceiver', 'bench#1', { enquireLinkSec: 30, responseTimeoutSec: 10, log: pino({ level: 'silent' }), onDeliver: async () => (receipts++, 0) });
  const up = new Promise((r) => bind.once('state', r));
  bind.start();
  await up;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < parts.length) {
        const p = parts[next++]!;
        const r = await bind.submit({ source_addr: '95588', destination_addr: '8613800138000', dest_addr_npi: 1, esm_class: p.udh ? 0x40 : 0, registered_delivery: 1, data_coding: p.dc, short_message: p.body });
        if (r.status !== 0) throw new Error(`status ${r.status}`);
      }
    }),
  );
  while (receipts < parts.length) await new Promise((r) => setTimeout(r, 5));
  const s = (performance.now() - t0) / 1000;
  await bind.stop();
  void smsc;
  return parts.length / s;
}

async function bare(port: number, parts: { dc: number; udh: boolean; body: Buffer }[]): Promise<number> {
  const session = new smpp.Session({ host: '127.0.0.1', port } as never);
  await new Promise((r) => session.on('connect', r));
  session.socket.setNoDelay(true);
  let receipts = 0;
  session.on('deliver_sm', (pdu: PDU) => {
    receipts++;
    session.send(pdu.response());
  });
  await new Promise<void>((r) => session.send(new smpp.PDU('bind_transceiver', { system_id: 'esme', password: 'secret' }), () => r()));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < parts.length) {
        const p = parts[next++]!;
        await new Promise<void>((r) => session.send(new smpp.PDU('submit_sm', { source_addr: '95588', destination_addr: '8613800138000', dest_addr_npi: 1, esm_class: p.udh ? 0x40 : 0, registered_delivery: 1, data_coding: p.dc, short_message: p.body }), () => r()));
      }
    }),
  );
  while (receipts < parts.length) await new Promise((r) => setTimeout(r, 5));
  const s = (performance.now() - t0) / 1000;
  session.destroy();
  return parts.length / s;
}

const smsc = new Smsc();
const port = await smsc.listen();
const parts = texts().flatMap((t, i) => {
  const e = encodeSms(t, i & 0xff);
  return e.parts.map((body) => ({ dc: e.dataCoding, udh: e.udh, body }));
});
console.log(`${N} messages → ${parts.length} segments, window ${WINDOW}, one bind, a receipt per segment`);
const floor = await bare(port, parts);
console.log(`bare smpp client loop: ${floor.toFixed(0)} segments/s (receipts acked)`);
const ours = await viaConnector(port, parts, smsc);
console.log(`connector session:     ${ours.toFixed(0)} segments/s (receipts decoded and acked)`);
console.log(`ratio connector/bare:  ${(ours / floor).toFixed(2)}`);
await smsc.close();
process.exit(0);
