import { describe, expect, it } from 'vitest';
import { maskSensitive } from './mask';

// The console renders with the hub's own rules (lib/mask.ts): what the hub masks at ingest, the
// console masks the same way in anything older or not from a message.
describe('maskSensitive (shared with the hub)', () => {
  it('masks Luhn-valid card numbers to the last four, keeping the separators', () => {
    expect(maskSensitive('card 4111111111111111 lost')).toBe('card ************1111 lost');
    expect(maskSensitive('卡号 4111 1111 1111 1111。')).toBe('卡号 **** **** **** 1111。');
    expect(maskSensitive('4111-1111-1111-1111')).toBe('****-****-****-1111');
    expect(maskSensitive('4111.1111.1111.1111 / 4111/1111/1111/1111')).toBe('****.****.****.1111 / ****/****/****/1111');
    expect(maskSensitive('3782 822463 10005')).toBe('**** ****** *0005');
  });
  it('masks full-width digits and numbers glued to letters', () => {
    expect(maskSensitive('４１１１ １１１１ １１１１ １１１１')).toBe('**** **** **** １１１１');
    expect(maskSensitive('ref4111111111111111abc')).toBe('ref************1111abc');
  });
  it('masks checksummed PRC resident ID numbers, X check character included', () => {
    expect(maskSensitive('身份证11010519491231002X')).toBe('身份证**************002X');
    expect(maskSensitive('id 110105-19491231-002x.')).toBe('id ******-********-002x.');
  });
  it('leaves numbers that fail the check, phone numbers, amounts and dates alone', () => {
    expect(maskSensitive('4111 1111 1111 1112')).toBe('4111 1111 1111 1112');
    expect(maskSensitive('110105194912310021')).toBe('110105194912310021');
    expect(maskSensitive('call 95588 or +86 138 0013 8000, pay 1,200.50 on 2026/12/03')).toBe('call 95588 or +86 138 0013 8000, pay 1,200.50 on 2026/12/03');
    expect(maskSensitive('13800138000')).toBe('13800138000');
  });
  it('handles empty input', () => {
    expect(maskSensitive('')).toBe('');
    expect(maskSensitive(undefined)).toBe('');
  });
});
