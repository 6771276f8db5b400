/**
 * The music callers hear while they wait, generated at start rather than shipped: a calm 8-second
 * phrase of soft sine notes (a C-major arpeggio with a slow fade in and out of each note), looped by
 * the player. Generated so no recording with unknown rights is bundled; a bank replaces it by
 * uploading its own prompt. 8 kHz mono 16-bit, what media/player.ts plays.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monoWav } from '../../media/rtp/wav.js';

const RATE = 8000;
/** C4 E4 G4 C5 G4 E4 (Hz), each 1 s, then 2 s of a held low C: telephone-band friendly. */
const NOTES: [number, number][] = [
  [261.63, 1000],
  [329.63, 1000],
  [392.0, 1000],
  [523.25, 1000],
  [392.0, 1000],
  [329.63, 1000],
  [261.63, 2000],
];

export function holdMusicSamples(amplitude = 3000): Int16Array {
  const total = NOTES.reduce((n, [, ms]) => n + (ms * RATE) / 1000, 0);
  const out = new Int16Array(total);
  let at = 0;
  for (const [hz, ms] of NOTES) {
    const n = (ms * RATE) / 1000;
    // A raised-cosine envelope per note: no clicks at the joins, nor where the loop starts again.
    for (let i = 0; i < n; i++) {
      const env = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      const v = Math.sin((2 * Math.PI * hz * i) / RATE) + 0.3 * Math.sin((4 * Math.PI * hz * i) / RATE);
      out[at + i] = Math.round((amplitude * env * v) / 1.3);
    }
    at += n;
  }
  return out;
}

/** Writes the hold music to a fresh temp folder and returns its path. */
export function writeHoldMusic(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cchub-voice-')), 'hold.wav');
  writeFileSync(path, monoWav(holdMusicSamples()));
  return path;
}
