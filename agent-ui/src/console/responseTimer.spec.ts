import { describe, expect, it } from 'vitest';
import { awaitingSince, timerLevel } from './responseTimer';

const msg = (direction: 'in' | 'out', at: string, o: { type?: 'customer' | 'agent' | 'system'; internal?: true } = {}) => ({
  direction, createdAt: at, author: { type: o.type ?? (direction === 'in' ? 'customer' : 'agent') }, ...(o.internal ? { internal: o.internal } : {}),
} as const);

describe('awaitingSince', () => {
  it('is the first customer message after our last reply', () => {
    expect(awaitingSince([msg('in', 't1'), msg('out', 't2'), msg('in', 't3'), msg('in', 't4')])).toBe('t3');
  });
  it('is null when we spoke last, or nobody did', () => {
    expect(awaitingSince([msg('in', 't1'), msg('out', 't2')])).toBeNull();
    expect(awaitingSince([])).toBeNull();
  });
  it('an internal note or a system line answers nobody', () => {
    expect(awaitingSince([msg('in', 't1'), msg('out', 't2', { internal: true }), msg('out', 't3', { type: 'system' })])).toBe('t1');
  });
});

describe('timerLevel', () => {
  it('green, then amber from three quarters of the target, red past it', () => {
    expect(timerLevel(10, 20)).toBe('ok');
    expect(timerLevel(15, 20)).toBe('warn');
    expect(timerLevel(20, 20)).toBe('warn');
    expect(timerLevel(21, 20)).toBe('over');
  });
});
