// The gateway's own limits, so a flood or a stuck listener cannot grow it without bound: calls at
// once (503), server transactions at once (503), a call nobody answers (480 after noAnswerMs), a
// 'call' listener that throws (the gateway carries on).
import { afterEach, describe, expect, it } from 'vitest';
import type { SipGateway } from '../../gateway/sip/gateway.ts';
import { invite, options, startGateway, UdpPeer } from './fixture.ts';

let gw: SipGateway | undefined;
let peer: UdpPeer | undefined;
afterEach(async () => {
  peer?.close();
  await gw?.stop();
  gw = peer = undefined;
});

describe('gateway limits', () => {
  it('maxCalls: the INVITE beyond gets 503 with Retry-After; the first call is untouched', async () => {
    const g = await startGateway({ maxCalls: 1 });
    gw = g.gw;
    gw.on('call', (c) => c.ring());
    peer = await UdpPeer.open();
    await peer.send(invite('lim-a'), g.udp);
    await peer.next((r) => r.callId === 'lim-a' && r.status === 180);
    await peer.send(invite('lim-b'), g.udp);
    const busy = await peer.next((r) => r.callId === 'lim-b' && r.status >= 200);
    expect(busy.status).toBe(503);
    expect(busy.text).toMatch(/\r\nRetry-After: 5\r\n/);
    expect([...gw.activeCalls].map((c) => c.info.sipCallId)).toEqual(['lim-a']);
  });

  it('maxTransactions: a new request beyond the limit gets 503, a retransmission is still answered', async () => {
    const g = await startGateway({ maxTransactions: 2 });
    gw = g.gw;
    peer = await UdpPeer.open();
    for (const id of ['tx-1', 'tx-2']) {
      await peer.send(options(id), g.udp);
      expect((await peer.next((r) => r.callId === id)).status).toBe(200);
    }
    await peer.send(options('tx-3'), g.udp);
    expect((await peer.next((r) => r.callId === 'tx-3')).status).toBe(503);
    // tx-1 is still held (timer J): its retransmission gets the same 200 again.
    const before = peer.responses.filter((r) => r.callId === 'tx-1').length;
    await peer.send(options('tx-1'), g.udp);
    await peer.next(() => peer!.responses.filter((r) => r.callId === 'tx-1').length > before);
    expect(peer.responses.filter((r) => r.callId === 'tx-1').map((r) => r.status)).toEqual([200, 200]);
  });

  it('a call nobody answers gets 480 after noAnswerMs and ends unanswered', async () => {
    const g = await startGateway({ noAnswerMs: 300 });
    gw = g.gw;
    const reasons: string[] = [];
    gw.on('call', (c) => c.onEnd((e) => reasons.push(e.reason)));
    peer = await UdpPeer.open();
    await peer.send(invite('noanswer'), g.udp);
    expect((await peer.next((r) => r.callId === 'noanswer' && r.status >= 200)).status).toBe(480);
    expect(reasons).toEqual(['unanswered']);
    expect(gw.activeCalls.size).toBe(0);
  });

  it("a 'call' listener that throws breaks nothing: the call is still ended in time and OPTIONS answered", async () => {
    const g = await startGateway({ noAnswerMs: 300 });
    gw = g.gw;
    gw.on('call', () => {
      throw new Error('listener bug');
    });
    peer = await UdpPeer.open();
    await peer.send(invite('thrower'), g.udp);
    expect(await peer.exchange(options(), g.udp)).toEqual([200]);
    expect((await peer.next((r) => r.callId === 'thrower' && r.status >= 200)).status).toBe(480);
  });

  it('stop() with a call ringing answers it 480, ends it stopped and returns', async () => {
    const g = await startGateway();
    const reasons: string[] = [];
    g.gw.on('call', (c) => {
      c.onEnd((e) => reasons.push(e.reason));
      c.ring();
    });
    peer = await UdpPeer.open();
    await peer.send(invite('at-stop'), g.udp);
    await peer.next((r) => r.callId === 'at-stop' && r.status === 180);
    await g.gw.stop();
    expect((await peer.next((r) => r.callId === 'at-stop' && r.status >= 200)).status).toBe(480);
    expect(reasons).toEqual(['stopped']);
  });
});
