// Prompts into the call (barge-in, lists, loop, bad files) and RFC 4733 DTMF both ways.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError, type CallMedia } from '../../media/contract.js';
import type { MediaEngineImpl } from '../../media/engine.js';
import { startMediaEngine, toneFiles } from '../helpers/media-engine.js';
import { RtpPeer, rms } from '../helpers/rtp-peer.js';

let engine: MediaEngineImpl;
const files = toneFiles([
  { name: 'long', hz: 440, ms: 10_000 },
  { name: 'low', hz: 300, ms: 300, amplitude: 2000 },
  { name: 'high', hz: 1000, ms: 300, amplitude: 12000 },
]);
beforeAll(async () => {
  engine = await startMediaEngine(42200);
});
afterAll(() => engine?.close());

async function answered(id: string): Promise<{ call: CallMedia; peer: RtpPeer }> {
  const call = await engine.createCall(id);
  const peer = await RtpPeer.open();
  peer.useAnswer(await call.answerTrunk(peer.offer()));
  return { call, peer };
}

describe('play', () => {
  it('reaches the caller with energy and stops at once on barge-in', async () => {
    const { call, peer } = await answered('barge');
    const player = call.play(files.long);
    await peer.waitFor(() => peer.stats().packets >= 10, 5000, 'prompt frames');
    expect(rms(peer.receivedAudio())).toBeGreaterThan(3000);
    player.stop();
    expect(await player.done).toEqual({ stopped: true });
    // After the stop only the next prompt (1 kHz, louder) may arrive: a frame of the stopped one
    // (440 Hz, RMS ~5,700) after the first frame of the next would mean it kept playing.
    const frames: number[] = [];
    peer.on('audio', (s: Int16Array) => frames.push(rms(s)));
    const next = call.play(files.high);
    await next.done;
    await peer.waitFor(() => frames.filter((r) => r > 7000).length >= 15, 5000, 'the next prompt');
    const firstHigh = frames.findIndex((r) => r > 7000);
    expect(firstHigh).toBeLessThanOrEqual(2); // at most what was already in flight
    expect(frames.slice(firstHigh).every((r) => r > 7000)).toBe(true);
    call.close();
    peer.close();
  });

  it('plays a list in order', async () => {
    const { call, peer } = await answered('list');
    const seen: number[] = [];
    peer.on('audio', (s: Int16Array) => seen.push(rms(s)));
    expect(await call.play([files.low, files.high]).done).toEqual({ stopped: false });
    await peer.waitFor(() => seen.length >= 30, 5000, '30 frames');
    const firstHalf = seen.slice(2, 13);
    const secondHalf = seen.slice(17, 28);
    expect(Math.max(...firstHalf)).toBeLessThan(2000);
    expect(Math.min(...secondHalf)).toBeGreaterThan(5000);
    call.close();
    peer.close();
  });

  it('loops until stopped (music on hold), and a new play replaces the current one', async () => {
    const { call, peer } = await answered('loop');
    const moh = call.play(files.low, { loop: true });
    await peer.waitFor(() => peer.stats().packets >= 40, 5000, 'more than two passes of a 300 ms file');
    const announcement = call.play(files.high);
    expect(await moh.done).toEqual({ stopped: true });
    expect(await announcement.done).toEqual({ stopped: false });
    call.close();
    peer.close();
  });

  it('a missing or unreadable file rejects done with MediaError bad-file and plays nothing', async () => {
    const { call, peer } = await answered('bad');
    const notWav = files.long.replace('long.wav', 'text.wav');
    writeFileSync(notWav, 'not a wav at all');
    for (const f of ['/nonexistent/prompt.wav', notWav, [files.low, notWav]]) {
      const err = await call.play(f).done.catch((e) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect(err.code).toBe('bad-file');
    }
    expect(peer.stats().packets).toBe(0);
    call.close();
    peer.close();
  });
});

describe('DTMF (RFC 4733)', () => {
  it('reports each digit exactly once despite the three redundant end packets', async () => {
    const { call, peer } = await answered('dtmf-in');
    const digits: string[] = [];
    call.on('dtmf', ({ digit, durationMs }) => {
      digits.push(digit);
      expect(durationMs).toBe(100);
    });
    const sequence = ['1', '2', '2', '#', '*', '0', 'A'];
    for (const d of sequence) await peer.sendDigit(d);
    // A later packet (audio) proves every end packet before it was processed.
    const done = new Promise<void>((r) => call.on('dtmf', ({ digit }) => digit === '9' && r()));
    await peer.sendDigit('9');
    await done;
    expect(digits).toEqual([...sequence, '9']);
    call.close();
    peer.close();
  });

  it('sends digits to the trunk with the negotiated payload type', async () => {
    const call = await engine.createCall('dtmf-out');
    const peer = await RtpPeer.open();
    peer.telephoneEventPayloadType = 96;
    const answer = await call.answerTrunk(peer.offer(['PCMA', 'telephone-event']));
    expect(answer.telephoneEventPayloadType).toBe(96);
    peer.useAnswer(answer);
    await call.sendDtmf('7');
    await call.sendDtmf('#');
    await peer.waitFor(() => peer.stats().digits.length >= 2, 5000, 'two digits');
    expect(peer.stats().digits.map((d) => d.digit)).toEqual(['7', '#']);
    call.close();
    peer.close();
  });
});
