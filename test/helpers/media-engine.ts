/**
 * A real media engine for tests (a real mediasoup worker, real UDP on 127.0.0.1) and the WAV
 * fixtures they play. Each test file takes its own slice of RTP ports so parallel files never meet.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMediaEngine, type MediaEngineImpl } from '../../media/engine.js';
import type { MediaOptions } from '../../media/options.js';
import { monoWav } from '../../media/rtp/wav.js';
import { tone } from './rtp-peer.js';

export function startMediaEngine(minPort: number, rtp: Partial<MediaOptions['rtp']> = {}, workers = 1): Promise<MediaEngineImpl> {
  return createMediaEngine({ rtp: { minPort, maxPort: minPort + 199, announcedAddress: '127.0.0.1', ...rtp }, workers });
}

/** Writes 8 kHz mono 16-bit WAVs of sine tones into a temp folder; returns their paths. */
export function toneFiles(specs: { name: string; hz: number; ms: number; amplitude?: number }[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'cchub-media-'));
  const out: Record<string, string> = {};
  for (const s of specs) {
    out[s.name] = join(dir, `${s.name}.wav`);
    writeFileSync(out[s.name], monoWav(tone(s.hz, s.ms, s.amplitude)));
  }
  return out;
}

/** Reads a whole stream into a Buffer. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The channels of a 16-bit stereo WAV with the canonical 44-byte header (what the recorder writes). */
export function stereoChannels(wav: Buffer): { left: Int16Array; right: Int16Array; channels: number; rate: number } {
  const channels = wav.readUInt16LE(22);
  const rate = wav.readUInt32LE(24);
  const n = (wav.length - 44) / 4;
  const left = new Int16Array(n);
  const right = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = wav.readInt16LE(44 + i * 4);
    right[i] = wav.readInt16LE(46 + i * 4);
  }
  return { left, right, channels, rate };
}
