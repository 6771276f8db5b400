/**
 * Prompt generation with the real espeak-ng and sox: a WAV in the prompt format (8 kHz, mono, 16-bit
 * PCM) with audio in it, for Chinese and English; cached by text and voice (generated once, even when
 * asked for concurrently).
 */
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { Tts } from '../../gateway/ivr/prompts/tts.js';
import { parseWav } from '../../gateway/ivr/prompts/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'ivr-tts-'));
const tts = new Tts(dir);

/** Mean absolute sample value: speech, not silence. */
const energy = (buf: Buffer) => {
  const data = buf.subarray(44);
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += Math.abs(data.readInt16LE(i));
  return sum / (data.length / 2);
};

test.each([
  ['zh', '信用卡挂失请按2。'],
  ['en', 'For card loss, press 2.'],
] as const)('%s: a real 8 kHz mono 16-bit WAV with speech in it', async (lang, text) => {
  const path = await tts.file(text, lang);
  const buf = readFileSync(path);
  const info = parseWav(buf);
  expect(info).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 16 });
  expect(info.durationMs).toBeGreaterThan(500);
  expect(info.durationMs).toBeLessThan(10_000);
  expect(energy(buf)).toBeGreaterThan(100);
});

test('cached by text and voice: asked five times at once, generated once; another voice is another file', async () => {
  const text = '欢迎致电城市银行。';
  const paths = await Promise.all(Array.from({ length: 5 }, () => tts.file(text, 'zh')));
  expect(new Set(paths).size).toBe(1);
  const mtime = statSync(paths[0]).mtimeMs;
  expect(await tts.file(text, 'zh')).toBe(paths[0]);
  expect(statSync(paths[0]).mtimeMs).toBe(mtime);
  expect(await tts.file(text, 'en')).not.toBe(paths[0]);
  // No temporary files left behind.
  expect(readdirSync(dir).every((f) => /^[0-9a-f]{32}\.wav$/.test(f))).toBe(true);
});

test('text starting with a dash is spoken, not read as an option', async () => {
  const info = parseWav(readFileSync(await tts.file('-v en --help', 'en')));
  expect(info.durationMs).toBeGreaterThan(300);
});
