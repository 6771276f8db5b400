import { describe, it, expect, vi } from 'vitest';
import {
  acceptAgent, byStateThenName, clockSkew, formatDuration, liveOffers, loadRows, remainingSec, secondsSince, throttle, toLocalOffer, upsertOffer,
} from './logic';
import type { AgentView, ConversationSummary } from '../../types';

const agent = (over: Partial<AgentView>): AgentView => ({
  id: 'a1', name: 'A', state: 'available', display: 'available', since: '2024-01-01T10:00:00Z', load: {}, capacity: { webchat: 3 },
  updatedAt: '2024-01-01T10:00:00.000Z', ...over,
});
const conv = (id: string): ConversationSummary => ({
  id, channel: 'voice', status: 'queued', queue: 'general', priority: 0, assignee: null, customer: { id: 'u', name: 'N', tier: 'vip' },
  lastMessageAt: '2024-01-01T10:00:00Z', lastMessagePreview: '', unreadCount: 0, tags: [], createdAt: '2024-01-01T10:00:00Z', updatedAt: '2024-01-01T10:00:00Z',
});
const T0 = Date.parse('2024-01-01T10:00:00Z');

describe('acceptAgent (state ordering by since, then updatedAt)', () => {
  const S1 = '2024-01-01T10:00:00Z';
  const S2 = '2024-01-01T10:00:03Z';
  it('within one state: takes newer and equal stamps, drops older ones', () => {
    const cur = agent({ since: S1, updatedAt: '2024-01-01T10:00:05.000Z' });
    expect(acceptAgent(cur, agent({ since: S1, load: { webchat: 2 } }), '2024-01-01T10:00:04.999Z')).toBe(false);
    expect(acceptAgent(cur, agent({ since: S1 }), '2024-01-01T10:00:05.000Z')).toBe(true);
    expect(acceptAgent(cur, agent({ since: S1 }), '2024-01-01T10:00:06.000Z')).toBe(true);
  });
  it('a later state change wins even with an earlier stamp, an earlier one loses even with a later stamp', () => {
    // the event "available since S2" (stamped 10:00:03) vs an HTTP answer read from a snapshot just
    // before that change: "offline since S1", stamped later (10:00:04) because it was made later
    const available = agent({ state: 'available', since: S2, updatedAt: '2024-01-01T10:00:03Z' });
    const staleAnswer = agent({ state: 'offline', display: 'offline', since: S1, updatedAt: '2024-01-01T10:00:04Z' });
    expect(acceptAgent(available, staleAnswer)).toBe(false);
    expect(acceptAgent(staleAnswer, available)).toBe(true);
  });
  it('falls back to the view’s own updatedAt, and accepts anything over nothing', () => {
    const cur = agent({ updatedAt: '2024-01-01T10:00:05Z' });
    expect(acceptAgent(cur, agent({ updatedAt: '2024-01-01T10:00:01Z' }))).toBe(false);
    expect(acceptAgent(null, agent({ updatedAt: '2000-01-01T00:00:00Z' }))).toBe(true);
    expect(acceptAgent({ updatedAt: undefined, since: null }, agent({}))).toBe(true);
    expect(acceptAgent({ updatedAt: undefined, since: null }, agent({ since: null }))).toBe(true);
  });
  it('applies a shuffled burst in order whatever the arrival order', () => {
    const order = [3, 1, 4, 2, 5];
    let cur: AgentView | null = null;
    for (const n of order) {
      const next = agent({ since: `2024-01-01T10:00:0${n}Z`, updatedAt: `2024-01-01T10:00:0${n}Z`, state: n === 5 ? 'wrapup' : 'available' });
      if (acceptAgent(cur, next)) cur = next;
    }
    expect(cur?.since).toBe('2024-01-01T10:00:05Z');
    expect(cur?.state).toBe('wrapup');
  });
});

describe('offer countdown and expiry', () => {
  it('counts whole seconds down to zero and never below', () => {
    expect(remainingSec(T0 + 20_000, T0)).toBe(20);
    expect(remainingSec(T0 + 20_000, T0 + 100)).toBe(20); // 19.9 s shows as 20
    expect(remainingSec(T0 + 20_000, T0 + 19_001)).toBe(1);
    expect(remainingSec(T0 + 20_000, T0 + 20_000)).toBe(0);
    expect(remainingSec(T0 + 20_000, T0 + 60_000)).toBe(0);
  });
  it('moves the hub deadline onto our clock by the measured skew', () => {
    // the hub's clock is 3 s ahead of ours: its "now" stamp arrives when our clock says T0
    const skew = clockSkew('2024-01-01T10:00:03Z', T0);
    expect(skew).toBe(3000);
    const o = toLocalOffer({ conversation: conv('c1'), deadline: '2024-01-01T10:00:23Z' }, skew, T0);
    expect(o.localDeadline).toBe(T0 + 20_000);
    expect(o.receivedAt).toBe(T0);
    expect(remainingSec(o.localDeadline, T0)).toBe(20);
    expect(clockSkew(undefined, T0)).toBe(0);
  });
  it('drops expired offers and keeps the same array when nothing expired', () => {
    const a = toLocalOffer({ conversation: conv('a'), deadline: '2024-01-01T10:00:05Z' }, 0, T0);
    const b = toLocalOffer({ conversation: conv('b'), deadline: '2024-01-01T10:00:20Z' }, 0, T0);
    const list = [a, b];
    expect(liveOffers(list, T0 + 1000)).toBe(list);
    expect(liveOffers(list, T0 + 5000).map((o) => o.conversation.id)).toEqual(['b']);
    expect(liveOffers(list, T0 + 20_000)).toEqual([]);
  });
  it('upserts by conversation id, most urgent first', () => {
    const a = toLocalOffer({ conversation: conv('a'), deadline: '2024-01-01T10:00:20Z' }, 0, T0);
    const b = toLocalOffer({ conversation: conv('b'), deadline: '2024-01-01T10:00:10Z' }, 0, T0);
    let list = upsertOffer(upsertOffer([], a), b);
    expect(list.map((o) => o.conversation.id)).toEqual(['b', 'a']);
    list = upsertOffer(list, { ...a, localDeadline: T0 + 5000 }); // re-offered with a new deadline
    expect(list.map((o) => [o.conversation.id, o.localDeadline])).toEqual([['a', T0 + 5000], ['b', T0 + 10_000]]);
  });
});

describe('durations and tables', () => {
  it('formats m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(-4)).toBe('0:00');
  });
  it('time in state on the hub clock', () => {
    expect(secondsSince('2024-01-01T10:00:00Z', T0 + 61_500)).toBe(61);
    expect(secondsSince('2024-01-01T10:00:00Z', T0, 2000)).toBe(2);
    expect(secondsSince(null, T0)).toBeNull();
  });
  it('orders agents available, busy, wrap-up, not ready, offline, then by name', () => {
    const rows = [
      agent({ name: 'Zed', display: 'offline' }), agent({ name: 'Bo', display: 'notready' }), agent({ name: 'Al', display: 'busy' }),
      agent({ name: 'Cy', display: 'available' }), agent({ name: 'Ann', display: 'available' }), agent({ name: 'Wu', display: 'wrapup' }),
    ];
    expect(rows.sort(byStateThenName).map((a) => a.name)).toEqual(['Ann', 'Cy', 'Al', 'Wu', 'Bo', 'Zed']);
  });
  it('lists load against capacity for channels that have either', () => {
    expect(loadRows({ load: { webchat: 2, sms: 1 }, capacity: { voice: 1, webchat: 3 } })).toEqual([
      { channel: 'voice', load: 0, capacity: 1 }, { channel: 'webchat', load: 2, capacity: 3 }, { channel: 'sms', load: 1, capacity: 0 },
    ]);
  });
});

describe('throttle', () => {
  it('calls the timer functions unbound (window.setTimeout refuses another `this`)', () => {
    const seen: unknown[] = [];
    const set = function (this: unknown, f: () => void) { seen.push(this); return setTimeout(f, 0); } as unknown as typeof setTimeout;
    const th = throttle(() => undefined, 1000, { now: () => 0, set, clear: clearTimeout });
    th(); th();
    th.cancel();
    expect(seen).toEqual([undefined]);
  });
  it('runs at once, then at most once per interval with one trailing call', () => {
    vi.useFakeTimers();
    try {
      const fn = vi.fn();
      const th = throttle(fn, 1000);
      th();
      expect(fn).toHaveBeenCalledTimes(1);
      th(); th(); th();
      expect(fn).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(999);
      expect(fn).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(1);
      expect(fn).toHaveBeenCalledTimes(2); // the three calls collapsed into one
      vi.advanceTimersByTime(5000);
      expect(fn).toHaveBeenCalledTimes(2);
      th();
      expect(fn).toHaveBeenCalledTimes(3); // idle long enough: immediate again
      th();
      th.cancel();
      vi.advanceTimersByTime(5000);
      expect(fn).toHaveBeenCalledTimes(3);
    } finally { vi.useRealTimers(); }
  });
});
