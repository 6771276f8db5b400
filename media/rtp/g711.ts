/**
 * G.711 μ-law (PCMU) and A-law (PCMA) ↔ 16-bit linear PCM, ITU-T G.711. Table-driven both ways:
 * 8 kHz audio is 8,000 samples a second per direction per call, so a lookup beats arithmetic.
 */
import type { G711 } from '../contract.js';

function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

function alawToLinear(a: number): number {
  a ^= 0x55;
  const sign = a & 0x80;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return sign ? magnitude : -magnitude;
}

function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let sign = 0;
  if (sample < 0) {
    sample = -sample;
    sign = 0x80;
  }
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function linearToAlaw(sample: number): number {
  let sign = 0x80;
  if (sample < 0) {
    sample = -sample - 1;
    sign = 0;
  }
  if (sample > 32767) sample = 32767;
  let out: number;
  if (sample < 256) out = sample >> 4;
  else {
    let exponent = 1;
    for (let s = sample >> 8; s > 1; s >>= 1) exponent++;
    out = (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

const DECODE: Record<G711, Int16Array> = { PCMU: new Int16Array(256), PCMA: new Int16Array(256) };
for (let i = 0; i < 256; i++) {
  DECODE.PCMU[i] = ulawToLinear(i);
  DECODE.PCMA[i] = alawToLinear(i);
}
// Encoding tables indexed by (sample + 32768) >> 2: 14 significant bits are all G.711 keeps.
const ENCODE: Record<G711, Uint8Array> = { PCMU: new Uint8Array(16384), PCMA: new Uint8Array(16384) };
for (let i = 0; i < 16384; i++) {
  const s = (i << 2) - 32768;
  ENCODE.PCMU[i] = linearToUlaw(s);
  ENCODE.PCMA[i] = linearToAlaw(s);
}

/** G.711 bytes → linear samples. */
export function decodeG711(codec: G711, payload: Uint8Array, out = new Int16Array(payload.length)): Int16Array {
  const t = DECODE[codec];
  for (let i = 0; i < payload.length; i++) out[i] = t[payload[i]];
  return out;
}

/** Linear samples → G.711 bytes. */
export function encodeG711(codec: G711, samples: Int16Array, out = Buffer.allocUnsafe(samples.length)): Buffer {
  const t = ENCODE[codec];
  for (let i = 0; i < samples.length; i++) out[i] = t[(samples[i] + 32768) >> 2];
  return out;
}

/** PCMU ↔ PCMA without a trip through the caller's code (an agent on PCMU, a trunk on PCMA). */
export function transcodeG711(from: G711, to: G711, payload: Uint8Array): Buffer {
  if (from === to) return Buffer.from(payload);
  return encodeG711(to, decodeG711(from, payload));
}

/** The static payload types of RFC 3551. */
export const G711_STATIC_PT: Record<G711, number> = { PCMU: 0, PCMA: 8 };

/** G.711's silence byte (linear 0). */
export const G711_SILENCE: Record<G711, number> = { PCMU: 0xff, PCMA: 0xd5 };
