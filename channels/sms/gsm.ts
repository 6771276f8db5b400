/**
 * GSM 03.38 default alphabet and its extension table (3GPP TS 23.038). We encode GSM text ourselves
 * because the smpp package labels its GSM output data_coding 1 (IA5), which an SMSC reads with '@'
 * and '_' corrupted; we send the septets unpacked (one per octet) with data_coding 0, the SMPP norm.
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
