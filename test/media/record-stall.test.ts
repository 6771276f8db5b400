// Recording (stereo WAV: customer left, agent right; pause/resume/stop marks) and stall detection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaEngineImpl } from '../../media/engine.js';
import { readAll, startMediaEngine, stereoChannels } from '../helpers/media-engine.js';
import { RtpPeer, rms } from '../helpers/rtp-peer.js';

let engine: MediaEngineImpl;
beforeAll(async () => {
  engine = await startMediaEngine(42400, { stallSeconds: 1 });
});
afterAll(() => engine?.close());

describe('record', () => {
  it('writes a stereo 8 kHz WAV: the caller in the left channel where they spoke, silence right, and pause/resume marks', async () => {
    const call = await engine.createCall('rec');
    const peer = await RtpPeer.open();
    peer.useAnswer(await call.answerTrunk(peer.offer()));
    const rec = call.record();
    await peer.sendSilence(500);
    await peer.sendTone(440, 1000, 8000);
    rec.pause('agent-1');
    await peer.sendTone(1000, 500, 8000); // not recorded
    rec.resume('agent-1');
    await peer.sendSilence(500);
    const { wav, durationMs, marks } = await rec.stop();
    const { left, right, channels, rate } = stereoChannels(await readAll(wav));
    expect({ channels, rate }).toEqual({ channels: 2, rate: 8000 });
    expect(marks.map((m) => m.kind)).toEqual(['start', 'pause', 'resume', 'stop']);
    expect(marks[1]).toMatchObject({ by: 'agent-1' });
    expect(marks[1].at).toBeGreaterThanOrEqual(1400);
    expect(marks[2].at - marks[1].at).toBeGreaterThanOrEqual(450);
    // ~2 s recorded (0.5 silence + 1 tone + 0.5 silence), the paused 0.5 s not.
    expect(durationMs).toBeGreaterThan(1600);
    expect(durationMs).toBeLessThan(2400);
    expect(left.length).toBe((durationMs / 1000) * 8000);
    // Energy per 100 ms window on the left: the tone's second is loud, the rest quiet.
    const windows = Array.from({ length: Math.floor(left.length / 800) }, (_, i) => rms(left.subarray(i * 800, (i + 1) * 800)));
    const loud = windows.filter((w) => w > 4000).length;
    expect(loud).toBeGreaterThanOrEqual(8);
    expect(loud).toBeLessThanOrEqual(11); // the 1 kHz half second during the pause is not there
    expect(rms(left.subarray(0, 3200))).toBeLessThan(100); // the first 400 ms: silence
    expect(rms(right)).toBe(0); // no agent leg
    call.close();
    peer.close();
  });

  it('a recording still hands over its audio after the call hung up', async () => {
    const call = await engine.createCall('rec-hangup');
    const peer = await RtpPeer.open();
    peer.useAnswer(await call.answerTrunk(peer.offer()));
    const rec = call.record();
    await peer.sendTone(440, 600);
    call.close('hangup');
    const { wav, marks } = await rec.stop();
    const { left } = stereoChannels(await readAll(wav));
    expect(rms(left)).toBeGreaterThan(3000);
    expect(marks.at(-1)?.kind).toBe('stop');
    peer.close();
  });
});

describe('stall', () => {
  it('fires stalled once when the trunk sends nothing for stallSeconds, and again only after RTP came back', async () => {
    const call = await engine.createCall('stall');
    const peer = await RtpPeer.open();
    peer.useAnswer(await call.answerTrunk(peer.offer()));
    let stalls = 0;
    const stalled = () => new Promise<void>((r) => call.on('stalled', () => r()));
    call.on('stalled', () => stalls++);
    await peer.sendTone(440, 200);
    const t0 = performance.now();
    await stalled();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
    expect(stalls).toBe(1);
    await peer.sendTone(440, 100); // back: re-armed
    await stalled();
    expect(stalls).toBe(2);
    call.close();
    peer.close();
  });

  it('a far end on hold (a=inactive) does not stall', async () => {
    const call = await engine.createCall('hold');
    const peer = await RtpPeer.open();
    peer.useAnswer(await call.answerTrunk(peer.offer()));
    let stalls = 0;
    call.on('stalled', () => stalls++);
    await call.updateTrunk({ ...peer.offer(), direction: 'inactive' });
    // The other call stalls on its own schedule; this one must not in the same time.
    const other = await engine.createCall('hold-witness');
    const witness = await RtpPeer.open();
    witness.useAnswer(await other.answerTrunk(witness.offer()));
    await new Promise<void>((r) => other.on('stalled', () => r()));
    expect(stalls).toBe(0);
    call.close();
    other.close();
    peer.close();
    witness.close();
  });
});
