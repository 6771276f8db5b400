/**
 * The one audio format prompts come in: RIFF WAVE, PCM (format 1), 16-bit, 8000 Hz, mono — what the
 * media layer plays onto a G.711 trunk without resampling. Uploads are checked here before they are
 * stored; anything else is refused with the reason.
 */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataBytes: number;
  durationMs: number;
}

export class WavError extends Error {}

export const PROMPT_FORMAT = { sampleRate: 8000, channels: 1, bitsPerSample: 16 } as const;

/** Reads the chunks of a WAV (RIFF, fmt, data; others skipped, each padded to an even length). */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new WavError('not a WAV file (no RIFF/WAVE header)');
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError('truncated fmt chunk');
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new WavError('data before fmt');
      if (fmt.format !== 1) throw new WavError(`audio format ${fmt.format} is not PCM`);
      if (fmt.sampleRate !== PROMPT_FORMAT.sampleRate) throw new WavError(`sample rate ${fmt.sampleRate} Hz: prompts are 8000 Hz`);
      if (fmt.channels !== PROMPT_FORMAT.channels) throw new WavError(`${fmt.channels} channels: prompts are mono`);
      if (fmt.bits !== PROMPT_FORMAT.bitsPerSample) throw new WavError(`${fmt.bits}-bit samples: prompts are 16-bit`);
      // A streaming writer may leave the size unknown (0xFFFFFFFF): take what the file holds.
      const dataBytes = Math.min(size, buf.length - body);
      if (dataBytes < 2) throw new WavError('no audio in the file');
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, bitsPerSample: fmt.bits, dataBytes, durationMs: Math.round((dataBytes / 2 / fmt.sampleRate) * 1000) };
    }
    off = body + size + (size % 2);
  }
  throw new WavError('no data chunk');
}
