/** The text of a submit_sm the SMSC simulator received (UDH skipped; UCS-2 or GSM/ASCII), for assertions. */
import type { Submitted } from './smsc.js';

export function submittedText(s: Submitted): string {
  let raw = s.raw;
  if (s.esmClass & 0x40) raw = raw.subarray(raw[0]! + 1);
  if (s.dataCoding === 8) return Buffer.from(raw).swap16().toString('utf16le');
  return raw.toString('latin1');
}
