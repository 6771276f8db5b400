import { describe, expect, it } from 'vitest';
import { titleWith } from './alerts';

describe('tab title count', () => {
  it('shows what waits, capped, and nothing when switched off or zero', () => {
    expect(titleWith('Contact Center', 3, true)).toBe('(3) Contact Center');
    expect(titleWith('Contact Center', 120, true)).toBe('(99+) Contact Center');
    expect(titleWith('Contact Center', 0, true)).toBe('Contact Center');
    expect(titleWith('Contact Center', 3, false)).toBe('Contact Center');
  });
});
