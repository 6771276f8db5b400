/**
 * `npm run bench:sip` — SIP signalling through the gateway with sipp as the carrier (no media):
 * INVITE → 100 → 180 → CANCEL → 200 → 487 → ACK calls at rising rates, over UDP and TCP, and the
 * OPTIONS rate. Prints, per step, calls attempted, succeeded, failed and the wall time; the highest
 * rate with no failure is the signalling ceiling on this machine (media is bench:voice's, later).
 *
 *   npx tsx bench/sip.ts                     # rates 50,100,200,400 calls/s, 500 calls each
 *   npx tsx bench/sip.ts --rates=50,100 --calls=200
 */
import { fileURLToPath } from 'node:url';
import { VoiceConfigSchema } from '../config/voice.ts';
import { SipGateway } from '../gateway/sip/gateway.ts';
import { runSipp } from '../test/helpers/sipp.ts';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const rates = arg('rates', '50,100,200,400').split(',').map(Number);
const calls = Number(arg('calls', '500'));
const scenario = (n: string) => fileURLToPath(new URL(`../test/gateway/sipp/${n}.xml`, import.meta.url));

const config = VoiceConfigSchema.parse({
  enabled: true,
  sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }] },
  trunks: [{ name: 'carrier', addresses: ['127.0.0.2'], numbers: ['95588'] }],
});
const gw = new SipGateway({ config, maxCalls: 100_000 });
let created = 0;
gw.on('call', (c) => {
  created++;
  c.ring();
});
await gw.start();
const port = (t: string) => gw.listening.find((l) => l.transport === t)!.port;

const rows: string[] = ['| transport | scenario | rate (calls/s) | calls | ok | failed | wall s | achieved calls/s | gateway calls |', '|---|---|---|---|---|---|---|---|---|'];
for (const transport of ['udp', 'tcp'] as const) {
  for (const rate of rates) {
    const before = created;
    const t0 = Date.now();
    const r = await runSipp({ scenario: scenario('invite-cancel'), target: `127.0.0.1:${port(transport)}`, transport, calls, rate, timeoutSec: 120, extraArgs: ['-l', String(Math.max(rate * 2, 100))] });
    const wall = (Date.now() - t0) / 1000;
    rows.push(`| ${transport} | INVITE/CANCEL | ${rate} | ${calls} | ${r.successful} | ${r.failed} | ${wall.toFixed(1)} | ${(r.successful / wall).toFixed(0)} | ${created - before} |`);
    console.log(rows[rows.length - 1]);
  }
  const t0 = Date.now();
  const r = await runSipp({ scenario: scenario('options'), target: `127.0.0.1:${port(transport)}`, transport, calls: calls * 4, rate: 2000, timeoutSec: 120 });
  const wall = (Date.now() - t0) / 1000;
  rows.push(`| ${transport} | OPTIONS | 2000 | ${calls * 4} | ${r.successful} | ${r.failed} | ${wall.toFixed(1)} | ${(r.successful / wall).toFixed(0)} | – |`);
  console.log(rows[rows.length - 1]);
}
await gw.stop();
console.log('\n' + rows.join('\n'));
process.exit(0);
