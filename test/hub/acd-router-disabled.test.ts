// Pure tests of disabled and deleted queues in the routing engine (hub/acd/router.ts): a disabled queue
// takes no new contacts but still drains; a deleted one hands what waits in it on. No database, no clock.
import { describe, expect, it } from 'vitest';
import { Router } from '../../hub/acd/router.js';
import { RoutingError, type QueueDef } from '../../hub/acd/types.js';

const T0 = 1_700_000_000_000;

function queue(id: string, over: Partial<QueueDef> = {}): QueueDef {
  return { id, skills: { [`q:${id}`]: 1 }, strategy: 'longest-idle', serviceLevel: { pct: 80, seconds: 20 }, autoAccept: ['webchat'], offerTimeoutSec: 20, wrapUpSec: 0, relax: [], stickySec: 0, afterHours: { action: 'offline' }, defaultAhtSec: 300, ...over };
}
function member(r: Router, id: string, queues: string[], state: 'available' | 'offline' = 'available') {
  r.upsertAgent({ id, name: id, skills: Object.fromEntries(queues.map((q) => [`q:${q}`, 10])), capacity: { webchat: 5 } }, T0);
  if (state === 'available') r.setAgentState(id, 'available', T0);
}
const task = (id: string, queue: string) => ({ id, queue, channel: 'webchat' as const, priority: 0 });

describe('disabled queues', () => {
  it('an arrival addressed to a disabled queue goes to general, and the decision says so (the record follows it)', () => {
    const r = new Router();
    r.defineQueue(queue('general'));
    r.defineQueue(queue('loans', { disabled: true }));
    member(r, 'g', ['general']);
    member(r, 'l', ['loans']);
    r.drain();
    r.arrive(task('c1', 'loans'), T0);
    expect(r.getTask('c1')).toMatchObject({ queue: 'general', agentId: 'g' });
    expect(r.drain().decisions).toContainEqual({ kind: 'requeue', taskId: 'c1', queue: 'general', reason: 'disabled' });
  });

  it('prefers the disabled queue\'s overflow queue when that one takes contacts', () => {
    const r = new Router();
    r.defineQueue(queue('general'));
    r.defineQueue(queue('cards'));
    r.defineQueue(queue('loans', { disabled: true, overflow: { afterSec: 60, queue: 'cards' } }));
    r.arrive(task('c1', 'loans'), T0);
    expect(r.getTask('c1')?.queue).toBe('cards');
  });

  it('what already waits in a disabled queue is still served by its members (it drains)', () => {
    const r = new Router();
    r.defineQueue(queue('general'));
    r.defineQueue(queue('loans'));
    r.arrive(task('c1', 'loans'), T0);
    r.defineQueue(queue('loans', { disabled: true }));
    member(r, 'l', ['loans']);
    expect(r.getTask('c1')).toMatchObject({ queue: 'loans', agentId: 'l' });
  });

  it('no move, overflow or after-hours step leads into a disabled queue', () => {
    const r = new Router();
    r.defineQueue(queue('general', { overflow: { afterSec: 10, queue: 'loans' } }));
    r.defineQueue(queue('loans', { disabled: true }));
    r.arrive(task('c1', 'general'), T0);
    expect(() => r.move('c1', 'loans', T0)).toThrow(RoutingError);
    r.tick(T0 + 20_000);
    expect(r.getTask('c1')?.queue).toBe('general');
  });

  it('a deleted queue hands what waits in it to where its new contacts go, keeping their age', () => {
    const r = new Router();
    r.defineQueue(queue('general'));
    r.defineQueue(queue('loans'));
    member(r, 'g', ['general'], 'offline');
    r.arrive({ ...task('c1', 'loans'), enqueuedAt: T0 - 5000 }, T0);
    r.defineQueue(queue('loans', { disabled: true, deleted: true }));
    r.drain();
    r.evacuate('loans', T0 + 1000);
    expect(r.getTask('c1')).toMatchObject({ queue: 'general', state: 'waiting', enqueuedAt: T0 - 5000 });
    expect(r.drain().decisions).toContainEqual({ kind: 'requeue', taskId: 'c1', queue: 'general', reason: 'disabled' });
    r.setAgentState('g', 'available', T0 + 2000);
    expect(r.getTask('c1')?.agentId).toBe('g');
  });
});
