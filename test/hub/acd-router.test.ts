// Pure unit tests of the in-memory ACD router (hub/acd/router.ts): no database, no clock. The router
// is synchronous and takes `now` explicitly, so time is driven by passing increasing `now` to tick().
import { describe, expect, it } from 'vitest';
import type { Channel } from '../../hub/models/types.js';
import { isOpen } from '../../hub/acd/hours.js';
import { Router } from '../../hub/acd/router.js';
import {
  RoutingError,
  type AgentSnapshot,
  type AgentStateName,
  type Decision,
  type NotReadyReason,
  type QueueDef,
  type TaskInput,
  type TaskSnapshot,
} from '../../hub/acd/types.js';

const S = 1000;
/** An arbitrary base time for queues without business hours. */
const T0 = 1_700_000_000_000;

// ---- builders ------------------------------------------------------------------------------------

function queue(id: string, over: Partial<QueueDef> = {}): QueueDef {
  return {
    id,
    skills: {},
    strategy: 'longest-idle',
    serviceLevel: { pct: 80, seconds: 20 },
    autoAccept: ['webchat', 'email', 'sms'],
    offerTimeoutSec: 20,
    wrapUpSec: 0,
    relax: [],
    stickySec: 0,
    afterHours: { action: 'offline' },
    defaultAhtSec: 300,
    ...over,
  };
}

function router(...queues: QueueDef[]): Router {
  const r = new Router();
  for (const q of queues) r.defineQueue(q);
  return r;
}

interface AgentOpts {
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
  state?: AgentStateName;
  reason?: NotReadyReason;
}

/** Adds an agent (webchat capacity 1 by default) and signs them in as available unless told otherwise. */
function agent(r: Router, id: string, at: number, o: AgentOpts = {}): AgentSnapshot {
  r.upsertAgent({ id, name: id, skills: o.skills ?? {}, capacity: o.capacity ?? { webchat: 1 } }, at);
  const state = o.state ?? 'available';
  if (state !== 'offline') r.setAgentState(id, state, at, o.reason);
  return r.getAgent(id)!;
}

function arrive(r: Router, id: string, at: number, o: Partial<TaskInput> = {}): TaskSnapshot {
  return r.arrive({ id, queue: 'q', channel: 'webchat', priority: 0, ...o }, at);
}

const holder = (r: Router, taskId: string) => r.getTask(taskId)?.agentId;
const stateOf = (r: Router, taskId: string) => r.getTask(taskId)?.state;
const waitingIds = (r: Router, q = 'q') => r.waitingIn(q).map((t) => t.id);
const decisions = (r: Router): Decision[] => r.drain().decisions;

function expectRoutingError(fn: () => void, code: RoutingError['code']): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RoutingError);
  expect((err as RoutingError).code).toBe(code);
}

// ---- strategies ----------------------------------------------------------------------------------

describe('strategies', () => {
  it('longest-idle: the agent free the longest wins; a release makes an agent the most recently free', () => {
    const r = router(queue('q', { strategy: 'longest-idle' }));
    agent(r, 'a', T0 + 3 * S);
    agent(r, 'b', T0 + 1 * S);
    agent(r, 'c', T0 + 2 * S);
    arrive(r, 't1', T0 + 10 * S);
    arrive(r, 't2', T0 + 11 * S);
    arrive(r, 't3', T0 + 12 * S);
    expect([holder(r, 't1'), holder(r, 't2'), holder(r, 't3')]).toEqual(['b', 'c', 'a']);
    r.release('t2', T0 + 20 * S); // c free since 20 s
    r.release('t1', T0 + 21 * S); // b free since 21 s
    arrive(r, 't4', T0 + 30 * S);
    expect(holder(r, 't4')).toBe('c');
    arrive(r, 't5', T0 + 31 * S);
    expect(holder(r, 't5')).toBe('b');
  });

  it('least-occupied: the lowest load/capacity ratio wins, not the lowest count', () => {
    const r = router(queue('q', { strategy: 'least-occupied' }));
    agent(r, 'a', T0, { capacity: { webchat: 10 } });
    for (const id of ['x1', 'x2', 'x3']) arrive(r, id, T0 + S); // a is alone: 3/10
    expect(r.getAgent('a')!.load.webchat).toBe(3);
    agent(r, 'b', T0 + 2 * S, { capacity: { webchat: 2 } });
    arrive(r, 't1', T0 + 3 * S); // a 0.3 vs b 0
    expect(holder(r, 't1')).toBe('b');
    arrive(r, 't2', T0 + 4 * S); // a 3/10 = 0.3 vs b 1/2 = 0.5: a, although it holds more
    expect(holder(r, 't2')).toBe('a');
    arrive(r, 't3', T0 + 5 * S); // a 0.4 vs b 0.5
    expect(holder(r, 't3')).toBe('a');
    arrive(r, 't4', T0 + 6 * S); // 0.5 vs 0.5: tie broken by longest idle (a since T0)
    expect(holder(r, 't4')).toBe('a');
    arrive(r, 't5', T0 + 7 * S); // a 0.6 vs b 0.5
    expect(holder(r, 't5')).toBe('b');
  });

  it('most-skilled: the highest proficiency sum over the queue and task skills wins', () => {
    const r = router(queue('q', { strategy: 'most-skilled', skills: { loans: 3 } }));
    agent(r, 'idle', T0, { skills: { loans: 9, mandarin: 2 } }); // sum 11, idle longest
    agent(r, 'expert', T0 + 5 * S, { skills: { loans: 5, mandarin: 8 } }); // sum 13
    agent(r, 'nolang', T0 + 1 * S, { skills: { loans: 10 } }); // lacks mandarin
    agent(r, 'wealthy', T0 + 2 * S, { skills: { loans: 4, mandarin: 4, wealth: 10 } }); // 8: unrelated skills do not count
    arrive(r, 't1', T0 + 10 * S, { skills: { mandarin: 2 } });
    expect(holder(r, 't1')).toBe('expert');
    arrive(r, 't2', T0 + 11 * S, { skills: { mandarin: 2 } });
    expect(holder(r, 't2')).toBe('idle');
    arrive(r, 't3', T0 + 12 * S, { skills: { mandarin: 2 } });
    expect(holder(r, 't3')).toBe('wealthy');
    arrive(r, 't4', T0 + 13 * S, { skills: { mandarin: 2 } });
    expect(stateOf(r, 't4')).toBe('waiting'); // nolang is never eligible
  });

  it('round-robin: rotates across agents whatever their idle time; a full agent is skipped', () => {
    const r = router(queue('q', { strategy: 'round-robin' }));
    agent(r, 'a', T0 + 3 * S, { capacity: { webchat: 3 } });
    agent(r, 'b', T0 + 1 * S, { capacity: { webchat: 5 } });
    agent(r, 'c', T0 + 2 * S, { capacity: { webchat: 5 } });
    const got: string[] = [];
    for (let i = 0; i < 9; i++) got.push(arrive(r, `t${i}`, T0 + (10 + i) * S).agentId!);
    expect(new Set(got.slice(0, 3))).toEqual(new Set(['a', 'b', 'c']));
    expect(got.slice(3, 6)).toEqual(got.slice(0, 3));
    expect(got.slice(6, 9)).toEqual(got.slice(0, 3));
    // a is full (3 of 3): the rotation goes on between b and c in the same order.
    const rest = got.slice(0, 3).filter((x) => x !== 'a');
    const more: string[] = [];
    for (let i = 0; i < 4; i++) more.push(arrive(r, `f${i}`, T0 + (30 + i) * S).agentId!);
    expect(more).toEqual([...rest, ...rest]);
    expect(r.getAgent('a')!.load.webchat).toBe(3);
  });
});

// ---- priority ------------------------------------------------------------------------------------

describe('priority ordering', () => {
  it('higher priority is served first', () => {
    const r = router(queue('q'));
    arrive(r, 'low', T0, { priority: 1 });
    arrive(r, 'high', T0 + S, { priority: 5 });
    arrive(r, 'mid', T0 + 2 * S, { priority: 3 });
    expect(waitingIds(r)).toEqual(['high', 'mid', 'low']);
    agent(r, 'a', T0 + 3 * S);
    expect(holder(r, 'high')).toBe('a');
    expect(waitingIds(r)).toEqual(['mid', 'low']);
  });

  it('equal priority: older enqueuedAt first (an age carried in from the IVR counts)', () => {
    const r = router(queue('q'));
    arrive(r, 'b', T0 + 2 * S);
    arrive(r, 'c', T0 + 3 * S);
    arrive(r, 'a', T0 + 4 * S, { enqueuedAt: T0 + 1 * S });
    expect(waitingIds(r)).toEqual(['a', 'b', 'c']);
    agent(r, 'x', T0 + 5 * S);
    expect(holder(r, 'a')).toBe('x');
    r.release('a', T0 + 6 * S);
    expect(holder(r, 'b')).toBe('x');
  });

  it('a freed agent takes the highest-priority eligible task across several queues', () => {
    const r = router(queue('cards', { skills: { cards: 5 } }), queue('loans', { skills: { loans: 5 } }), queue('wealth', { skills: { wealth: 5 } }));
    agent(r, 'a', T0, { skills: { cards: 6, loans: 6 } });
    arrive(r, 'busy', T0 + S, { queue: 'cards' });
    expect(holder(r, 'busy')).toBe('a');
    arrive(r, 'c1', T0 + 2 * S, { queue: 'cards', priority: 1 });
    arrive(r, 'l3', T0 + 3 * S, { queue: 'loans', priority: 3 });
    arrive(r, 'c3', T0 + 4 * S, { queue: 'cards', priority: 3 });
    arrive(r, 'l2', T0 + 5 * S, { queue: 'loans', priority: 2 });
    arrive(r, 'w9', T0 + 6 * S, { queue: 'wealth', priority: 9 }); // not eligible: no wealth skill
    const order: string[] = [];
    let prev = 'busy';
    for (let i = 0; i < 4; i++) {
      r.release(prev, T0 + (10 + i) * S);
      prev = r.heldBy('a')[0];
      order.push(prev);
    }
    expect(order).toEqual(['l3', 'c3', 'l2', 'c1']);
    expect(stateOf(r, 'w9')).toBe('waiting');
  });
});

// ---- skills --------------------------------------------------------------------------------------

describe('skills and proficiency', () => {
  it('an agent below the queue minimum is not offered the task', () => {
    const r = router(queue('q', { skills: { cards: 5 } }));
    agent(r, 'low', T0, { skills: { cards: 4 } });
    agent(r, 'none', T0, { skills: { loans: 9 } });
    arrive(r, 't', T0 + S);
    expect(stateOf(r, 't')).toBe('waiting');
    agent(r, 'ok', T0 + 2 * S, { skills: { cards: 5 } });
    expect(holder(r, 't')).toBe('ok');
  });

  it('a freed agent finds the one task it can take deep in a long queue of tasks it cannot', () => {
    const r = router(queue('q', { skills: { cards: 5 } }));
    for (let i = 0; i < 150; i++) arrive(r, `yue${i}`, T0 + i, { skills: { cantonese: 5 }, priority: 1 });
    arrive(r, 'zh', T0 + 1000, { skills: { mandarin: 5 } });
    agent(r, 'm', T0 + 2000, { skills: { cards: 6, mandarin: 6 } });
    expect(holder(r, 'zh')).toBe('m');
    expect(r.waitingIn('q').length).toBe(150);
  });

  it('task-level extra skills (language) narrow the eligible agents further', () => {
    const r = router(queue('q', { skills: { cards: 5 } }));
    agent(r, 'english', T0, { skills: { cards: 9, english: 9 } }); // idle longest
    agent(r, 'mandarin', T0 + S, { skills: { cards: 6, mandarin: 7 } });
    agent(r, 'weak', T0 + S, { skills: { cards: 4, mandarin: 9 } });
    arrive(r, 'zh', T0 + 2 * S, { skills: { mandarin: 5 } });
    expect(holder(r, 'zh')).toBe('mandarin');
    arrive(r, 'yue', T0 + 3 * S, { skills: { cantonese: 5 } });
    expect(stateOf(r, 'yue')).toBe('waiting');
    arrive(r, 'zh2', T0 + 4 * S, { skills: { mandarin: 5 } });
    expect(stateOf(r, 'zh2')).toBe('waiting'); // mandarin is full, weak lacks cards, english lacks mandarin
    arrive(r, 'any', T0 + 5 * S);
    expect(holder(r, 'any')).toBe('english');
  });
});

// ---- relaxation and overflow ---------------------------------------------------------------------

describe('relaxation and overflow', () => {
  it('after relax.afterSec a lower-proficiency agent becomes eligible (via tick), step by step', () => {
    const r = router(queue('q', { skills: { cards: 8 }, relax: [{ afterSec: 10, minProficiency: 6 }, { afterSec: 30, minProficiency: 4 }] }));
    agent(r, 'low', T0, { skills: { cards: 5 } });
    arrive(r, 't', T0);
    r.tick(T0 + 9 * S);
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 10 * S); // first step: 6 is still above 5
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 29_999);
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 30 * S);
    expect(holder(r, 't')).toBe('low');
  });

  it('a relaxation step that finds nobody leaves the task waiting (tick returns) and a later tick still relaxes', () => {
    const r = router(queue('q', { skills: { cards: 8 }, relax: [{ afterSec: 5, minProficiency: 7 }] }));
    arrive(r, 't', T0);
    r.tick(T0 + 5 * S);
    r.tick(T0 + 6 * S);
    expect(stateOf(r, 't')).toBe('waiting');
    agent(r, 'seven', T0 + 7 * S, { skills: { cards: 7 } }); // eligible only thanks to the relaxation
    expect(holder(r, 't')).toBe('seven');
  });

  it('after overflow.afterSec the task moves to the overflow queue and is routed there', () => {
    const r = router(queue('q', { skills: { cards: 5 }, overflow: { afterSec: 60, queue: 'general' } }), queue('general'));
    agent(r, 'g', T0, { skills: { loans: 3 } });
    arrive(r, 't', T0, { enqueuedAt: T0 - 5 * S });
    decisions(r);
    r.tick(T0 + 59 * S);
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 60 * S);
    const t = r.getTask('t')!;
    expect(t.queue).toBe('general');
    expect(t.queuedAt).toBe(T0 + 60 * S);
    expect(t.enqueuedAt).toBe(T0 - 5 * S);
    expect(t.agentId).toBe('g');
    expect(decisions(r)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'requeue', taskId: 't', queue: 'general', reason: 'overflow' }),
        expect.objectContaining({ kind: 'assign', taskId: 't', agentId: 'g' }),
      ]),
    );
    expect(waitingIds(r)).toEqual([]);
  });

  it('an overflowed task with nobody in the overflow queue waits there and is taken by the next agent', () => {
    const r = router(queue('q', { skills: { cards: 5 }, overflow: { afterSec: 60, queue: 'general' } }), queue('general'));
    arrive(r, 't', T0);
    r.tick(T0 + 61 * S);
    expect(waitingIds(r, 'q')).toEqual([]);
    expect(waitingIds(r, 'general')).toEqual(['t']);
    agent(r, 'g', T0 + 70 * S);
    expect(holder(r, 't')).toBe('g');
  });
});

// ---- stickiness ----------------------------------------------------------------------------------

describe('stickiness', () => {
  const sticky = () => router(queue('q', { stickySec: 30 }));

  it('the preferred agent gets the task even when another agent is idle longer', () => {
    const r = sticky();
    agent(r, 'other', T0);
    agent(r, 'pref', T0 + 5 * S);
    arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
    expect(holder(r, 't')).toBe('pref');
  });

  it('a busy preferred agent holds the task for stickySec; after that (tick) others may take it', () => {
    const r = sticky();
    agent(r, 'other', T0);
    agent(r, 'pref', T0 + 5 * S);
    arrive(r, 'x', T0 + 6 * S, { preferredAgentId: 'pref' }); // fills pref
    arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 39_999);
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 40 * S);
    expect(holder(r, 't')).toBe('other');
  });

  it('the preferred agent freed within the window takes the task at once', () => {
    const r = sticky();
    agent(r, 'other', T0);
    agent(r, 'pref', T0 + 5 * S);
    arrive(r, 'x', T0 + 6 * S, { preferredAgentId: 'pref' });
    arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
    r.release('x', T0 + 20 * S);
    expect(holder(r, 't')).toBe('pref');
    expect(r.heldBy('other')).toEqual([]);
  });

  it('an offline preferred agent does not hold the task', () => {
    const r = sticky();
    agent(r, 'other', T0);
    agent(r, 'pref', T0, { state: 'offline' });
    arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
    expect(holder(r, 't')).toBe('other');
    arrive(r, 'ghost', T0 + 11 * S, { preferredAgentId: 'nobody-by-that-id', channel: 'webchat' });
    expect(stateOf(r, 'ghost')).toBe('waiting'); // other is full; an unknown preferred agent holds nothing either
    agent(r, 'third', T0 + 12 * S);
    expect(holder(r, 'ghost')).toBe('third');
  });

  it('a preferred agent on a break is not waited for', () => {
    const r = sticky();
    agent(r, 'other', T0);
    agent(r, 'pref', T0, { state: 'notready', reason: 'break' });
    arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
    expect(holder(r, 't')).toBe('other');
  });

  it('a preferred agent who goes on a break or logs out during the window releases the task to the others at once', () => {
    for (const leave of ['notready', 'offline'] as const) {
      const r = sticky();
      agent(r, 'pref', T0, { capacity: { webchat: 1 } });
      arrive(r, 'busy', T0 + S); // pref is now full: a sticky task for them waits
      agent(r, 'other', T0 + 2 * S, { state: 'notready', reason: 'meal', capacity: { webchat: 2 } });
      arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
      r.setAgentState('other', 'available', T0 + 11 * S);
      expect(stateOf(r, 't')).toBe('waiting'); // held for pref within the window
      r.setAgentState('pref', leave, T0 + 12 * S, leave === 'notready' ? 'break' : undefined);
      expect(holder(r, 't')).toBe('other');
    }
  });

  it('a preferred agent who rejects the task does not hold it for the rest of the window', () => {
    const r = router(queue('q', { stickySec: 30, autoAccept: [] }));
    agent(r, 'other', T0);
    agent(r, 'pref', T0 + S);
    arrive(r, 't', T0 + 10 * S, { preferredAgentId: 'pref' });
    expect(holder(r, 't')).toBe('pref');
    r.reject('t', 'pref', T0 + 11 * S);
    expect(holder(r, 't')).toBe('other');
    expect(stateOf(r, 't')).toBe('offered');
  });
});

// ---- capacity ------------------------------------------------------------------------------------

describe('capacity per channel', () => {
  it('webchat capacity 3: the 4th chat waits; a release frees room and the next waiting chat is taken at once', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0, { capacity: { voice: 1, webchat: 3 } });
    for (let i = 1; i <= 5; i++) arrive(r, `c${i}`, T0 + i * S);
    expect(r.heldBy('a').sort()).toEqual(['c1', 'c2', 'c3']);
    expect(r.getAgent('a')!.load.webchat).toBe(3);
    expect(waitingIds(r)).toEqual(['c4', 'c5']);
    r.release('c2', T0 + 10 * S);
    expect(holder(r, 'c4')).toBe('a');
    expect(r.getAgent('a')!.load.webchat).toBe(3);
    expect(waitingIds(r)).toEqual(['c5']);
  });

  it('a voice call (ringing or connected) blocks new chats until it ends', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0, { capacity: { voice: 1, webchat: 3 } });
    arrive(r, 'v', T0 + S, { channel: 'voice' });
    expect(stateOf(r, 'v')).toBe('offered');
    arrive(r, 'c', T0 + 2 * S);
    expect(stateOf(r, 'c')).toBe('waiting');
    r.accept('v', 'a', T0 + 3 * S);
    arrive(r, 'e', T0 + 4 * S, { channel: 'email' });
    expect(stateOf(r, 'e')).toBe('waiting'); // no email capacity at all
    arrive(r, 'v2', T0 + 5 * S, { channel: 'voice' });
    expect(stateOf(r, 'v2')).toBe('waiting'); // one call at a time
    r.release('v', T0 + 60 * S);
    // Free again: the oldest eligible task (the chat) is taken, then the waiting call rings;
    // the email still finds no capacity.
    expect(r.heldBy('a').sort()).toEqual(['c', 'v2']);
    expect(r.getAgent('a')!.load).toEqual({ voice: 1, webchat: 1 });
    expect(stateOf(r, 'e')).toBe('waiting');
    arrive(r, 'c2', T0 + 61 * S);
    expect(stateOf(r, 'c2')).toBe('waiting'); // the ringing call blocks it
    r.reject('v2', 'a', T0 + 62 * S);
    expect(holder(r, 'c2')).toBe('a');
  });

  it('a chat waiting behind a call is taken when the call ends', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0, { capacity: { voice: 1, webchat: 3 } });
    arrive(r, 'v', T0 + S, { channel: 'voice' });
    arrive(r, 'c1', T0 + 2 * S);
    arrive(r, 'c2', T0 + 3 * S);
    r.accept('v', 'a', T0 + 4 * S);
    expect(waitingIds(r)).toEqual(['c1', 'c2']);
    r.release('v', T0 + 30 * S);
    expect(r.heldBy('a').sort()).toEqual(['c1', 'c2']);
    expect(r.getAgent('a')!.load).toEqual({ voice: 0, webchat: 2 });
  });

  it('capacity is never exceeded, per channel, under a burst of mixed contacts', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0, { capacity: { webchat: 3, email: 5, sms: 2 } });
    agent(r, 'b', T0, { capacity: { webchat: 1, email: 1 } });
    const chans: Channel[] = ['webchat', 'email', 'sms', 'fax'];
    for (let i = 0; i < 40; i++) arrive(r, `t${i}`, T0 + i, { channel: chans[i % chans.length] });
    for (const ag of r.allAgents()) for (const [ch, n] of Object.entries(ag.load)) expect(n).toBeLessThanOrEqual(ag.capacity[ch as Channel] ?? 0);
    expect(r.getAgent('a')!.load).toEqual({ webchat: 3, email: 5, sms: 2 });
    expect(r.getAgent('b')!.load).toEqual({ webchat: 1, email: 1 });
    expect(r.waitingIn('q').length).toBe(40 - 12);
    expect(r.waitingIn('q').filter((t) => t.channel === 'fax').length).toBe(10); // nobody takes fax
  });
});

// ---- offers --------------------------------------------------------------------------------------

describe('offers vs auto-accept', () => {
  it('auto-accepted channels are assigned at once; others are offered with a deadline; voice always rings', () => {
    const r = router(queue('q', { autoAccept: ['webchat', 'voice'], offerTimeoutSec: 25 }));
    agent(r, 'a', T0, { capacity: { webchat: 2, email: 2, voice: 1 } });
    decisions(r);
    arrive(r, 'chat', T0 + S);
    expect(stateOf(r, 'chat')).toBe('assigned');
    expect(decisions(r)).toEqual([expect.objectContaining({ kind: 'assign', taskId: 'chat', agentId: 'a' })]);
    arrive(r, 'mail', T0 + 2 * S, { channel: 'email' });
    expect(stateOf(r, 'mail')).toBe('offered');
    expect(r.getTask('mail')!.offerDeadline).toBe(T0 + 27 * S);
    expect(decisions(r)).toEqual([{ kind: 'offer', taskId: 'mail', agentId: 'a', deadline: T0 + 27 * S }]);
    r.accept('mail', 'a', T0 + 3 * S);
    expect(stateOf(r, 'mail')).toBe('assigned');
    expect(r.getTask('mail')!.offerDeadline).toBeUndefined();
    expect(decisions(r)).toEqual([expect.objectContaining({ kind: 'assign', taskId: 'mail', agentId: 'a' })]);
    // A second accept (or an accept by someone else) is refused.
    expectRoutingError(() => r.accept('mail', 'a', T0 + 4 * S), 'invalid_state');

    const r2 = router(queue('q', { autoAccept: ['webchat', 'voice'] }));
    agent(r2, 'a', T0, { capacity: { voice: 1 } });
    arrive(r2, 'call', T0 + S, { channel: 'voice' });
    expect(stateOf(r2, 'call')).toBe('offered');
  });

  it('a rejected offer goes to another agent and is never offered to the rejecter again', () => {
    const r = router(queue('q', { autoAccept: [] }));
    agent(r, 'a', T0, { capacity: { email: 2 } });
    agent(r, 'b', T0 + S, { capacity: { email: 2 } });
    agent(r, 'c', T0 + 2 * S, { capacity: { email: 2 } });
    arrive(r, 'm', T0 + 10 * S, { channel: 'email' });
    const first = holder(r, 'm')!;
    expectRoutingError(() => r.accept('m', first === 'a' ? 'b' : 'a', T0 + 11 * S), 'invalid_state');
    r.reject('m', first, T0 + 11 * S);
    const second = holder(r, 'm')!;
    expect(second).not.toBe(first);
    expect(stateOf(r, 'm')).toBe('offered');
    r.reject('m', second, T0 + 12 * S);
    const third = holder(r, 'm')!;
    expect([first, second]).not.toContain(third);
    r.reject('m', third, T0 + 13 * S);
    // Everyone declined: it waits, though all three are available with room.
    expect(stateOf(r, 'm')).toBe('waiting');
    expect(r.getTask('m')!.declinedBy.sort()).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(r.getAgent(id)!.state).toBe('available');
    // The rejecters still get other work.
    arrive(r, 'n', T0 + 14 * S, { channel: 'email' });
    expect(stateOf(r, 'n')).toBe('offered');
    // A new agent is offered the declined task.
    agent(r, 'd', T0 + 15 * S, { capacity: { email: 1 } });
    expect(holder(r, 'm')).toBe('d');
  });
});

// ---- RONA ----------------------------------------------------------------------------------------

describe('ring-no-answer', () => {
  it('an unanswered offer is withdrawn at its deadline, the agent goes notready (rona), the task heads its queue', () => {
    const r = router(queue('q', { autoAccept: [], offerTimeoutSec: 20 }));
    agent(r, 'a', T0, { capacity: { email: 1 } });
    agent(r, 'b', T0 + S, { capacity: { email: 1 } });
    arrive(r, 't1', T0 + 10 * S, { channel: 'email' });
    arrive(r, 't2', T0 + 11 * S, { channel: 'email' });
    arrive(r, 't3', T0 + 12 * S, { channel: 'email' });
    expect([holder(r, 't1'), holder(r, 't2')]).toEqual(['a', 'b']);
    r.accept('t2', 'b', T0 + 13 * S);
    decisions(r);
    r.tick(T0 + 29_999);
    expect(stateOf(r, 't1')).toBe('offered');
    r.tick(T0 + 30 * S);
    const a = r.getAgent('a')!;
    expect(a.state).toBe('notready');
    expect(a.reason).toBe('rona');
    expect(a.stateSince).toBe(T0 + 30 * S);
    expect(r.heldBy('a')).toEqual([]);
    expect(a.load.email).toBe(0);
    expect(stateOf(r, 't1')).toBe('waiting');
    expect(waitingIds(r)).toEqual(['t1', 't3']); // back at the head, ahead of the newer t3
    expect(r.position('t1')).toBe(1);
    expect(decisions(r)).toEqual(
      expect.arrayContaining([
        { kind: 'agent', agentId: 'a', state: 'notready', reason: 'rona' },
        expect.objectContaining({ kind: 'requeue', taskId: 't1', queue: 'q', reason: 'rona', fromAgentId: 'a' }),
      ]),
    );
    // The next eligible agent gets the returned task first.
    agent(r, 'c', T0 + 31 * S, { capacity: { email: 1 } });
    expect(holder(r, 't1')).toBe('c');
    expect(stateOf(r, 't3')).toBe('waiting');
  });

  it('the withdrawn task is offered to another available agent at once; a late accept is refused', () => {
    const r = router(queue('q', { autoAccept: [], offerTimeoutSec: 15 }));
    agent(r, 'a', T0, { capacity: { email: 1, webchat: 2 } });
    agent(r, 'b', T0 + S, { capacity: { email: 1 } });
    arrive(r, 't', T0 + 10 * S, { channel: 'email' });
    arrive(r, 'chat', T0 + 11 * S); // a second ringing offer on a
    expect(holder(r, 't')).toBe('a');
    expect(holder(r, 'chat')).toBe('a');
    decisions(r);
    r.tick(T0 + 25 * S);
    expect(holder(r, 't')).toBe('b');
    expect(r.getTask('t')!.offerDeadline).toBe(T0 + 40 * S);
    expect(stateOf(r, 'chat')).toBe('waiting'); // a's other ringing offer is withdrawn too; b has no webchat
    expect(r.getAgent('a')!.state).toBe('notready');
    expect(decisions(r)).toContainEqual({ kind: 'offer', taskId: 't', agentId: 'b', deadline: T0 + 40 * S });
    expectRoutingError(() => r.accept('t', 'a', T0 + 26 * S), 'invalid_state');
    // An accepted offer is not withdrawn by a stale deadline.
    r.accept('t', 'b', T0 + 27 * S);
    r.tick(T0 + 60 * S);
    expect(holder(r, 't')).toBe('b');
    expect(r.getAgent('b')!.state).toBe('available');
  });

  it('ring-no-answer in a queue with relaxation steps already passed does not hang and leaves the task waiting', () => {
    const r = router(queue('q', { autoAccept: [], offerTimeoutSec: 20, skills: { cards: 5 }, relax: [{ afterSec: 5, minProficiency: 3 }] }));
    agent(r, 'a', T0, { skills: { cards: 3 }, capacity: { email: 1 } });
    arrive(r, 't', T0, { channel: 'email' });
    r.tick(T0 + 5 * S);
    expect(holder(r, 't')).toBe('a');
    r.tick(T0 + 25 * S);
    expect(stateOf(r, 't')).toBe('waiting');
    r.tick(T0 + 26 * S);
    agent(r, 'b', T0 + 27 * S, { skills: { cards: 4 }, capacity: { email: 1 } });
    expect(holder(r, 't')).toBe('b');
  });
});

// ---- wrap-up -------------------------------------------------------------------------------------

describe('wrap-up', () => {
  const voiceQ = () => router(queue('q', { wrapUpSec: 60 }));

  it('after a voice call the agent is in wrap-up and gets nothing until the timer ends (tick)', () => {
    const r = voiceQ();
    agent(r, 'a', T0, { capacity: { voice: 1, webchat: 2 } });
    arrive(r, 'v1', T0 + S, { channel: 'voice' });
    r.accept('v1', 'a', T0 + 2 * S);
    arrive(r, 'v2', T0 + 3 * S, { channel: 'voice' });
    decisions(r);
    r.release('v1', T0 + 100 * S);
    const a = r.getAgent('a')!;
    expect(a.state).toBe('wrapup');
    expect(a.wrapUntil).toBe(T0 + 160 * S);
    expect(decisions(r)).toEqual([
      { kind: 'released', taskId: 'v1', agentId: 'a' },
      { kind: 'agent', agentId: 'a', state: 'wrapup' },
    ]);
    arrive(r, 'c', T0 + 101 * S);
    expect(stateOf(r, 'v2')).toBe('waiting');
    expect(stateOf(r, 'c')).toBe('waiting');
    r.tick(T0 + 159_999);
    expect(r.getAgent('a')!.state).toBe('wrapup');
    r.tick(T0 + 160 * S);
    expect(r.getAgent('a')!.state).toBe('available');
    expect(holder(r, 'v2')).toBe('a'); // the older waiting call rings; it blocks the chat
    expect(stateOf(r, 'c')).toBe('waiting');
  });

  it('endWrapUp() ends it early; the agent takes waiting work at once and the old timer is ignored', () => {
    const r = voiceQ();
    agent(r, 'a', T0, { capacity: { voice: 1, webchat: 2 } });
    arrive(r, 'v1', T0 + S, { channel: 'voice' });
    r.accept('v1', 'a', T0 + 2 * S);
    r.release('v1', T0 + 10 * S);
    arrive(r, 'c1', T0 + 11 * S);
    expect(stateOf(r, 'c1')).toBe('waiting');
    r.endWrapUp('a', T0 + 20 * S);
    expect(r.getAgent('a')!.state).toBe('available');
    expect(r.getAgent('a')!.wrapUntil).toBeUndefined();
    expect(holder(r, 'c1')).toBe('a');
    r.setAgentState('a', 'notready', T0 + 30 * S, 'break');
    r.tick(T0 + 70 * S); // the wrap-up timer that would have ended at 70 s must not make a available
    expect(r.getAgent('a')!.state).toBe('notready');
  });

  it('a chat release, or a voice release in a queue without wrap-up, does not start wrap-up', () => {
    const r = router(queue('q', { wrapUpSec: 60 }), queue('nowrap'));
    agent(r, 'a', T0, { capacity: { voice: 1, webchat: 2 } });
    arrive(r, 'c', T0 + S);
    r.release('c', T0 + 2 * S);
    expect(r.getAgent('a')!.state).toBe('available');
    arrive(r, 'v', T0 + 3 * S, { channel: 'voice', queue: 'nowrap' });
    r.accept('v', 'a', T0 + 4 * S);
    r.release('v', T0 + 5 * S);
    expect(r.getAgent('a')!.state).toBe('available');
  });

  it('wrap-up cannot be requested as a state', () => {
    const r = voiceQ();
    agent(r, 'a', T0);
    expectRoutingError(() => r.setAgentState('a', 'wrapup', T0 + S), 'invalid_state');
  });
});

// ---- business hours ------------------------------------------------------------------------------

describe('business hours', () => {
  // Asia/Shanghai is UTC+8 all year (no DST). 2024-06-02 is a Sunday, 2024-06-03 a Monday, 2024-06-07 a Friday.
  const SUN_NOON = Date.UTC(2024, 5, 2, 4, 0); // Sun 12:00 local
  const MON_10 = Date.UTC(2024, 5, 3, 2, 0); // Mon 10:00 local
  const MON_0859 = Date.UTC(2024, 5, 3, 0, 59); // Mon 08:59 local
  const MON_0900 = Date.UTC(2024, 5, 3, 1, 0); // Mon 09:00 local
  const FRI_1759 = Date.UTC(2024, 5, 7, 9, 59); // Fri 17:59 local
  const FRI_1800 = Date.UTC(2024, 5, 7, 10, 0); // Fri 18:00 local
  const SAT_10 = Date.UTC(2024, 5, 8, 2, 0); // Sat 10:00 local
  const weekdays: [string, string][] = [['09:00', '18:00']];
  const hours = { tz: 'Asia/Shanghai', week: { 1: weekdays, 2: weekdays, 3: weekdays, 4: weekdays, 5: weekdays } };

  it('isOpen reads the local time of the queue time zone', () => {
    expect(isOpen(hours, MON_10)).toBe(true);
    expect(isOpen(hours, MON_0900)).toBe(true);
    expect(isOpen(hours, FRI_1759)).toBe(true);
    expect(isOpen(hours, SUN_NOON)).toBe(false);
    expect(isOpen(hours, MON_0859)).toBe(false);
    expect(isOpen(hours, FRI_1800)).toBe(false);
    expect(isOpen(hours, SAT_10)).toBe(false);
    expect(isOpen(undefined, SUN_NOON)).toBe(true);
  });

  it('afterHours offline: a Sunday arrival becomes an offline message even with an agent free', () => {
    const r = router(queue('q', { hours, afterHours: { action: 'offline' } }));
    agent(r, 'a', SUN_NOON - S);
    decisions(r);
    const t = arrive(r, 't', SUN_NOON);
    expect(t.state).toBe('offline');
    expect(t.agentId).toBeUndefined();
    expect(waitingIds(r)).toEqual([]);
    expect(r.position('t')).toBe(0);
    expect(decisions(r)).toEqual([{ kind: 'offline', taskId: 't', queue: 'q' }]);
    // A later tick or a freed agent does not pick it up.
    r.tick(SUN_NOON + 3600 * S);
    r.setAgentState('a', 'notready', SUN_NOON + 3601 * S, 'break');
    r.setAgentState('a', 'available', SUN_NOON + 3602 * S);
    expect(stateOf(r, 't')).toBe('offline');
  });

  it('afterHours overflow: a Sunday arrival moves to the overflow queue and is routed there', () => {
    const r = router(queue('q', { hours, skills: { cards: 5 }, afterHours: { action: 'overflow', queue: 'night' } }), queue('night'));
    agent(r, 'n', SUN_NOON - S);
    decisions(r);
    arrive(r, 't', SUN_NOON);
    const t = r.getTask('t')!;
    expect(t.queue).toBe('night');
    expect(t.agentId).toBe('n');
    expect(decisions(r)).toEqual([
      expect.objectContaining({ kind: 'requeue', taskId: 't', queue: 'night', reason: 'after_hours' }),
      expect.objectContaining({ kind: 'assign', taskId: 't', agentId: 'n' }),
    ]);
  });

  it('two closed queues overflowing to each other end in an offline message, not a loop', () => {
    const r = router(queue('q', { hours, afterHours: { action: 'overflow', queue: 'q2' } }), queue('q2', { hours, afterHours: { action: 'overflow', queue: 'q' } }));
    agent(r, 'a', SUN_NOON - S);
    const t = arrive(r, 't', SUN_NOON);
    expect(t.state).toBe('offline');
    expect(t.agentId).toBeUndefined();
  });

  it('an arrival inside hours routes normally in its own queue', () => {
    const r = router(queue('q', { hours, afterHours: { action: 'overflow', queue: 'night' } }), queue('night'));
    agent(r, 'a', MON_10 - S);
    arrive(r, 't', MON_10);
    expect(r.getTask('t')!.queue).toBe('q');
    expect(holder(r, 't')).toBe('a');
    arrive(r, 'early', MON_0859);
    expect(r.getTask('early')!.queue).toBe('night');
  });
});

// ---- supervisor ----------------------------------------------------------------------------------

describe('supervisor', () => {
  it('reassign to a named agent; the previous agent takes the next waiting task; over capacity needs force', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0);
    agent(r, 'b', T0 + S, { capacity: { webchat: 2 } });
    arrive(r, 't1', T0 + 10 * S); // a
    arrive(r, 't2', T0 + 11 * S); // b
    arrive(r, 't3', T0 + 12 * S); // b
    arrive(r, 'w', T0 + 13 * S); // waits
    expect([holder(r, 't1'), holder(r, 't2'), holder(r, 't3')]).toEqual(['a', 'b', 'b']);
    expect(waitingIds(r)).toEqual(['w']);
    expectRoutingError(() => r.reassign('t1', 'b', T0 + 20 * S), 'over_capacity');
    expect(holder(r, 't1')).toBe('a');
    r.release('t3', T0 + 21 * S); // b takes w at once
    expect(holder(r, 'w')).toBe('b');
    arrive(r, 'w2', T0 + 22 * S);
    r.release('t2', T0 + 23 * S); // b takes w2
    expect(holder(r, 'w2')).toBe('b');
    arrive(r, 'w3', T0 + 24 * S);
    decisions(r);
    r.reassign('t1', 'b', T0 + 25 * S, true);
    expect(holder(r, 't1')).toBe('b');
    expect(stateOf(r, 't1')).toBe('assigned');
    expect(r.getAgent('b')!.load.webchat).toBe(3); // forced over capacity
    expect(r.heldBy('a')).toEqual(['w3']); // a took the next waiting task
    expect(decisions(r)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'assign', taskId: 't1', agentId: 'b', previousAgentId: 'a' }),
        expect.objectContaining({ kind: 'assign', taskId: 'w3', agentId: 'a' }),
      ]),
    );
    expectRoutingError(() => r.reassign('nope', 'b', T0), 'unknown_task');
    expectRoutingError(() => r.reassign('t1', 'nope', T0), 'unknown_agent');
  });

  it('reassign a waiting task or a ringing offer: it is assigned, nothing else is left behind', () => {
    const r = router(queue('q', { autoAccept: [] }));
    agent(r, 'a', T0, { capacity: { email: 1 } });
    agent(r, 'sup', T0, { capacity: { email: 1 }, state: 'notready', reason: 'meeting' });
    arrive(r, 'm', T0 + S, { channel: 'email' });
    arrive(r, 'w', T0 + 2 * S, { channel: 'email' });
    expect(holder(r, 'm')).toBe('a');
    r.reassign('w', 'sup', T0 + 3 * S);
    expect(holder(r, 'w')).toBe('sup');
    expect(waitingIds(r)).toEqual([]);
    r.release('w', T0 + 4 * S);
    r.reassign('m', 'sup', T0 + 5 * S);
    expect(stateOf(r, 'm')).toBe('assigned');
    expect(r.getTask('m')!.offerDeadline).toBeUndefined(); // no countdown on an assigned contact
    expect(r.heldBy('a')).toEqual([]);
    expect(r.getAgent('a')!.load.email).toBe(0);
    r.tick(T0 + 60 * S); // the old offer deadline does not touch the reassigned task
    expect(holder(r, 'm')).toBe('sup');
    expect(r.getAgent('a')!.state).toBe('available');
  });

  it('reassign to a logged-out agent is refused unless forced (takeover)', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0);
    agent(r, 'gone', T0, { state: 'offline' });
    arrive(r, 't', T0 + S);
    expectRoutingError(() => r.reassign('t', 'gone', T0 + 2 * S), 'invalid_state');
    expect(holder(r, 't')).toBe('a');
    r.reassign('t', 'gone', T0 + 3 * S, true);
    expect(holder(r, 't')).toBe('gone');
    expect(r.heldBy('a')).toEqual([]);
  });

  it('claim: an agent picks a waiting contact; capacity holds; another agent\'s contact is refused; claiming one\'s own offer accepts it', () => {
    const r = router(queue('q', { autoAccept: [] }), queue('wealth', { skills: { wealth: 9 } }));
    agent(r, 'a', T0, { capacity: { email: 2 } });
    agent(r, 'b', T0, { capacity: { email: 1 }, state: 'notready', reason: 'meeting' });
    arrive(r, 'w', T0 + S, { queue: 'wealth', channel: 'email' }); // nobody has wealth: waits
    r.claim('w', 'b', T0 + 2 * S);
    expect(holder(r, 'w')).toBe('b');
    expect(stateOf(r, 'w')).toBe('assigned');
    expect(waitingIds(r, 'wealth')).toEqual([]);
    arrive(r, 'w2', T0 + 3 * S, { queue: 'wealth', channel: 'email' });
    expectRoutingError(() => r.claim('w2', 'b', T0 + 4 * S), 'over_capacity');
    expectRoutingError(() => r.claim('w', 'a', T0 + 4 * S), 'already_assigned');
    arrive(r, 'm', T0 + 5 * S, { channel: 'email' });
    expect(stateOf(r, 'm')).toBe('offered');
    r.claim('m', 'a', T0 + 6 * S);
    expect(stateOf(r, 'm')).toBe('assigned');
    expect(r.getAgent('a')!.load.email).toBe(1);
  });

  it('claimArrival: a contact routing does not know yet goes to its claimer, not first to an available agent; refused, it is routed as any arrival', () => {
    const r = router(queue('q', { autoAccept: [] }));
    agent(r, 'a', T0, { capacity: { sms: 2 } });
    agent(r, 'sup', T0, { capacity: { sms: 1 }, state: 'notready', reason: 'meeting' });
    r.claimArrival({ id: 'started', queue: 'q', channel: 'sms', priority: 0 }, 'sup', T0 + S);
    expect(holder(r, 'started')).toBe('sup');
    expect(stateOf(r, 'started')).toBe('assigned');
    expect(r.heldBy('a')).toEqual([]);
    // No room left for the claimer: refused, and the contact is offered to whoever can take it.
    expectRoutingError(() => r.claimArrival({ id: 'second', queue: 'q', channel: 'sms', priority: 0 }, 'sup', T0 + 2 * S), 'over_capacity');
    expect(holder(r, 'second')).toBe('a');
    expect(waitingIds(r)).toEqual([]);
  });

  it('move between queues keeps enqueuedAt (age) and routes in the new queue', () => {
    const r = router(queue('q', { skills: { cards: 5 } }), queue('loans', { skills: { loans: 5 } }));
    arrive(r, 'old', T0, { priority: 1 });
    arrive(r, 'newer', T0 + 10 * S, { queue: 'loans', priority: 1 });
    decisions(r);
    r.move('old', 'loans', T0 + 20 * S);
    const t = r.getTask('old')!;
    expect(t.queue).toBe('loans');
    expect(t.enqueuedAt).toBe(T0);
    expect(t.queuedAt).toBe(T0 + 20 * S);
    expect(waitingIds(r, 'q')).toEqual([]);
    expect(waitingIds(r, 'loans')).toEqual(['old', 'newer']);
    expect(decisions(r)).toContainEqual(expect.objectContaining({ kind: 'requeue', taskId: 'old', queue: 'loans', reason: 'moved' }));
    agent(r, 'l', T0 + 30 * S, { skills: { loans: 7 } });
    expect(holder(r, 'old')).toBe('l');
    // Moving an assigned task frees its agent, who takes the next task.
    r.move('old', 'q', T0 + 40 * S);
    expect(stateOf(r, 'old')).toBe('waiting');
    expect(holder(r, 'newer')).toBe('l');
    expectRoutingError(() => r.move('old', 'nope', T0 + 41 * S), 'unknown_queue');
    // Moving a ringing offer to a queue with nobody for it: waiting, no deadline left over.
    const r2 = router(queue('q', { autoAccept: [] }), queue('wealth', { skills: { wealth: 5 } }));
    agent(r2, 'a', T0, { capacity: { email: 1 } });
    arrive(r2, 'm', T0 + S, { channel: 'email' });
    expect(stateOf(r2, 'm')).toBe('offered');
    r2.move('m', 'wealth', T0 + 2 * S);
    expect(stateOf(r2, 'm')).toBe('waiting');
    expect(r2.getTask('m')!.offerDeadline).toBeUndefined();
    expect(r2.heldBy('a')).toEqual([]);
  });

  it('setPriority re-sorts the waiting list', () => {
    const r = router(queue('q'));
    for (let i = 1; i <= 4; i++) arrive(r, `t${i}`, T0 + i * S);
    r.setPriority('t3', 5, T0 + 10 * S);
    expect(waitingIds(r)).toEqual(['t3', 't1', 't2', 't4']);
    expect(r.position('t3')).toBe(1);
    r.setPriority('t3', 0, T0 + 11 * S);
    expect(waitingIds(r)).toEqual(['t1', 't2', 't3', 't4']);
    r.setPriority('t4', -1, T0 + 12 * S);
    r.setPriority('t1', -1, T0 + 13 * S);
    expect(waitingIds(r)).toEqual(['t2', 't3', 't1', 't4']);
    agent(r, 'a', T0 + 20 * S);
    expect(holder(r, 't2')).toBe('a');
  });

  it('setAgentState(offline) puts everything the agent held back in the queue, ahead of newer work', () => {
    const r = router(queue('q', { autoAccept: ['webchat'] }));
    agent(r, 'a', T0, { capacity: { webchat: 2, email: 1 } });
    arrive(r, 'chat', T0 + S);
    arrive(r, 'mail', T0 + 2 * S, { channel: 'email' });
    arrive(r, 'chat2', T0 + 3 * S);
    arrive(r, 'late', T0 + 4 * S);
    expect(r.heldBy('a').sort()).toEqual(['chat', 'chat2', 'mail']);
    expect(stateOf(r, 'mail')).toBe('offered');
    decisions(r);
    r.setAgentState('a', 'offline', T0 + 10 * S);
    expect(r.heldBy('a')).toEqual([]);
    expect(r.getAgent('a')!.load).toEqual({ webchat: 0, email: 0 });
    expect(waitingIds(r)).toEqual(['chat', 'mail', 'chat2', 'late']);
    const ds = decisions(r);
    expect(ds).toContainEqual({ kind: 'agent', agentId: 'a', state: 'offline', reason: undefined });
    expect(ds).toContainEqual(expect.objectContaining({ kind: 'requeue', taskId: 'chat', queue: 'q', reason: 'agent_logout', fromAgentId: 'a' }));
    expect(ds).toContainEqual(expect.objectContaining({ kind: 'requeue', taskId: 'chat2', queue: 'q', reason: 'agent_logout' }));
    expect(ds.some((d) => d.kind === 'requeue' && d.taskId === 'mail')).toBe(true);
    agent(r, 'b', T0 + 11 * S, { capacity: { webchat: 1 } });
    expect(holder(r, 'chat')).toBe('b');
  });

  it('notready withdraws ringing offers but keeps assigned contacts', () => {
    const r = router(queue('q', { autoAccept: ['webchat'] }));
    agent(r, 'a', T0, { capacity: { webchat: 2, email: 1 } });
    // b signs in after a's last chat: a has been idle longer and gets the mail.
    agent(r, 'b', T0 + 2.5 * S, { capacity: { email: 1 } });
    arrive(r, 'chat', T0 + 2 * S);
    arrive(r, 'mail', T0 + 3 * S, { channel: 'email' });
    expect(holder(r, 'mail')).toBe('a');
    r.setAgentState('a', 'notready', T0 + 4 * S, 'break');
    const a = r.getAgent('a')!;
    expect(a.state).toBe('notready');
    expect(a.reason).toBe('break');
    expect(a.stateSince).toBe(T0 + 4 * S);
    expect(r.heldBy('a')).toEqual(['chat']);
    expect(holder(r, 'mail')).toBe('b');
    arrive(r, 'chat2', T0 + 5 * S);
    expect(stateOf(r, 'chat2')).toBe('waiting');
    r.setAgentState('a', 'available', T0 + 6 * S);
    expect(holder(r, 'chat2')).toBe('a');
  });
});

// ---- queue position and estimated wait -----------------------------------------------------------

describe('queue position and estimated wait', () => {
  it('positions 1..n follow the waiting order; estimated wait = position × AHT / seats of the staffed skilled agents', () => {
    const r = router(queue('q', { skills: { cards: 5 }, defaultAhtSec: 300 }));
    agent(r, 'a', T0, { skills: { cards: 6 }, state: 'notready', reason: 'meal' });
    agent(r, 'b', T0, { skills: { cards: 9 }, state: 'notready', reason: 'training' });
    agent(r, 'unskilled', T0, { skills: { cards: 2 }, state: 'notready', reason: 'break' });
    agent(r, 'gone', T0, { skills: { cards: 9 }, state: 'offline' });
    arrive(r, 'p0a', T0 + 1 * S, { priority: 0 });
    arrive(r, 'p2', T0 + 2 * S, { priority: 2 });
    arrive(r, 'p0b', T0 + 3 * S, { priority: 0 });
    arrive(r, 'p1', T0 + 4 * S, { priority: 1 });
    const order = waitingIds(r);
    expect(order).toEqual(['p2', 'p1', 'p0a', 'p0b']);
    order.forEach((id, i) => {
      expect(r.position(id)).toBe(i + 1);
      expect(r.estimatedWaitSec(id, T0 + 5 * S)).toBe((i + 1) * 150);
    });
    // Nobody staffed: divides by one, never by zero.
    const r2 = router(queue('q', { defaultAhtSec: 120 }));
    arrive(r2, 'x', T0);
    arrive(r2, 'y', T0 + S);
    expect(r2.estimatedWaitSec('y', T0 + 2 * S)).toBe(240);
    // Not waiting (or unknown): position 0, wait 0.
    agent(r, 'c', T0 + 10 * S, { skills: { cards: 5 } });
    expect(holder(r, 'p2')).toBe('c');
    expect(r.position('p2')).toBe(0);
    expect(r.estimatedWaitSec('p2', T0 + 10 * S)).toBe(0);
    expect(r.position('p1')).toBe(1);
    expect(r.position('nope')).toBe(0);
  });
});

// ---- export/import -------------------------------------------------------------------------------

describe('export/import', () => {
  function queues() {
    return [
      queue('q', { skills: { cards: 5 }, autoAccept: ['webchat'], wrapUpSec: 30, offerTimeoutSec: 20, relax: [{ afterSec: 120, minProficiency: 1 }] }),
      queue('wealth', { skills: { wealth: 5 }, stickySec: 60 }),
    ];
  }

  it('waiting order, offers, assignments, loads, agent states and timers survive; loads are recomputed', () => {
    const r = router(...queues());
    agent(r, 'a', T0, { skills: { cards: 8 }, capacity: { webchat: 2, email: 1 } });
    agent(r, 'b', T0, { skills: { cards: 8 }, capacity: { voice: 1 } });
    agent(r, 'c', T0, { skills: { cards: 8, wealth: 1 }, capacity: { webchat: 1 }, state: 'notready', reason: 'break' });
    agent(r, 'd', T0, { skills: { cards: 8 }, capacity: { webchat: 1 }, state: 'offline' });
    arrive(r, 'chat', T0 + S); // a, assigned
    arrive(r, 'mail', T0 + 2 * S, { channel: 'email' }); // a, offered until T0 + 22 s
    arrive(r, 'call', T0 + 3 * S, { channel: 'voice' }); // b, offered
    r.accept('call', 'b', T0 + 4 * S);
    r.release('call', T0 + 5 * S); // b in wrap-up until T0 + 35 s
    arrive(r, 'w1', T0 + 6 * S, { queue: 'wealth', priority: 1 });
    arrive(r, 'w2', T0 + 7 * S, { queue: 'wealth', priority: 3 });
    arrive(r, 'w3', T0 + 8 * S, { queue: 'wealth', priority: 1, enqueuedAt: T0 });
    arrive(r, 'w4', T0 + 9 * S, { queue: 'wealth', priority: 0, preferredAgentId: 'c' });
    expect(r.getAgent('b')!.state).toBe('wrapup');

    const snap = r.exportState();
    // Loads in a snapshot are not trusted: garble them.
    for (const ag of snap.agents) ag.load = { webchat: 9, email: 9 };
    const r2 = router(...queues());
    r2.importState(snap, T0 + 10 * S);

    expect(waitingIds(r2, 'wealth')).toEqual(waitingIds(r, 'wealth'));
    expect(waitingIds(r2, 'wealth')).toEqual(['w2', 'w3', 'w1', 'w4']);
    for (const t of r.allTasks()) {
      const u = r2.getTask(t.id)!;
      expect(u).toEqual(t);
    }
    for (const ag of r.allAgents()) {
      const u = r2.getAgent(ag.id)!;
      expect(u.state).toBe(ag.state);
      expect(u.reason).toBe(ag.reason);
      expect(u.wrapUntil).toBe(ag.wrapUntil);
      expect(r2.heldBy(ag.id).sort()).toEqual(r.heldBy(ag.id).sort());
      for (const ch of ['webchat', 'email', 'voice'] as Channel[]) expect(u.load[ch] ?? 0).toBe(ag.load[ch] ?? 0);
    }
    expect(r2.getAgent('a')!.load).toEqual({ webchat: 1, email: 1 });
    expect(r2.getAgent('b')!.load).toEqual({});
    // The snapshot is a copy: changing the old router does not change the new one.
    r.release('chat', T0 + 11 * S);
    expect(r2.getTask('chat')!.agentId).toBe('a');
    // Timers survive: the offer deadline (RONA) and the end of wrap-up.
    r2.tick(T0 + 22 * S);
    expect(r2.getAgent('a')!.state).toBe('notready');
    expect(r2.getAgent('a')!.reason).toBe('rona');
    expect(stateOf(r2, 'mail')).toBe('waiting');
    r2.tick(T0 + 35 * S);
    expect(r2.getAgent('b')!.state).toBe('available'); // b has voice only: the email keeps waiting
    expect(stateOf(r2, 'mail')).toBe('waiting');
    // Counters survive: new tasks sort after imported ones of the same age.
    arrive(r2, 'w5', T0 + 36 * S, { queue: 'wealth', priority: 0, enqueuedAt: T0 + 9 * S });
    expect(waitingIds(r2, 'wealth')).toEqual(['w2', 'w3', 'w1', 'w4', 'w5']);
  });

  it('import routes what is routable and drops tasks of unknown queues', () => {
    const r = router(...queues());
    agent(r, 'c', T0, { skills: { cards: 8, wealth: 6 }, state: 'notready', reason: 'break' });
    arrive(r, 'w', T0 + S, { queue: 'wealth' });
    const snap = r.exportState();
    snap.agents[0].state = 'available';
    snap.agents[0].reason = undefined;
    snap.tasks.push({ ...snap.tasks[0], id: 'ghost', queue: 'gone', seq: 99 });
    const r2 = router(...queues());
    r2.importState(snap, T0 + 2 * S);
    expect(holder(r2, 'w')).toBe('c');
    expect(r2.getTask('ghost')).toBeUndefined();
  });
});

// ---- drain ---------------------------------------------------------------------------------------

describe('drain', () => {
  it('reports dirty agents, dirty tasks and decisions once, and removed ids after release', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0);
    agent(r, 'b', T0, { state: 'offline' });
    const first = r.drain();
    expect(first.agents.map((x) => x.id).sort()).toEqual(['a', 'b']);
    expect(first.decisions).toEqual([{ kind: 'agent', agentId: 'a', state: 'available', reason: undefined }]);
    expect(r.drain()).toEqual({ decisions: [], agents: [], tasks: [], removed: [] });

    arrive(r, 't', T0 + S);
    arrive(r, 'u', T0 + 2 * S);
    const c = r.drain();
    expect(c.decisions).toEqual([expect.objectContaining({ kind: 'assign', taskId: 't', agentId: 'a' })]);
    expect(c.agents.map((x) => x.id)).toEqual(['a']);
    expect(c.agents[0].load.webchat).toBe(1);
    expect(c.tasks.map((x) => [x.id, x.state]).sort()).toEqual([
      ['t', 'assigned'],
      ['u', 'waiting'],
    ]);
    expect(c.removed).toEqual([]);

    r.release('t', T0 + 3 * S);
    const d = r.drain();
    expect(d.removed).toEqual(['t']);
    expect(d.tasks.map((x) => x.id)).toEqual(['u']); // u was given to a; t is gone, not dirty
    expect(d.tasks[0].state).toBe('assigned');
    expect(d.agents.map((x) => x.id)).toEqual(['a']);
    expect(d.decisions).toEqual([
      { kind: 'released', taskId: 't', agentId: 'a' },
      expect.objectContaining({ kind: 'assign', taskId: 'u', agentId: 'a' }),
    ]);
    // A released task is gone: releasing again is a no-op, the id is not reported again.
    r.release('t', T0 + 4 * S);
    expect(r.drain()).toEqual({ decisions: [], agents: [], tasks: [], removed: [] });
    // A waiting task released (customer left) is removed without a 'released' decision.
    arrive(r, 'v', T0 + 5 * S);
    r.drain();
    r.release('v', T0 + 6 * S);
    const e = r.drain();
    expect(e.removed).toEqual(['v']);
    expect(e.decisions).toEqual([]);
    expect(waitingIds(r)).toEqual([]);
  });

  it('arrive is idempotent', () => {
    const r = router(queue('q'));
    agent(r, 'a', T0);
    const t = arrive(r, 't', T0 + S);
    r.drain();
    expect(arrive(r, 't', T0 + 2 * S, { priority: 9 })).toBe(t);
    expect(r.drain().decisions).toEqual([]);
    expect(r.getAgent('a')!.load.webchat).toBe(1);
  });
});

// ---- invariants under a randomized workload ------------------------------------------------------

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent of the router: may `a` take waiting task `t` right now? */
function eligibleNow(r: Router, a: AgentSnapshot, t: TaskSnapshot, now: number): boolean {
  const q = r.queue(t.queue);
  // Sticky: within the window, a signed-in preferred agent who has not declined is the only candidate.
  if (t.preferredAgentId && now < t.queuedAt + q.stickySec * 1000) {
    const p = r.getAgent(t.preferredAgentId);
    if (p && (p.state === 'available' || p.state === 'wrapup') && !t.declinedBy.includes(p.id) && p.id !== a.id) return false;
  }
  if (a.state !== 'available') return false;
  if ((a.load.voice ?? 0) > 0) return false;
  if ((a.load[t.channel] ?? 0) >= (a.capacity[t.channel] ?? 0)) return false;
  if (t.declinedBy.includes(a.id)) return false;
  let floor = Infinity;
  for (const step of q.relax) if (now >= t.queuedAt + step.afterSec * 1000) floor = Math.min(floor, step.minProficiency);
  for (const [skill, min] of Object.entries({ ...q.skills, ...t.skills })) if ((a.skills[skill] ?? 0) < Math.min(min, floor)) return false;
  return true;
}

/** Plain checks (expect() per item is too slow for thousands of steps); the message says what broke. */
function check(ok: boolean, msg: () => string): void {
  if (!ok) throw new Error(msg());
}

function checkInvariants(r: Router, now: number, step: number): void {
  const where = `step ${step} at +${now - T0} ms`;
  const owner = new Map<string, string>();
  const tasks = new Map(r.allTasks().map((t) => [t.id, t]));
  for (const a of r.allAgents()) {
    const held = r.heldBy(a.id);
    const perCh: Partial<Record<Channel, number>> = {};
    for (const tid of held) {
      check(!owner.has(tid), () => `${where}: ${tid} held by ${owner.get(tid)} and ${a.id}`);
      owner.set(tid, a.id);
      const t = tasks.get(tid);
      check(!!t, () => `${where}: ${a.id} holds unknown task ${tid}`);
      check(t!.agentId === a.id, () => `${where}: ${a.id} holds ${tid} whose agentId is ${t!.agentId}`);
      check(t!.state === 'offered' || t!.state === 'assigned', () => `${where}: ${a.id} holds ${tid} in state ${t!.state}`);
      perCh[t!.channel] = (perCh[t!.channel] ?? 0) + 1;
    }
    for (const ch of new Set([...Object.keys(perCh), ...Object.keys(a.load)]) as Set<Channel>) {
      check((a.load[ch] ?? 0) === (perCh[ch] ?? 0), () => `${where}: ${a.id} load.${ch} ${a.load[ch]} but holds ${perCh[ch] ?? 0}`);
      check((a.load[ch] ?? 0) <= (a.capacity[ch] ?? 0), () => `${where}: ${a.id} over capacity on ${ch}: ${a.load[ch]} > ${a.capacity[ch] ?? 0}`);
    }
    check(a.state !== 'offline' || held.length === 0, () => `${where}: offline ${a.id} holds ${held}`);
    if (a.state === 'notready') for (const tid of held) check(tasks.get(tid)!.state === 'assigned', () => `${where}: notready ${a.id} has ${tid} ringing`);
  }
  const waitingSeen = new Set<string>();
  for (const qid of r.queueIds()) {
    const list = r.waitingIn(qid);
    list.forEach((t, i) => {
      check(t.queue === qid && t.state === 'waiting', () => `${where}: ${t.id} (${t.queue}, ${t.state}) in the waiting list of ${qid}`);
      check(!waitingSeen.has(t.id), () => `${where}: ${t.id} waits twice`);
      waitingSeen.add(t.id);
      check(r.position(t.id) === i + 1, () => `${where}: ${t.id} at index ${i} but position ${r.position(t.id)}`);
      if (i > 0) {
        const p = list[i - 1];
        const ordered = p.priority > t.priority || (p.priority === t.priority && (p.enqueuedAt < t.enqueuedAt || (p.enqueuedAt === t.enqueuedAt && p.seq < t.seq)));
        check(ordered, () => `${where}: ${p.id} sorted before ${t.id}`);
      }
    });
  }
  const agents = r.allAgents();
  for (const t of tasks.values()) {
    if (t.state === 'offered' || t.state === 'assigned') {
      check(owner.get(t.id) === t.agentId, () => `${where}: ${t.id} (${t.state}, agentId ${t.agentId}) held by ${owner.get(t.id)}`);
      check(t.state === 'assigned' || (t.offerDeadline ?? 0) >= now, () => `${where}: ${t.id} still ringing after its deadline`);
      continue;
    }
    check(t.agentId === undefined, () => `${where}: ${t.id} ${t.state} with agentId ${t.agentId}`);
    if (t.state !== 'waiting') continue;
    check(waitingSeen.has(t.id), () => `${where}: ${t.id} waiting but not in its queue's list`);
    const free = agents.find((a) => eligibleNow(r, a, t, now));
    check(!free, () => `${where}: ${t.id} (${t.queue}/${t.channel} p${t.priority}) waits while ${free!.id} could take it`);
  }
}

describe('invariants under a randomized workload', () => {
  // Two profiles: 'surge' alternates bursts of arrivals (long queues: a freed agent must find work deep in
  // them) with calm spells; 'steady' keeps queues short and agents often idle (sticky and relaxation edges).
  it.each([
    { profile: 'surge', seed: 0xacd2024 },
    { profile: 'steady', seed: 0x5eed },
  ])('$profile: never two holders, never over capacity, held sets consistent, never waiting while an eligible agent is free', ({ profile, seed }) => {
    const rnd = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    const queues = [
      queue('cards', { skills: { cards: 5 }, strategy: 'longest-idle', autoAccept: ['webchat'], offerTimeoutSec: 15, wrapUpSec: 20, stickySec: 20, relax: [{ afterSec: 10, minProficiency: 3 }], overflow: { afterSec: 90, queue: 'general' } }),
      queue('loans', { skills: { loans: 4 }, strategy: 'least-occupied', autoAccept: ['webchat', 'email'], offerTimeoutSec: 20, wrapUpSec: 0, stickySec: 10, relax: [{ afterSec: 5, minProficiency: 3 }, { afterSec: 20, minProficiency: 1 }] }),
      queue('wealth', { skills: { wealth: 6 }, strategy: 'most-skilled', autoAccept: [], offerTimeoutSec: 10, wrapUpSec: 10, stickySec: 30, overflow: { afterSec: 60, queue: 'cards' } }),
      queue('general', { skills: {}, strategy: 'round-robin', autoAccept: ['webchat', 'email', 'sms'], offerTimeoutSec: 12, wrapUpSec: 5 }),
    ];
    let r = router(...queues);
    const channels: Channel[] = ['webchat', 'webchat', 'webchat', 'email', 'email', 'sms', 'voice'];
    const langs = ['mandarin', 'cantonese', 'english'];
    const agentIds: string[] = [];
    let now = T0;
    for (let i = 0; i < 14; i++) {
      const id = `ag${i}`;
      agentIds.push(id);
      const skills: Record<string, number> = {};
      for (const s of ['cards', 'loans', 'wealth', ...langs]) if (rnd() < 0.6) skills[s] = int(1, 10);
      const capacity: Partial<Record<Channel, number>> = { webchat: int(1, 3) };
      if (rnd() < 0.5) capacity.voice = 1;
      if (rnd() < 0.6) capacity.email = int(1, 5);
      if (rnd() < 0.4) capacity.sms = int(1, 2);
      r.upsertAgent({ id, name: id, skills, capacity }, now);
      if (rnd() < 0.7) r.setAgentState(id, 'available', now);
    }
    let nextTask = 0;
    let imports = 0;
    const counts: Record<string, number> = {};
    const STEPS = 4000;
    for (let step = 0; step < STEPS; step++) {
      now += int(0, 2500);
      r.tick(now);
      const tasks = r.allTasks();
      const offered = tasks.filter((t) => t.state === 'offered');
      const held = tasks.filter((t) => t.state === 'offered' || t.state === 'assigned');
      const waiting = tasks.filter((t) => t.state === 'waiting');
      // Alternate surges (two thirds arrivals: queues build up) and calm spells (no arrivals: they drain).
      const burst = Math.floor(step / 400) % 2 === 0;
      const x = profile === 'steady' ? rnd() : burst ? (rnd() < 0.5 ? 0 : rnd()) : 0.3 + rnd() * 0.7;
      let op: string;
      if (x < 0.3) {
        op = 'arrive';
        const task: TaskInput = { id: `t${nextTask++}`, queue: pick(queues).id, channel: pick(channels), priority: int(0, 3) };
        if (rnd() < 0.25) task.skills = { [pick(langs)]: int(1, 6) };
        if (rnd() < (profile === 'steady' ? 0.4 : 0.2)) task.preferredAgentId = pick(agentIds);
        if (rnd() < 0.1) task.enqueuedAt = now - int(0, 60_000);
        r.arrive(task, now);
      } else if (x < 0.45 && offered.length) {
        op = 'accept';
        const t = pick(offered);
        r.accept(t.id, t.agentId!, now);
      } else if (x < 0.5 && offered.length) {
        op = 'reject';
        const t = pick(offered);
        r.reject(t.id, t.agentId!, now);
      } else if (x < 0.7 && held.length) {
        op = 'release';
        r.release(pick(held).id, now);
      } else if (x < 0.73 && waiting.length) {
        op = 'abandon';
        r.release(pick(waiting).id, now);
      } else if (x < 0.82) {
        op = 'state';
        const id = pick(agentIds);
        const y = rnd();
        if (y < 0.7) r.setAgentState(id, 'available', now);
        else if (y < 0.85) r.setAgentState(id, 'notready', now, pick(['break', 'meal', 'training', 'meeting'] as const));
        else r.setAgentState(id, 'offline', now);
      } else if (x < 0.85) {
        op = 'endWrapUp';
        const w = r.allAgents().filter((a) => a.state === 'wrapup');
        if (w.length) r.endWrapUp(pick(w).id, now);
      } else if (x < 0.88 && tasks.length) {
        op = 'move';
        const t = pick(tasks.filter((u) => u.state !== 'offline').concat(waiting));
        if (t) r.move(t.id, pick(queues).id, now);
      } else if (x < 0.91 && waiting.length) {
        op = 'priority';
        r.setPriority(pick(waiting).id, int(0, 5), now);
      } else if (x < 0.93 && tasks.length) {
        op = 'reassign';
        const t = pick(tasks.filter((u) => u.state !== 'offline').concat(waiting));
        const to = pick(r.allAgents());
        if (t) {
          try {
            r.reassign(t.id, to.id, now);
            expect(to.state).not.toBe('offline');
          } catch (e) {
            if (!(e instanceof RoutingError)) throw e;
            expect(e.code).toBe(to.state === 'offline' ? 'invalid_state' : 'over_capacity');
          }
        }
      } else if (x < 0.94 && waiting.length) {
        op = 'claim';
        const t = pick(waiting);
        const by = pick(r.allAgents().filter((a) => a.state !== 'offline').concat(r.allAgents()));
        if (by.state !== 'offline') {
          try {
            r.claim(t.id, by.id, now);
          } catch (e) {
            if (!(e instanceof RoutingError) || e.code !== 'over_capacity') throw e;
          }
        }
      } else if (x < 0.945) {
        op = 'failover';
        const snap = r.exportState();
        r = router(...queues);
        r.importState(snap, now);
        imports++;
      } else {
        op = 'idle';
      }
      counts[op] = (counts[op] ?? 0) + 1;
      if (rnd() < 0.3) r.drain();
      checkInvariants(r, now, step);
    }
    // The workload really exercised the router.
    expect(counts.arrive).toBeGreaterThan(800);
    expect(counts.accept).toBeGreaterThan(100);
    expect(counts.reject).toBeGreaterThan(20);
    expect(imports).toBeGreaterThan(5);
  });
});

describe('service level', () => {
  it("a task's first answer reports how long the customer waited; a later reassignment does not", () => {
    const r = router(queue('q', { autoAccept: ['webchat'] }));
    arrive(r, 't', T0, { enqueuedAt: T0 - 5 * S }); // 5 s already spent in the IVR
    agent(r, 'a', T0 + 12 * S);
    expect(decisions(r)).toContainEqual({ kind: 'assign', taskId: 't', agentId: 'a', waitMs: 17 * S, queue: 'q' });
    agent(r, 'b', T0 + 13 * S);
    r.reassign('t', 'b', T0 + 14 * S);
    const again = decisions(r).filter((d) => d.kind === 'assign');
    expect(again).toEqual([{ kind: 'assign', taskId: 't', agentId: 'b', previousAgentId: 'a' }]);
  });
});
