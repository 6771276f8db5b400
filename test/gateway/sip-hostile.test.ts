// What the gateway puts on the wire for RFC 4475's torture messages and our hostile list, over real
// UDP and TCP sockets from a trunk address: 400 where a response can be addressed, the RFC's answer
// where there is one (505, 416, 420, 501, 405), silence otherwise — and after every one of them the
// gateway still answers OPTIONS (the proof it is alive).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipGateway } from '../../gateway/sip/gateway.ts';
import { options, startGateway, TcpPeer, UdpPeer } from './fixture.ts';
import { TORTURE } from './fixtures/rfc4475.ts';

let gw: SipGateway;
let udpPort: number;
let tcpPort: number;
let peer: UdpPeer;
const calls: string[] = [];

beforeAll(async () => {
  const g = await startGateway({ tcpFrameMs: 1000 }, 500);
  gw = g.gw;
  udpPort = g.udp;
  tcpPort = g.tcp;
  gw.on('call', (c) => {
    calls.push(c.info.sipCallId);
    c.reject(486);
  });
  peer = await UdpPeer.open();
});
afterAll(async () => {
  peer?.close();
  await gw?.stop();
});

describe('RFC 4475 torture messages over UDP', () => {
  for (const [name, t] of Object.entries(TORTURE)) {
    it(`${t.section} ${name} → ${t.status ?? 'silence'}`, async () => {
      const statuses = await peer.exchange(t.text, udpPort);
      // A final answer to INVITE may be retransmitted (timer G) before the probe's 200: count it once.
      expect([...new Set(statuses)]).toEqual(t.status === undefined ? [] : [t.status]);
    });
  }
  it('none of them became a call', () => {
    expect(calls).toEqual([]);
  });
});

const base = (extra: string[] = [], cl: string | null = '0', start = 'OPTIONS sip:95588@127.0.0.1 SIP/2.0', via = 'SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKh') =>
  [start, `Via: ${via}`, 'From: <sip:a@127.0.0.2>;tag=1', 'To: <sip:95588@127.0.0.1>', `Call-ID: hostile-${Math.random()}`, `CSeq: 1 ${start.split(' ')[0]}`, 'Max-Forwards: 70', ...extra, ...(cl === null ? [] : [`Content-Length: ${cl}`]), '', ''].join('\r\n');

describe('our hostile list over UDP', () => {
  const cases: [string, string | Buffer, number[]][] = [
    ['NUL bytes in a header', base(['X-Evil: a\x00b']), [400]],
    ['NUL bytes only', Buffer.alloc(1000), []],
    ['10,000 headers', base(Array.from({ length: 10_000 }, () => 'a:1')), []],
    ['the largest datagram (65,507 octets) of garbage', Buffer.alloc(65_507, 0x41), []],
    ['a 65,507-octet message (above our 64 KiB)', base(['X-Big: ' + 'a'.repeat(65_000)]), []],
    ['negative Content-Length', base([], '-5'), [400]],
    ['Content-Length beyond the datagram', base([], '500'), [400]],
    ['Content-Length of 2**40', base([], '1099511627776'), [400]],
    ['CSeq not a number', base([]).replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS'), [400]],
    ['CSeq above 2**31', base([]).replace('CSeq: 1 OPTIONS', 'CSeq: 4294967296 OPTIONS'), [400]],
    ['CSeq method not the request method', base([]).replace('CSeq: 1 OPTIONS', 'CSeq: 1 BYE'), [400]],
    ['Via without branch', base([], '0', undefined, 'SIP/2.0/UDP 127.0.0.2:5060'), [400]],
    ['Via that is not SIP', base([], '0', undefined, 'HTTP/1.1/UDP 127.0.0.2'), []],
    ['SIP/3.0', base([], '0', 'OPTIONS sip:95588@127.0.0.1 SIP/3.0'), [505]],
    ['an unknown URI scheme', base([], '0', 'OPTIONS gopher:95588 SIP/2.0'), [416]],
    ['an unknown method', base([], '0', 'FROBNICATE sip:95588@127.0.0.1 SIP/2.0'), [501]],
    ['REGISTER (not served here)', base([], '0', 'REGISTER sip:127.0.0.1 SIP/2.0'), [405]],
    ['BYE outside any dialog', base([], '0', 'BYE sip:95588@127.0.0.1 SIP/2.0').replace('To: <sip:95588@127.0.0.1>', 'To: <sip:95588@127.0.0.1>;tag=nope'), [481]],
    ['CANCEL of nothing', base([], '0', 'CANCEL sip:95588@127.0.0.1 SIP/2.0'), [481]],
    ['a stray ACK', base([], '0', 'ACK sip:95588@127.0.0.1 SIP/2.0'), []],
    ['a response matching nothing', 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKzz\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n', []],
    ['a truncated message', base([]).slice(0, 60), []],
    ['bare LF line ends', base([]).replace(/\r\n/g, '\n'), []],
    ['an INVITE with a body that is not SDP', base(['Content-Type: text/plain'], '5', 'INVITE sip:95588@127.0.0.1 SIP/2.0') + 'hello', [415]],
  ];
  for (const [name, data, want] of cases) {
    it(`${name} → ${want.length ? want.join(',') : 'silence'}`, async () => {
      expect([...new Set(await peer.exchange(data, udpPort))]).toEqual(want);
    });
  }

  it('an address on no trunk gets 403 for anything it can be answered, and is reported', async () => {
    const stranger = await UdpPeer.open('127.0.0.3');
    const refused: string[] = [];
    const off = gw.on('refused', (r) => refused.push(`${r.address} ${r.method} ${r.status}`));
    try {
      await stranger.send(options('stranger-1'), udpPort);
      const r = await stranger.next((x) => x.callId === 'stranger-1');
      expect(r.status).toBe(403);
      expect(refused).toEqual(['127.0.0.3 OPTIONS 403']);
    } finally {
      off();
      stranger.close();
    }
  });
});

describe('hostile TCP', () => {
  it('a torn stream (half a message, then the connection drops) costs nothing', async () => {
    const c = await TcpPeer.open(tcpPort);
    c.write(options('torn', 'TCP').slice(0, 90));
    c.destroy();
    await c.closed;
    const ok = await TcpPeer.open(tcpPort);
    ok.write(options('after-torn', 'TCP'));
    expect(await ok.received('SIP/2.0 200 OK')).toContain('after-torn');
    ok.destroy();
  });

  it('garbage closes that connection only', async () => {
    const bad = await TcpPeer.open(tcpPort);
    const good = await TcpPeer.open(tcpPort);
    bad.write(Buffer.alloc(70_000, 0x41));
    await bad.closed;
    good.write(options('beside-garbage', 'TCP'));
    expect(await good.received('SIP/2.0 200 OK')).toContain('beside-garbage');
    good.destroy();
  });

  it('a 1 MB message closes the connection before it is buffered', async () => {
    const c = await TcpPeer.open(tcpPort);
    c.write(base(['X-Big: a'], String(1024 * 1024), undefined, 'SIP/2.0/TCP 127.0.0.2:5060;branch=z9hG4bKbig'));
    const t0 = Date.now();
    c.write(Buffer.alloc(1024 * 1024, 0x61));
    await c.closed;
    expect(c.data.length).toBe(0);
    // Closed as soon as the Content-Length showed it, not by the idle timeout (30 s here).
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('no Content-Length on a stream: 400, then the connection is closed (no telling where the next message starts)', async () => {
    const c = await TcpPeer.open(tcpPort);
    c.write(base([], null, undefined, 'SIP/2.0/TCP 127.0.0.2:5060;branch=z9hG4bKnocl'));
    await c.closed;
    expect(c.data.toString('latin1')).toMatch(/^SIP\/2\.0 400 /);
  });

  it('two messages in one segment, and one message split over many, are each answered once', async () => {
    const c = await TcpPeer.open(tcpPort);
    c.write(options('seg-a', 'TCP') + options('seg-b', 'TCP'));
    const msg = Buffer.from(options('seg-c', 'TCP'));
    for (let i = 0; i < msg.length; i += 7) c.write(msg.subarray(i, i + 7));
    const text = await c.received('Call-ID: seg-c');
    expect(text.match(/SIP\/2\.0 200 OK/g)?.length).toBe(3);
    c.destroy();
  });

  it('a slow client cannot hold a connection half-sent, and never blocks anyone else', async () => {
    const slow = await TcpPeer.open(tcpPort);
    slow.write('OPTIONS sip:95588@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2');
    // Meanwhile others are served at once...
    const other = await TcpPeer.open(tcpPort);
    other.write(options('while-slow', 'TCP'));
    expect(await other.received('SIP/2.0 200 OK')).toContain('while-slow');
    other.destroy();
    // ...and the half-sent message is given up at the frame deadline (tcpFrameMs: 1 s here, 10 s by default).
    const t0 = Date.now();
    await slow.closed;
    // The idle timeout (30 s here) would close it too, much later: the deadline is what closed it.
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('the gateway still answers OPTIONS over UDP and TCP after all of it', async () => {
    expect(await peer.exchange(options('final-udp'), udpPort)).toEqual([200]);
    const c = await TcpPeer.open(tcpPort);
    c.write(options('final-tcp', 'TCP'));
    expect(await c.received('SIP/2.0 200 OK')).toContain('final-tcp');
    c.destroy();
  });
});
