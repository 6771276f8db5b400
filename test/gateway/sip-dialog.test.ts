// Dialog-creating responses keep the trunk's proxy on the path: Record-Route is copied into them
// (RFC 3261 §12.1.1), in order, and the To-tag stays the same across provisional and final.
import { afterEach, expect, it } from 'vitest';
import type { SipGateway } from '../../gateway/sip/gateway.ts';
import { invite, startGateway, UdpPeer } from './fixture.ts';

let gw: SipGateway | undefined;
let peer: UdpPeer | undefined;
afterEach(async () => {
  peer?.close();
  await gw?.stop();
  gw = peer = undefined;
});

it('180 copies the Record-Route headers in order; the 487 after CANCEL carries the same To-tag', async () => {
  const g = await startGateway();
  gw = g.gw;
  gw.on('call', (c) => c.ring());
  peer = await UdpPeer.open();
  const rr = 'Record-Route: <sip:sbc1.carrier.example;lr>\r\nRecord-Route: <sip:sbc2.carrier.example;lr>\r\n';
  await peer.send(invite('rr-1').replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\n${rr}`), g.udp);
  const ringing = await peer.next((r) => r.callId === 'rr-1' && r.status === 180);
  expect(ringing.text).toContain(rr);
  const tag = /\r\nTo: [^\r\n]*;tag=([^\s;\r]+)/.exec(ringing.text)?.[1];
  expect(tag).toBeTruthy();
  await peer.send(invite('rr-1', 'CANCEL'), g.udp);
  const terminated = await peer.next((r) => r.callId === 'rr-1' && r.status === 487);
  expect(/\r\nTo: [^\r\n]*;tag=([^\s;\r]+)/.exec(terminated.text)?.[1]).toBe(tag);
});
