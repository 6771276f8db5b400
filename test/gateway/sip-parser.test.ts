// The strict parser (gateway/sip/parse.ts) against RFC 4475's torture messages and our own hostile
// list. Gateway-level outcomes (what goes back on the wire) are in sip-hostile.test.ts.
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../gateway/sip/parse.ts';
import { TORTURE } from './fixtures/rfc4475.ts';

const buf = (t: string | Buffer) => (typeof t === 'string' ? Buffer.from(t, 'latin1') : t);

describe('RFC 4475 torture messages', () => {
  for (const [name, t] of Object.entries(TORTURE)) {
    it(`${t.section} ${name}: ${t.parse ? 'parses' : 'is rejected'}`, () => {
      const r = parseMessage(buf(t.text), false);
      expect(r.ok, r.ok ? 'parsed' : r.reason).toBe(t.parse);
    });
  }

  it('wsinv reads as the RFC means it: tags across folded lines, three Vias, the SDP body', () => {
    const r = parseMessage(buf(TORTURE.wsinv.text), false);
    if (!r.ok || r.message.kind !== 'request') throw new Error('wsinv did not parse');
    const m = r.message;
    expect(m.to.tag).toBe('1918181833n');
    expect(m.from.tag).toBe('98asjd8');
    expect(m.from.display).toBe('J Rosenberg \\\\\\"');
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.via.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.contact?.params.get('q')).toBe('0.33');
    expect(m.body.length).toBe(150);
  });

  it('intmeth keeps its method exact and the CSeq equal to it', () => {
    const r = parseMessage(buf(TORTURE.intmeth.text), false);
    if (!r.ok || r.message.kind !== 'request') throw new Error('intmeth did not parse');
    expect(r.message.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(r.message.requestUri?.host).toBe('example.com');
  });

  it('dblreq: the octets after Content-Length in a datagram are ignored', () => {
    const r = parseMessage(buf(TORTURE.dblreq.text), false);
    if (!r.ok || r.message.kind !== 'request') throw new Error('dblreq did not parse');
    expect(r.message.method).toBe('REGISTER');
    expect(r.message.body.length).toBe(0);
  });

  it('semiuri: the user part keeps its ;par=', () => {
    const r = parseMessage(buf(TORTURE.semiuri.text), false);
    if (!r.ok || r.message.kind !== 'request') throw new Error('semiuri did not parse');
    expect(r.message.requestUri?.user).toBe('user;par=u%40example.net');
    expect(r.message.requestUri?.host).toBe('example.com');
  });

  it('a rejected request with readable Via/From/To/Call-ID/CSeq says how to reach its sender (clerr)', () => {
    const r = parseMessage(buf(TORTURE.clerr.text), false);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reply?.callId).toBe('clerr.0ha0isndaksdjweiafasdk3');
    expect(r.reply?.via[0].branch).toBe('z9hG4bK-39234-23523');
  });
});

const OPTIONS = (extra = '', cl: string | null = '0', version = 'SIP/2.0', via = 'SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKx1', cseq = '1 OPTIONS') =>
  [`OPTIONS sip:95588@127.0.0.1 ${version}`, `Via: ${via}`, 'From: <sip:a@127.0.0.2>;tag=1', 'To: <sip:95588@127.0.0.1>', 'Call-ID: c1', `CSeq: ${cseq}`, 'Max-Forwards: 70', ...(extra ? [extra] : []), ...(cl === null ? [] : [`Content-Length: ${cl}`]), '', ''].join('\r\n');

describe('our hostile list', () => {
  const rejected = (text: string | Buffer, stream = false) => {
    const r = parseMessage(buf(text), stream);
    return r.ok ? 'parsed' : r.reply ? '400' : 'silence';
  };

  it('a plain OPTIONS parses (the control for everything below)', () => {
    expect(rejected(OPTIONS())).toBe('parsed');
  });
  it('NUL bytes in the header section', () => {
    expect(rejected(OPTIONS('X-Evil: a\x00b'))).toBe('400');
    expect(rejected('\x00'.repeat(100))).toBe('silence');
  });
  it('10,000 headers', () => {
    expect(rejected(OPTIONS(Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v`).join('\r\n')))).toBe('silence');
  });
  it('a message above 64 KiB', () => {
    expect(rejected(OPTIONS('X-Big: ' + 'a'.repeat(70_000)))).toBe('silence');
  });
  it('a header line above 8 KiB', () => {
    expect(rejected(OPTIONS('X-Long: ' + 'a'.repeat(9000)))).toBe('silence');
  });
  it('missing Content-Length: fine in a datagram, refused on a stream', () => {
    expect(rejected(OPTIONS('', null))).toBe('parsed');
    expect(rejected(OPTIONS('', null), true)).toBe('400');
  });
  it('negative, oversized, non-numeric and doubled Content-Length', () => {
    expect(rejected(OPTIONS('', '-1'))).toBe('400');
    expect(rejected(OPTIONS('', '99999999999'))).toBe('400');
    expect(rejected(OPTIONS('', '10'))).toBe('400');
    expect(rejected(OPTIONS('', 'ten'))).toBe('400');
    expect(rejected(OPTIONS('Content-Length: 0', '0'))).toBe('400');
  });
  it('bad CSeq: not a number, above 2**31, method mismatch, missing method', () => {
    expect(rejected(OPTIONS('', '0', 'SIP/2.0', undefined, 'x OPTIONS'))).toBe('400');
    expect(rejected(OPTIONS('', '0', 'SIP/2.0', undefined, '2147483648 OPTIONS'))).toBe('400');
    expect(rejected(OPTIONS('', '0', 'SIP/2.0', undefined, '1 INVITE'))).toBe('400');
    expect(rejected(OPTIONS('', '0', 'SIP/2.0', undefined, '1'))).toBe('400');
  });
  it('Via without branch parses (RFC 2543 syntax) and carries no branch; the gateway answers it 400', () => {
    const r = parseMessage(buf(OPTIONS('', '0', 'SIP/2.0', 'SIP/2.0/UDP 127.0.0.2:5060')), false);
    expect(r.ok && r.message.via[0].branch).toBe(undefined);
  });
  it('SIP/3.0 parses with its version (the gateway answers 505); a garbage version does not', () => {
    const r = parseMessage(buf(OPTIONS('', '0', 'SIP/3.0')), false);
    expect(r.ok && r.message.kind === 'request' && r.message.version).toBe('3.0');
    expect(rejected(OPTIONS('', '0', 'HTTP/1.1'))).toBe('silence');
  });
  it('an unknown Request-URI scheme parses without a SIP URI (the gateway answers 416)', () => {
    const r = parseMessage(buf(OPTIONS().replace('sip:95588@127.0.0.1', 'gopher:95588')), false);
    expect(r.ok && r.message.kind === 'request' && r.message.requestUri).toBe(undefined);
  });
  it('bare LF line ends and garbage', () => {
    expect(rejected(OPTIONS().replace(/\r\n/g, '\n'))).toBe('silence');
    expect(rejected('\xff\xfe\x01garbage\r\n\r\n')).toBe('silence');
    expect(rejected('')).toBe('silence');
  });
});
