/** MT encoding and MO decoding (channels/sms/encoding.ts, receipt.ts, pdu.ts): pure functions, no SMSC. */
import { expect, test } from 'vitest';
import { decodeText, encodeSms, readUdh, smsInfo } from '../../channels/sms/encoding.js';
import { decodeDeliverSm, FrameReader } from '../../channels/sms/pdu.js';

const join = (parts: Buffer[], udh: boolean) => Buffer.concat(parts.map((p) => (udh ? readUdh(p)!.payload : p)));

test('GSM text is data_coding 0 with the extension table, @ and _ as their GSM septets (not IA5)', () => {
  const e = encodeSms('a@_€{}', 1);
  expect(e.encoding).toBe('gsm');
  expect(e.dataCoding).toBe(0);
  expect([...e.parts[0]!]).toEqual([0x61, 0x00, 0x11, 0x1b, 0x65, 0x1b, 0x28, 0x1b, 0x29]);
  expect(decodeText(e.parts[0]!, 0)).toBe('a@_€{}');
});

test('160 GSM septets is one part; 161 is two parts of at most 153 septets, escapes never cut', () => {
  expect(smsInfo('x'.repeat(160))).toEqual({ encoding: 'gsm', segments: 1 });
  // 152 plain septets then '€' (2 septets): the escape must move whole to part 2.
  const e = encodeSms('x'.repeat(152) + '€' + 'y'.repeat(20), 7);
  expect(e.parts.length).toBe(2);
  expect(e.udh).toBe(true);
  expect([...e.parts[0]!.subarray(0, 6)]).toEqual([5, 0, 3, 7, 2, 1]);
  expect(e.parts[0]!.length - 6).toBe(152);
  expect(e.parts[0]!.at(-1)).not.toBe(0x1b);
  expect(decodeText(join(e.parts, true), 0)).toBe('x'.repeat(152) + '€' + 'y'.repeat(20));
});

test('Chinese is UCS-2 (UTF-16BE, data_coding 8): 70 units in one part, 67 per part after, surrogate pairs kept whole', () => {
  expect(smsInfo('你'.repeat(70))).toEqual({ encoding: 'ucs2', segments: 1 });
  expect(smsInfo('你'.repeat(71))).toEqual({ encoding: 'ucs2', segments: 2 });
  const text = '你'.repeat(66) + '😀' + '好'.repeat(10); // the emoji would straddle units 67/68
  const e = encodeSms(text, 9);
  expect(e.dataCoding).toBe(8);
  expect(e.parts[0]!.length - 6).toBe(66 * 2);
  expect(decodeText(join(e.parts, true), 8)).toBe(text);
  expect(decodeText(e.parts[0]!.subarray(6), 8)).toBe('你'.repeat(66));
});

test('16-bit concatenation references are read too', () => {
  const u = readUdh(Buffer.from([6, 8, 4, 0x12, 0x34, 3, 2, 0x41]))!;
  expect(u.concat).toEqual({ ref: 0x1234, total: 3, seq: 2 });
  expect(u.payload.toString()).toBe('A');
});

test('deliver_sm bodies out of bounds are refused before any ack: missing terminator, sm_length past the end, truncated TLV', () => {
  const ok = Buffer.concat([Buffer.from('\0'), Buffer.from([1, 1]), Buffer.from('8613800138000\0'), Buffer.from([0, 1]), Buffer.from('95588\0'), Buffer.from([0, 0, 0]), Buffer.from('\0\0'), Buffer.from([0, 0, 0, 0, 2]), Buffer.from('hi')]);
  expect(decodeDeliverSm(ok).shortMessage.toString()).toBe('hi');
  expect(() => decodeDeliverSm(ok.subarray(0, ok.length - 1))).toThrow(/sm_length/);
  expect(() => decodeDeliverSm(Buffer.concat([Buffer.from('\0'), Buffer.from([1, 1]), Buffer.from('8613800138000861380013800012345')]))).toThrow(/terminator/);
  expect(() => decodeDeliverSm(Buffer.concat([ok, Buffer.from([0x04, 0x24, 0x00, 0x09, 1])]))).toThrow(/TLV/);
});

test('the frame reader cuts PDUs split and merged across reads, and refuses a command_length below 16', () => {
  const r = new FrameReader();
  const pdu = Buffer.from([0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7]);
  expect(r.push(pdu.subarray(0, 5))).toEqual([]);
  expect(r.push(Buffer.concat([pdu.subarray(5), pdu])).map((f) => f.sequence)).toEqual([7, 7]);
  expect(() => r.push(Buffer.from([0, 0, 0, 8]))).toThrow(/command_length/);
});
