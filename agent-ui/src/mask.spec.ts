import { describe, it, expect } from 'vitest';
import { maskSensitive } from './mask';

describe('maskSensitive', () => {
  it('masks 16-digit card numbers to the last four', () => {
    expect(maskSensitive('card 6222021234567890 lost')).toBe('card ************7890 lost');
  });
  it('masks grouped card numbers', () => {
    expect(maskSensitive('卡号 6222 0212 3456 7890。')).toBe('卡号 ************7890。');
    expect(maskSensitive('4111-1111-1111-1111')).toBe('************1111');
  });
  it('masks 13 and 19 digit runs', () => {
    expect(maskSensitive('1234567890123')).toBe('*********0123');
    expect(maskSensitive('1234567890123456789')).toBe('***************6789');
  });
  it('masks Chinese resident ID numbers including the X check digit', () => {
    expect(maskSensitive('身份证110101199003071234')).toBe('身份证1*************1234');
    expect(maskSensitive('id 11010119900307123X.')).toBe('id 1*************123X.');
  });
  it('leaves short numbers, phone numbers and amounts alone', () => {
    expect(maskSensitive('call 95588 or +86 138 0013 8000, pay 1,200.50')).toBe('call 95588 or +86 138 0013 8000, pay 1,200.50');
    expect(maskSensitive('13800138000')).toBe('13800138000');
  });
  it('does not mask inside longer alphanumeric tokens or runs of 20+ digits', () => {
    expect(maskSensitive('ref ABC6222021234567890')).toBe('ref ABC6222021234567890');
    expect(maskSensitive('12345678901234567890123')).toBe('12345678901234567890123');
  });
  it('handles empty input', () => {
    expect(maskSensitive('')).toBe('');
    expect(maskSensitive(undefined)).toBe('');
  });
});
