/**
 * The IVR on a real SIP call: sipp as the carrier (127.0.0.2) calls 95588 through the SIP gateway and
 * the real media engine; runIvrOnCall answers and runs the flow; sipp sends digit 2 as RFC 2833
 * events from Debian's pcap; the flow takes it and hangs up (our BYE, which sipp answers 200).
 */
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Call } from '../../gateway/call/call.js';
import type { SipGateway } from '../../gateway/sip/gateway.js';
import type { MediaEngineImpl } from '../../media/engine.js';
import { runIvrOnCall } from '../../gateway/ivr/on-call.js';
import type { IvrResult } from '../../gateway/ivr/session.js';
import { startMediaEngine } from '../helpers/media-engine.js';
import { runSipp } from '../helpers/sipp.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { startGateway } from './fixture.js';

const en = (text: string) => ({ text, lang: 'en' as const });
let h: TestHub;
let engine: MediaEngineImpl;
let gw: SipGateway;
let udp = 0;
const runs: Promise<{ call: Call; result: IvrResult }>[] = [];

beforeAll(async () => {
  h = await startTestHub({ name: 'ivr-sipp', overrides: { dataDir: mkdtempSync(join(tmpdir(), 'ivr-sipp-')) } });
  await h.hub.ivr.flows.create('hotline', {
    name: 'sipp',
    numbers: ['95588'],
    start: 'menu',
    nodes: [
      { id: 'menu', type: 'menu', prompt: en('For cards press 2.'), options: [{ digit: '2', intent: 'cards', next: 'bye' }], timeoutSec: 8, retries: 0, onFail: 'failed' },
      { id: 'bye', type: 'hangup', prompt: en('Goodbye.') },
      { id: 'failed', type: 'hangup' },
    ],
  }, 'test');
  engine = await startMediaEngine(47_400);
  const g = await startGateway({ media: engine });
  gw = g.gw;
  udp = g.udp;
  gw.on('call', (call: Call) => runs.push(runIvrOnCall(h.hub.ivr, call, {}).then((result) => ({ call, result }))));
});
afterAll(async () => {
  await gw?.stop();
  await engine?.close();
  await h?.close();
});

test('sipp calls 95588, presses 2 (RFC 2833 from pcap): the menu takes it, the IVR hangs up with a BYE', async () => {
  const r = await runSipp({ scenario: fileURLToPath(new URL('./sipp/ivr-dtmf.xml', import.meta.url)), target: `127.0.0.1:${udp}`, transport: 'udp', extraArgs: ['-mp', '47700'] });
  expect(r.code, `sipp failed:\n${r.stderr}\n${r.errors}\n${r.messages.slice(-3000)}`).toBe(0);
  expect(runs).toHaveLength(1);
  const { call, result } = await runs[0];
  expect(result.path.map((s) => [s.node, s.digits, s.result])).toEqual([['menu', '2', 'cards'], ['bye', undefined, 'hangup']]);
  expect(result.outcome).toEqual({ kind: 'hangup', reason: 'flow' });
  expect(call.endReason).toBe('hangup');
  expect(call.info.caller).toMatch(/13800138000/);
});
