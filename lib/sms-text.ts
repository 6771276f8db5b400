/**
 * How an SMS text is encoded and cut into parts: the one implementation, used by the SMS connector
 * when it sends (channels/sms/encoding.ts turns this plan into PDU bytes) and by the console's counter
 * while an agent types (agent-ui imports this file through Vite). Pure TypeScript, no Node API and no
 * imports, so it runs in both.
 *
 * GSM 03.38 default alphabet with its extension table (3GPP TS 23.038) when every character fits,
 * else UCS-2 (UTF-16). One part holds 160 septets / 70 UTF-16 units; a longer text goes in parts of
 * 153 / 67 (the 6-octet concatenation UDH takes the rest), never cutting an escape sequence (an
 * extension character is two septets) or a surrogate pair (a character outside the BMP is two units).
 */

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Characters reached through the escape 0x1B, with their second septet. */
const EXT: Record<string, number> = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 };

const BASIC_MAP = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== 0x1b) BASIC_MAP.set(BASIC[i]!, i);
const EXT_REV = new Map<number, string>(Object.entries(EXT).map(([c, v]) => [v, c]));

/** The septets of one character: 1, 2 (escape + ext), or null when GSM cannot carry it. */
export function gsmSeptets(ch: string): number[] | null {
  const b = BASIC_MAP.get(ch);
  if (b !== undefined) return [b];
  const e = EXT[ch];
  return e === undefined ? null : [0x1b, e];
}

/** Whether the whole text fits the GSM alphabet. */
export function fitsGsm(text: string): boolean {
  for (const ch of text) if (!gsmSeptets(ch)) return false;
  return true;
}

/** Unpacked septets (one per byte) → text. An unknown escape falls back to the basic character, as the spec says. */
export function decodeGsm(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! & 0x7f;
    if (b === 0x1b && i + 1 < bytes.length) {
      const n = bytes[++i]! & 0x7f;
      out += EXT_REV.get(n) ?? BASIC[n];
    } else out += b === 0x1b ? ' ' : BASIC[b];
  }
  return out;
}

export type SmsEncoding = 'gsm' | 'ucs2';

/** Limits per encoding: one part alone, and each part of a concatenated message. */
export const SMS_LIMITS: Record<SmsEncoding, { single: number; part: number }> = { gsm: { single: 160, part: 153 }, ucs2: { single: 70, part: 67 } };

export interface SmsPlan {
  encoding: SmsEncoding;
  /** The characters (code points) of each part, in order; one part when the text fits alone (an empty text is one empty part). */
  parts: string[][];
  /** Septets (GSM) or UTF-16 units (UCS-2) of the whole text. */
  units: number;
}

/** Units one character takes: septets (1, or 2 for an extension character) or UTF-16 units (1, or 2 outside the BMP). */
function unitsOf(ch: string, gsm: boolean): number {
  return gsm ? gsmSeptets(ch)!.length : ch.length;
}

/** The encoding and the parts a text is sent as. */
export function planSms(text: string): SmsPlan {
  const gsm = fitsGsm(text);
  const encoding: SmsEncoding = gsm ? 'gsm' : 'ucs2';
  const chars = [...text];
  const units = chars.reduce((n, c) => n + unitsOf(c, gsm), 0);
  const lim = SMS_LIMITS[encoding];
  if (units <= lim.single) return { encoding, parts: [chars], units };
  const parts: string[][] = [[]];
  let used = 0;
  for (const c of chars) {
    const u = unitsOf(c, gsm);
    // A character that would straddle the boundary starts the next part whole.
    if (used + u > lim.part) {
      parts.push([]);
      used = 0;
    }
    parts[parts.length - 1]!.push(c);
    used += u;
  }
  return { encoding, parts, units };
}

export interface SmsCount {
  /** Characters as a person counts them (code points). */
  chars: number;
  encoding: SmsEncoding;
  /** Septets or UTF-16 units. */
  units: number;
  /** Parts the text goes out as (what the operator bills). */
  segments: number;
  /** Units still free in the last part before another part is needed. */
  remaining: number;
  /** The distinct characters that force UCS-2 (empty for GSM), in order of appearance, at most 10. */
  nonGsm: string[];
}

/** The counter the console shows while an agent types: same plan as the connector sends. */
export function countSms(text: string): SmsCount {
  const plan = planSms(text);
  const lim = SMS_LIMITS[plan.encoding];
  const segments = plan.parts.length;
  const gsm = plan.encoding === 'gsm';
  const last = plan.parts[segments - 1]!.reduce((n, c) => n + unitsOf(c, gsm), 0);
  const remaining = (segments === 1 ? lim.single : lim.part) - last;
  const nonGsm: string[] = [];
  if (!gsm) for (const c of new Set(text)) if (!gsmSeptets(c) && nonGsm.length < 10) nonGsm.push(c);
  return { chars: [...text].length, encoding: plan.encoding, units: plan.units, segments, remaining, nonGsm };
}
