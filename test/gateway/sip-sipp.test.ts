// Real sipp (Debian's sip-tester) as the carrier on 127.0.0.2 against the gateway on 127.0.0.1, over
// UDP and TCP: OPTIONS ping, CANCEL before answer → 487, a call from an address on no trunk → 403,
// an unknown number → 404, and a retransmitted INVITE absorbed (one call, not two). These need no
// media: the calls here are never answered.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call, EndReason } from '../../gateway/call/call.ts';
import type { AnswerableCall } from '../../gateway/ivr/on-call.ts';
import type { SipGateway } from '../../gateway/sip/gateway.ts';
import { runSipp } from '../helpers/sipp.ts';
import { startGateway } from './fixture.ts';

const scenario = (name: string) => fileURLToPath(new URL(`./sipp/${name}.xml`, import.meta.url));

let gw: SipGateway;
const ports: Record<'udp' | 'tcp', number> = { udp: 0, tcp: 0 };
const calls: Call[] = [];
const ended: EndReason[] = [];

beforeAll(async () => {
  const g = await startGateway();
  gw = g.gw;
  ports.udp = g.udp;
  ports.tcp = g.tcp;
  // The IVR's first move on a new call: ring. Nothing answers, so only CANCEL ends these calls.
  gw.on('call', (c) => {
    // The IVR drives calls through this shape (gateway/ivr/on-call.ts): the typecheck keeps the seam honest.
    const forIvr: AnswerableCall = c;
    void forIvr;
    calls.push(c);
    c.onEnd(({ reason }) => ended.push(reason));
    c.ring();
  });
});
afterAll(async () => {
  await gw?.stop();
});

const fail = (r: { messages: string; errors: string; stderr: string }) => `sipp failed:\n${r.stderr}\n${r.errors}\n${r.messages.slice(-4000)}`;

for (const transport of ['udp', 'tcp'] as const) {
  describe(`sipp over ${transport}`, () => {
    const target = () => `127.0.0.1:${ports[transport]}`;

    it('OPTIONS ping → 200 with Allow', async () => {
      const r = await runSipp({ scenario: scenario('options'), target: target(), transport });
      expect(r.code, fail(r)).toBe(0);
      expect(r.successful).toBe(1);
    });

    it('CANCEL before answer → 200 to the CANCEL, 487 to the INVITE; the call ends cancelled', async () => {
      const before = calls.length;
      const r = await runSipp({ scenario: scenario('invite-cancel'), target: target(), transport });
      expect(r.code, fail(r)).toBe(0);
      expect(calls.length).toBe(before + 1);
      const call = calls[calls.length - 1];
      expect(call.state).toBe('ended');
      expect(call.endReason).toBe('cancelled');
      expect(call.info).toMatchObject({ trunk: 'carrier', called: '95588', caller: '13800138000' });
    });

    it('a call from an address on no trunk → 403, no call, reported', async () => {
      const before = calls.length;
      const refused: string[] = [];
      const off = gw.on('refused', (x) => refused.push(`${x.address} ${x.method} ${x.status}`));
      const r = await runSipp({ scenario: scenario('invite-403'), target: target(), transport, localIp: '127.0.0.3' });
      off();
      expect(r.code, fail(r)).toBe(0);
      expect(calls.length).toBe(before);
      expect(refused).toContain('127.0.0.3 INVITE 403');
    });

    it('a number not on the trunk → 404, no call', async () => {
      const before = calls.length;
      const r = await runSipp({ scenario: scenario('invite-404'), target: target(), transport, service: '4000' });
      expect(r.code, fail(r)).toBe(0);
      expect(calls.length).toBe(before);
    });

    it('ten calls in a row, each cancelled: ten calls, none left active', async () => {
      const before = calls.length;
      const r = await runSipp({ scenario: scenario('invite-cancel'), target: target(), transport, calls: 10, rate: 20 });
      expect(r.code, fail(r)).toBe(0);
      expect(r.successful).toBe(10);
      expect(calls.length).toBe(before + 10);
      expect(gw.activeCalls.size).toBe(0);
    });
  });
}

it('a retransmitted INVITE (same branch, over UDP) is absorbed: one call, not two', async () => {
  const before = calls.length;
  const r = await runSipp({ scenario: scenario('invite-retrans'), target: `127.0.0.1:${ports.udp}`, transport: 'udp' });
  expect(r.code, fail(r)).toBe(0);
  expect(calls.length).toBe(before + 1);
  expect(calls[calls.length - 1].endReason).toBe('cancelled');
  // Every retransmission (ours, and any sipp adds on its own timer) was answered with the last provisional.
  const invites = r.messages.match(/^INVITE /gm)?.length ?? 0;
  expect(invites).toBeGreaterThanOrEqual(2);
  expect(r.messages.match(/^SIP\/2\.0 180 /gm)?.length, r.messages).toBe(invites);
});
