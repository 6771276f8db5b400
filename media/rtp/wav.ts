/** WAV (RIFF) files: read 8 kHz mono prompts, write the stereo recording's header. */
import { readFile } from 'node:fs/promises';
import { MediaError } from '../contract.js';
import { decodeG711 } from './g711.js';

/**
 * Reads an 8 kHz mono WAV into linear samples: 16-bit PCM, A-law or μ-law (what espeak-ng + sox and
 * recorded prompts produce). Anything else is MediaError('bad-file'): resampling belongs to the
 * upload, not to every play.
 */
export async function readWav8kMono(path: string): Promise<Int16Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new MediaError('bad-file', `${path}: ${(e as Error).message}`);
  }
  return parseWav8kMono(buf, path);
}

export function parseWav8kMono(buf: Buffer, name = 'wav'): Int16Array {
  const bad = (why: string) => new MediaError('bad-file', `${name}: ${why}`);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw bad('not a RIFF/WAVE file');
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw bad('truncated fmt chunk');
      let format = buf.readUInt16LE(body);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two bytes.
      if (format === 0xfffe && size >= 40) format = buf.readUInt16LE(body + 24);
      fmt = { format, channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw bad('data before fmt');
      if (fmt.channels !== 1 || fmt.rate !== 8000) throw bad(`need 8000 Hz mono, got ${fmt.rate} Hz × ${fmt.channels}`);
      const data = buf.subarray(body, Math.min(buf.length, body + size));
      if (fmt.format === 1 && fmt.bits === 16) {
        const out = new Int16Array(data.length >> 1);
        for (let i = 0; i < out.length; i++) out[i] = data.readInt16LE(i * 2);
        return out;
      }
      if (fmt.format === 6 && fmt.bits === 8) return decodeG711('PCMA', data);
      if (fmt.format === 7 && fmt.bits === 8) return decodeG711('PCMU', data);
      throw bad(`unsupported encoding (format ${fmt.format}, ${fmt.bits} bits): need 16-bit PCM, A-law or μ-law`);
    }
    offset = body + size + (size & 1); // chunks are word-aligned
  }
  throw bad('no data chunk');
}

/** A canonical 44-byte PCM WAV header. */
export function wavHeader(dataBytes: number, channels: number, rate = 8000, bits = 16): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = (channels * bits) / 8;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Builds a whole mono 16-bit WAV in memory (tests, generated tones). */
export function monoWav(samples: Int16Array, rate = 8000): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return Buffer.concat([wavHeader(data.length, 1, rate), data]);
}
