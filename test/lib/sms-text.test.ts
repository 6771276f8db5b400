/**
 * lib/sms-text.ts: the counter the console shows is the plan the connector sends. Pure functions, no
 * SMSC: every case is checked against encodeSms (the PDU bytes) as well as the expected numbers.
 */
import { expect, test } from 'vitest';
import { countSms, planSms } from '../../lib/sms-text.js';
import { encodeSms } from '../../channels/sms/encoding.js';

const agrees = (text: string) => {
  const c = countSms(text);
  const e = encodeSms(text, 1);
  expect({ encoding: c.encoding, segments: c.segments }).toEqual({ encoding: e.encoding, segments: e.parts.length });
  return c;
};

test('GSM: 160 septets in one part, the 161st makes two of 153; extension characters count two', () => {
  expect(agrees('')).toMatchObject({ chars: 0, encoding: 'gsm', segments: 1, remaining: 160, nonGsm: [] });
  expect(agrees('x'.repeat(160))).toMatchObject({ chars: 160, units: 160, segments: 1, remaining: 0 });
  expect(agrees('x'.repeat(161))).toMatchObject({ segments: 2, remaining: 153 * 2 - 161 });
  // '€' is ESC + 0x65: 80 of them fill one part exactly, the 81st needs two.
  expect(agrees('€'.repeat(80))).toMatchObject({ chars: 80, units: 160, segments: 1, remaining: 0 });
  expect(agrees('€'.repeat(81))).toMatchObject({ units: 162, segments: 2 });
  // 152 septets then '€': the escape moves whole to part 2 (153 is never cut between ESC and 0x65).
  const p = planSms('x'.repeat(152) + '€' + 'y'.repeat(20));
  expect(p.parts[0]!.length).toBe(152);
  expect(p.parts[1]![0]).toBe('€');
});

test('UCS-2: one Chinese or non-GSM character switches the whole text, 70 then 67 per part, and is named', () => {
  expect(agrees('您好')).toMatchObject({ chars: 2, encoding: 'ucs2', segments: 1, remaining: 68, nonGsm: ['您', '好'] });
  expect(agrees('a'.repeat(69) + 'ç')).toMatchObject({ encoding: 'ucs2', segments: 1, remaining: 0, nonGsm: ['ç'] });
  expect(agrees('a'.repeat(70) + 'ç')).toMatchObject({ segments: 2, remaining: 67 * 2 - 71 });
  // "Smart" quotes are the usual accident: the warning says which character it was.
  expect(agrees('Your card is “blocked”')).toMatchObject({ encoding: 'ucs2', nonGsm: ['“', '”'] });
});

test('a character outside the BMP counts two units and is never cut between its surrogates', () => {
  expect(agrees('😀')).toMatchObject({ chars: 1, units: 2, encoding: 'ucs2', segments: 1 });
  const text = 'a'.repeat(66) + '😀' + 'b'.repeat(10);
  const p = planSms(text);
  expect(p.parts.length).toBe(2);
  expect(p.parts[0]!.length).toBe(66);
  expect(p.parts[1]![0]).toBe('😀');
  agrees(text);
});

test('long Chinese text: as many parts as the connector sends', () => {
  for (const n of [67, 70, 71, 134, 135, 500]) expect(agrees('中'.repeat(n)).segments).toBe(n <= 70 ? 1 : Math.ceil(n / 67));
});
