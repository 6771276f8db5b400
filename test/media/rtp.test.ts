// The G.711 plane's building blocks (no worker needed): codecs, RFC 4733, WAV, and the RTP peer
// test helper measured against itself over real UDP.
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../media/contract.js';
import { decodeG711, encodeG711, transcodeG711 } from '../../media/rtp/g711.js';
import { DtmfDetector, dtmfPacketPlan } from '../../media/rtp/dtmf.js';
import { buildRtp, parseRtp } from '../../media/rtp/packet.js';
import { monoWav, parseWav8kMono, wavHeader } from '../../media/rtp/wav.js';
import { RtpPeer, rms, tone } from '../helpers/rtp-peer.js';

describe('G.711', () => {
  it('round-trips a tone through μ-law and A-law within the codecs’ quantisation, and transcodes between them', () => {
    const t = tone(440, 100, 10000);
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const back = decodeG711(codec, encodeG711(codec, t));
      let maxErr = 0;
      for (let i = 0; i < t.length; i++) maxErr = Math.max(maxErr, Math.abs(back[i] - t[i]) / Math.max(256, Math.abs(t[i])));
      expect(maxErr).toBeLessThan(0.07);
    }
    const viaA = decodeG711('PCMA', transcodeG711('PCMU', 'PCMA', encodeG711('PCMU', t)));
    expect(Math.abs(rms(viaA) - rms(t)) / rms(t)).toBeLessThan(0.03);
    expect(decodeG711('PCMU', Buffer.from([0xff]))[0]).toBe(0);
  });
});

describe('RFC 4733 detection', () => {
  const packets = (digit: string, timestamp: number, ssrc = 1) =>
    dtmfPacketPlan(digit, 100).map((p, i) => ({ payloadType: 101, marker: p.marker, sequenceNumber: i, timestamp, ssrc, payload: p.payload }));

  it('one digit per event despite three end packets; a repeated digit is a new event (new timestamp)', () => {
    const d = new DtmfDetector();
    const got = [...packets('5', 1000), ...packets('5', 3000), ...packets('#', 5000)].flatMap((p) => d.feed(p));
    expect(got).toEqual([
      { digit: '5', durationMs: 100 },
      { digit: '5', durationMs: 100 },
      { digit: '#', durationMs: 100 },
    ]);
  });

  it('an event whose end packets were all lost is reported when the next event starts', () => {
    const d = new DtmfDetector();
    const first = packets('3', 1000).filter((p) => !(p.payload[1] & 0x80));
    const got = [...first, ...packets('4', 4000)].flatMap((p) => d.feed(p));
    expect(got.map((g) => g.digit)).toEqual(['3', '4']);
  });

  it('ignores short payloads and events beyond the 16 DTMF codes', () => {
    const d = new DtmfDetector();
    expect(d.feed({ payloadType: 101, marker: false, sequenceNumber: 0, timestamp: 0, ssrc: 1, payload: Buffer.from([1, 0x80]) })).toEqual([]);
    expect(d.feed({ payloadType: 101, marker: false, sequenceNumber: 0, timestamp: 0, ssrc: 1, payload: Buffer.from([40, 0x80, 0, 80]) })).toEqual([]);
    expect(() => dtmfPacketPlan('x')).toThrow(RangeError);
  });
});

describe('RTP and WAV parsing', () => {
  it('parses what it builds, skips CSRCs/extensions/padding, and refuses RTCP and garbage', () => {
    const p = { payloadType: 8, marker: true, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload: Buffer.from([1, 2, 3]) };
    expect(parseRtp(buildRtp(p))).toEqual(p);
    const withExt = Buffer.concat([Buffer.from([0x91, 0x08, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0xbe, 0xde, 0, 1, 9, 9, 9, 9]), Buffer.from([7, 7])]);
    expect(parseRtp(withExt)?.payload).toEqual(Buffer.from([7, 7]));
    expect(parseRtp(Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined(); // RTCP SR, muxed
    expect(parseRtp(Buffer.from('hello world!'))).toBeUndefined();
    expect(parseRtp(Buffer.from([0x80, 0]))).toBeUndefined();
  });

  it('reads 8 kHz mono PCM WAVs and refuses anything else with MediaError bad-file', () => {
    const t = tone(440, 20);
    expect(parseWav8kMono(monoWav(t))).toEqual(t);
    const stereo = wavHeader(8, 2);
    const wide = monoWav(t, 16000);
    for (const bad of [Buffer.from('nope'), Buffer.concat([stereo, Buffer.alloc(8)]), wide, monoWav(t).subarray(0, 20)]) {
      expect(() => parseWav8kMono(bad)).toThrow(MediaError);
    }
  });
});

describe('RtpPeer (test helper) against itself', () => {
  it('measures packets, zero loss, low jitter, energy per second and digits over real UDP', async () => {
    const a = await RtpPeer.open();
    const b = await RtpPeer.open();
    a.useAnswer({ local: b.local, codec: { name: 'PCMA', payloadType: 8 }, telephoneEventPayloadType: 101 });
    b.useAnswer({ local: a.local, codec: { name: 'PCMA', payloadType: 8 }, telephoneEventPayloadType: 101 });
    await a.sendTone(440, 1000, 8000);
    await a.sendDigit('7');
    // 50 audio frames, then the digit: 2 updates + 3 end packets.
    await b.waitFor(() => b.stats().packets >= 55, 5000, 'every packet');
    const s = b.stats();
    expect(s.packets).toBe(55);
    expect(s.lost).toBe(0);
    expect(s.jitterMs).toBeLessThan(20);
    expect(s.energyPerSecond[0]).toBeGreaterThan(5000);
    expect(s.digits).toEqual([{ digit: '7', durationMs: 100 }]);
    expect(s.sources).toEqual([`127.0.0.1:${a.local.port}`]);
    a.close();
    b.close();
  });
});
