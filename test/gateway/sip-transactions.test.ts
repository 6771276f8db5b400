// The transaction layer's timers on the wire (RFC 3261 §17), with T1 = 50 ms so 64·T1 is 3.2 s:
// a client OPTIONS retransmitted on timer E until answered, 408 at timer F; a final 404 to INVITE
// retransmitted on timer G until the ACK, the transaction gone after timer I (with ACK) or H (without).
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipGateway } from '../../gateway/sip/gateway.ts';
import { waitFor } from '../helpers/wait.ts';
import { callIdOf, invite, startGateway, UdpPeer } from './fixture.ts';

const T1 = 50;
let gw: SipGateway | undefined;
let sock: dgram.Socket | undefined;
let peer: UdpPeer | undefined;
afterEach(async () => {
  sock?.close();
  peer?.close();
  await gw?.stop();
  gw = sock = peer = undefined;
});

/** A trunk on 127.0.0.2 that records each OPTIONS it gets (with its arrival time) and answers when told. */
async function trunk(answerAfter: number): Promise<{ port: number; arrivals: number[] }> {
  const s = dgram.createSocket('udp4');
  sock = s;
  const arrivals: number[] = [];
  s.on('message', (m, r) => {
    arrivals.push(Date.now());
    if (arrivals.length !== answerAfter) return;
    const text = m.toString('latin1');
    const headers = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    s.send(Buffer.from(['SIP/2.0 200 OK', ...headers, 'Content-Length: 0', '', ''].join('\r\n')), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.2', r));
  return { port: s.address().port, arrivals };
}

describe('client transactions (OPTIONS ping towards the trunk)', () => {
  it('retransmitted on timer E (T1, doubling) until the 200, which ends it', async () => {
    const t = await trunk(3);
    const g = await startGateway({}, T1, 30, { host: '127.0.0.2', port: t.port, transport: 'udp' });
    gw = g.gw;
    expect(await gw.ping('carrier')).toBe(200);
    expect(t.arrivals.length).toBe(3);
    const gaps = t.arrivals.slice(1).map((a, i) => a - t.arrivals[i]);
    // 50 ms then 100 ms (timer E doubles); loose bounds for a loaded machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(T1 - 5);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * T1 - 5);
    await waitFor(() => gw!.transactions.size.client === 0, 2000, 'timer K forgets the branch');
  });

  it('no answer: 408 at timer F (64·T1), after retransmissions capped at T2', async () => {
    const t = await trunk(Infinity);
    const g = await startGateway({}, T1, 30, { host: '127.0.0.2', port: t.port, transport: 'udp' });
    gw = g.gw;
    const t0 = Date.now();
    expect(await gw.ping('carrier')).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(64 * T1 - 5);
    // 50, 100, 200, 400, 400, ... (T2 = 8·T1) within 3.2 s: 1 + 11 sends.
    expect(t.arrivals.length).toBeGreaterThanOrEqual(9);
    expect(t.arrivals.length).toBeLessThanOrEqual(13);
  });
});

describe('INVITE server transaction (final non-2xx)', () => {
  it('404 is retransmitted on timer G until the ACK; the transaction ends after timer I', async () => {
    const g = await startGateway({}, T1);
    gw = g.gw;
    gw.on('call', () => {});
    peer = await UdpPeer.open();
    await peer.send(invite('g-timer').replace('sip:95588@', 'sip:4000@'), g.udp);
    await waitFor(() => peer!.responses.filter((r) => r.callId === 'g-timer' && r.status === 404).length >= 3, 3000, 'three 404s');
    const ack = invite('g-timer', 'ACK', /;tag=([^\s;]+)/.exec(peer.responses.find((r) => r.status === 404)!.text.split('\r\n').find((l) => l.startsWith('To:'))!)![1]).replace('sip:95588@', 'sip:4000@');
    expect(callIdOf(ack)).toBe('g-timer');
    await peer.send(ack, g.udp);
    await waitFor(() => gw!.transactions.size.server === 0, 2000, 'timer I ends the transaction');
  });

  it('without an ACK the retransmissions stop at timer H and the transaction is gone', async () => {
    const g = await startGateway({}, T1);
    gw = g.gw;
    peer = await UdpPeer.open();
    await peer.send(invite('h-timer').replace('sip:95588@', 'sip:4000@'), g.udp);
    await peer.next((r) => r.callId === 'h-timer' && r.status === 404);
    await waitFor(() => gw!.transactions.size.server === 0, 64 * T1 + 2000, 'timer H ends the transaction');
    const sent = peer.responses.filter((r) => r.callId === 'h-timer' && r.status === 404).length;
    // G: 50, 100, 200, 400, 400, ... within 3.2 s.
    expect(sent).toBeGreaterThanOrEqual(8);
    expect(sent).toBeLessThanOrEqual(13);
  });
});
