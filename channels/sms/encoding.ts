/**
 * MT encoding: GSM 03.38 (data_coding 0) when every character fits, else UCS-2 as UTF-16BE
 * (data_coding 8). Long texts are split into parts with a concatenation UDH (esm_class 0x40): 153
 * septets or 67 UTF-16 units per part, never cutting an escape sequence or a surrogate pair (the smpp
 * package splits nothing itself). Also the MO side: decode short_message by data_coding and read the
 * concatenation header (8- and 16-bit references).
 */
import { decodeGsm, gsmSeptets, planSms } from '../../lib/sms-text.js';

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

/** One character's bytes on the wire: its unpacked septets (GSM) or UTF-16BE units (a surrogate pair stays whole). */
function charBytes(ch: string, gsm: boolean): Buffer {
  return gsm ? Buffer.from(gsmSeptets(ch)!) : Buffer.from(ch, 'utf16le').swap16();
}

/**
 * Encode a text into SMPP parts; `ref` is the concatenation reference (0-255) when it needs several.
 * Where the text is cut is decided by lib/sms-text.ts, the same plan the console's counter shows.
 */
export function encodeSms(text: string, ref: number): EncodedSms {
  const plan = planSms(text);
  const gsm = plan.encoding === 'gsm';
  const dataCoding = gsm ? DC_GSM : DC_UCS2;
  const chunks = plan.parts.map((p) => Buffer.concat(p.map((c) => charBytes(c, gsm))));
  if (chunks.length === 1) return { encoding: plan.encoding, dataCoding, parts: chunks, udh: false };
  if (chunks.length > 255) throw new RangeError('text needs more than 255 parts');
  const parts = chunks.map((c, i) => Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, chunks.length, i + 1]), c]));
  return { encoding: plan.encoding, dataCoding, parts, udh: true };
}

/** Segments and encoding of a text, for metrics (the console counts with lib/sms-text.ts countSms). */
export function smsInfo(text: string): { encoding: 'gsm' | 'ucs2'; segments: number } {
  const p = planSms(text);
  return { encoding: p.encoding, segments: p.parts.length };
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
