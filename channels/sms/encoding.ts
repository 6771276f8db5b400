/**
 * MT encoding: GSM 03.38 (data_coding 0) when every character fits, else UCS-2 as UTF-16BE
 * (data_coding 8). Long texts are split into parts with a concatenation UDH (esm_class 0x40): 153
 * septets or 67 UTF-16 units per part, never cutting an escape sequence or a surrogate pair (the smpp
 * package splits nothing itself). Also the MO side: decode short_message by data_coding and read the
 * concatenation header (8- and 16-bit references).
 */
import { decodeGsm, gsmSeptets } from './gsm.js';

export const DC_GSM = 0;
export const DC_UCS2 = 8;
export const ESM_UDHI = 0x40;

export interface EncodedSms {
  encoding: 'gsm' | 'ucs2';
  dataCoding: number;
  /** One short_message body per part, UDH included when there are several. */
  parts: Buffer[];
  /** Whether the parts carry a UDH (set esm_class 0x40). */
  udh: boolean;
}

/** Units (septets or UTF-16 code units) per character, for splitting. */
function units(text: string, gsm: boolean): { bytes: Buffer; len: number }[] {
  const out: { bytes: Buffer; len: number }[] = [];
  for (const ch of text) {
    if (gsm) {
      const s = gsmSeptets(ch)!;
      out.push({ bytes: Buffer.from(s), len: s.length });
    } else {
      // A character outside the BMP is a surrogate pair: two units kept together.
      const b = Buffer.from(ch, 'utf16le').swap16();
      out.push({ bytes: b, len: b.length / 2 });
    }
  }
  return out;
}

/** Encode a text into SMPP parts; `ref` is the concatenation reference (0-255) when it needs several. */
export function encodeSms(text: string, ref: number): EncodedSms {
  const gsm = [...text].every((c) => gsmSeptets(c) !== null);
  const chars = units(text, gsm);
  const total = chars.reduce((n, c) => n + c.len, 0);
  const single = gsm ? 160 : 70;
  const per = gsm ? 153 : 67;
  const dataCoding = gsm ? DC_GSM : DC_UCS2;
  const encoding = gsm ? 'gsm' : 'ucs2';
  if (total <= single) return { encoding, dataCoding, parts: [Buffer.concat(chars.map((c) => c.bytes))], udh: false };
  const chunks: Buffer[][] = [[]];
  let used = 0;
  for (const c of chars) {
    if (used + c.len > per) {
      chunks.push([]);
      used = 0;
    }
    chunks[chunks.length - 1]!.push(c.bytes);
    used += c.len;
  }
  if (chunks.length > 255) throw new RangeError('text needs more than 255 parts');
  const parts = chunks.map((c, i) => Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, chunks.length, i + 1]), ...c]));
  return { encoding, dataCoding, parts, udh: true };
}

/** Segments and encoding of a text, for counters (the console's) and metrics. */
export function smsInfo(text: string): { encoding: 'gsm' | 'ucs2'; segments: number } {
  const e = encodeSms(text, 0);
  return { encoding: e.encoding, segments: e.parts.length };
}

export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

/** Split a short_message with UDHI into its concatenation info (IEI 0x00 8-bit, 0x08 16-bit) and payload. */
export function readUdh(body: Buffer): { concat?: ConcatInfo; payload: Buffer } | null {
  if (body.length < 1) return null;
  const udhl = body[0]!;
  if (1 + udhl > body.length) return null;
  let concat: ConcatInfo | undefined;
  let i = 1;
  while (i < 1 + udhl) {
    if (i + 2 > 1 + udhl) return null;
    const iei = body[i]!;
    const len = body[i + 1]!;
    if (i + 2 + len > 1 + udhl) return null;
    const v = body.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) concat = { ref: v[0]!, total: v[1]!, seq: v[2]! };
    if (iei === 0x08 && len === 4) concat = { ref: v.readUInt16BE(0), total: v[2]!, seq: v[3]! };
    i += 2 + len;
  }
  return { concat, payload: body.subarray(1 + udhl) };
}

/** Text of a payload by data_coding: 0 GSM (unpacked), 8 UCS-2, 3 Latin-1, 1 IA5/ASCII; else UTF-8 best effort. */
export function decodeText(payload: Buffer, dataCoding: number): string {
  switch (dataCoding & 0x0f) {
    case 0:
      return decodeGsm(payload);
    case 8: {
      const even = payload.subarray(0, payload.length - (payload.length % 2));
      return Buffer.from(even).swap16().toString('utf16le');
    }
    case 3:
      return payload.toString('latin1');
    case 1:
      return payload.toString('ascii');
    default:
      return payload.toString('utf8');
  }
}
