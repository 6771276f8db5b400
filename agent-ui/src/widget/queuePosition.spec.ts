import { describe, it, expect } from 'vitest';
import { QueueTracker, queueText } from './queuePosition';

const at = (s: number) => new Date(Date.parse('2024-01-01T10:00:00Z') + s * 1000).toISOString();
const S = { queue: 'You are number {n} in the queue, about {m} min.', queueSoon: 'You are number {n} in the queue, under a minute.' };

describe('QueueTracker', () => {
  it('shows the newest position and drops older ones', () => {
    const q = new QueueTracker();
    expect(q.position({ position: 3, ewtSec: 240, updatedAt: at(5) })).toBe(true);
    expect(q.position({ position: 4, ewtSec: 300, updatedAt: at(0) })).toBe(false);
    expect(q.current?.position).toBe(3);
    expect(q.position({ position: 2, ewtSec: 120, updatedAt: at(10) })).toBe(true);
    expect(q.current?.position).toBe(2);
  });
  it('hides on assignment and ignores positions stamped before it', () => {
    const q = new QueueTracker();
    q.position({ position: 1, ewtSec: 30, updatedAt: at(0) });
    expect(q.status('queued', at(1))).toBe(false);
    expect(q.current).not.toBeNull();
    expect(q.status('assigned', at(10))).toBe(true);
    expect(q.current).toBeNull();
    expect(q.position({ position: 1, ewtSec: 30, updatedAt: at(9) })).toBe(false); // was in flight
    expect(q.current).toBeNull();
    // requeued (agent missed it): newer positions show again
    expect(q.position({ position: 1, ewtSec: 30, updatedAt: at(20) })).toBe(true);
  });
  it('hides when an agent replies', () => {
    const q = new QueueTracker();
    q.position({ position: 2, ewtSec: 90, updatedAt: at(0) });
    expect(q.agentMessage(at(3))).toBe(true);
    expect(q.position({ position: 2, ewtSec: 90, updatedAt: at(2) })).toBe(false);
  });
  it('ignores nonsense positions', () => {
    expect(new QueueTracker().position({ position: 0, ewtSec: 0, updatedAt: at(0) })).toBe(false);
  });
});

describe('queueText', () => {
  it('rounds minutes and says under a minute below 60 s', () => {
    expect(queueText({ position: 3, ewtSec: 150, updatedAt: '' }, S)).toBe('You are number 3 in the queue, about 3 min.');
    expect(queueText({ position: 1, ewtSec: 59, updatedAt: '' }, S)).toBe('You are number 1 in the queue, under a minute.');
    expect(queueText({ position: 1, ewtSec: 60, updatedAt: '' }, S)).toBe('You are number 1 in the queue, about 1 min.');
  });
});
