// The trunk leg's offer/answer and comedia, against a real engine and a real UDP peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../media/contract.js';
import type { MediaEngineImpl } from '../../media/engine.js';
import { startMediaEngine, toneFiles } from '../helpers/media-engine.js';
import { RtpPeer } from '../helpers/rtp-peer.js';

let engine: MediaEngineImpl;
const files = toneFiles([{ name: 'beep', hz: 1000, ms: 400 }]);
beforeAll(async () => {
  engine = await startMediaEngine(42000);
});
afterAll(() => engine?.close());

describe('trunk leg: answer', () => {
  it('answers PCMU when the offer puts PCMU first, with telephone-event, and audio flows both ways', async () => {
    const call = await engine.createCall('pcmu');
    const peer = await RtpPeer.open();
    const answer = await call.answerTrunk(peer.offer(['PCMU', 'PCMA', 'telephone-event']));
    expect(answer).toMatchObject({ local: { address: '127.0.0.1' }, codec: { name: 'PCMU', payloadType: 0 }, telephoneEventPayloadType: 101 });
    expect(answer.local.port).toBeGreaterThanOrEqual(42000);
    peer.useAnswer(answer);
    const played = call.play(files.beep);
    await peer.waitFor(() => peer.stats().packets >= 15, 5000, 'PCMU frames');
    expect(await played.done).toEqual({ stopped: false });
    expect(peer.stats().energyPerSecond[0]).toBeGreaterThan(1000);
    call.close();
    peer.close();
  });

  it('answers PCMA when the offer puts PCMA first (the first G.711 of the offer wins)', async () => {
    const call = await engine.createCall('pcma');
    const peer = await RtpPeer.open();
    const answer = await call.answerTrunk(peer.offer(['G722', 'PCMA', 'PCMU']));
    expect(answer.codec).toEqual({ name: 'PCMA', payloadType: 8 });
    expect(answer.telephoneEventPayloadType).toBeUndefined();
    peer.useAnswer(answer);
    call.play(files.beep);
    // The peer decodes as PCMA: real energy means the frames really are A-law.
    await peer.waitFor(() => (peer.stats().energyPerSecond[0] ?? 0) > 1000 && peer.stats().packets >= 15, 5000, 'PCMA energy');
    call.close();
    peer.close();
  });

  it('an offer without G.711 is MediaError no-common-codec (the gateway answers 488) and takes no port', async () => {
    const call = await engine.createCall('488');
    const peer = await RtpPeer.open();
    const before = engine.portsInUse;
    const err = await call.answerTrunk(peer.offer(['G722', 'opus', 'telephone-event'])).catch((e) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err.code).toBe('no-common-codec');
    expect(engine.portsInUse).toBe(before);
    call.close();
    peer.close();
  });

  it('latches onto where RTP really comes from (comedia), not the SDP address', async () => {
    const call = await engine.createCall('comedia');
    const peer = await RtpPeer.open();
    const decoy = await RtpPeer.open(); // the address the SDP names (a NAT's inside view)
    const answer = await call.answerTrunk(peer.offer(['PCMU', 'telephone-event'], decoy.local));
    peer.useAnswer(answer);
    // Before any RTP from the peer, our audio goes to the SDP address.
    const first = call.play(files.beep);
    await decoy.waitFor(() => decoy.stats().packets >= 3, 5000, 'pre-latch packets at the SDP address');
    first.stop();
    await peer.sendTone(440, 100); // the peer speaks from its own port: latch onto it
    const atDecoy = decoy.stats().packets;
    call.play(files.beep);
    await peer.waitFor(() => peer.stats().packets >= 15, 5000, 'packets at the latched address');
    expect(peer.stats().sources).toEqual([`127.0.0.1:${answer.local.port}`]);
    expect(decoy.stats().packets).toBe(atDecoy);
    call.close();
    peer.close();
    decoy.close();
  });

  it('after close every method throws MediaError closed, and close is reported once with its reason', async () => {
    const call = await engine.createCall('closed');
    const reasons: string[] = [];
    call.on('close', ({ reason }) => reasons.push(reason));
    call.on('close', () => {
      throw new Error('a listener that throws');
    });
    call.on('close', ({ reason }) => reasons.push(`after the thrower: ${reason}`));
    call.close('bye');
    call.close('again');
    expect(reasons).toEqual(['bye', 'after the thrower: bye']);
    expect(call.closed).toBe(true);
    expect(engine.calls.has('closed')).toBe(false);
    const peer = await RtpPeer.open();
    for (const fn of [() => call.answerTrunk(peer.offer()), () => Promise.resolve().then(() => call.play(files.beep)), () => Promise.resolve().then(() => call.record())]) {
      const err = await fn().catch((e) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect(err.code).toBe('closed');
    }
    peer.close();
  });
});
