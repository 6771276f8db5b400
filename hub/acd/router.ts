/**
 * The routing engine: pure, in-memory, synchronous. One decision costs no database round trip: the
 * service (hub/acd/service.ts) feeds it events, persists what it changed (the dirty sets) and announces
 * its decisions. Its whole state exports to and imports from plain snapshots, so a new leader
 * rebuilds it after a failover. The rules (who may take what, who is best) are in eligibility.ts, the
 * indexes that make applying them to many agents cheap in agent-index.ts.
 *
 * Invariants kept here and checked by test/hub/acd-router.test.ts:
 * - a task is held by at most one agent (offered or assigned);
 * - an agent's load never exceeds its capacity on any channel (offers reserve capacity);
 * - a task is never left waiting while an eligible agent has room: every arrival looks for an agent,
 *   every freed agent looks for a task, and every time-based change (sticky expiry, relaxation,
 *   overflow, wrap-up end) looks again.
 */
import { AgentIndex } from './agent-index.js';
import { beforeTask, channelBit, hasRoom, mayServe, meetsSkills, relaxFloor, score, skillKeys } from './eligibility.js';
import { isOpen } from './hours.js';
import { TimerHeap } from './timer-heap.js';
import {
  RoutingError,
  type AgentProfile,
  type AgentSnapshot,
  type AgentStateName,
  type Decision,
  type NotReadyReason,
  type QueueDef,
  type TaskInput,
  type TaskSnapshot,
} from './types.js';
import { WaitList } from './waitlist.js';

export interface RouterState {
  agents: AgentSnapshot[];
  tasks: TaskSnapshot[];
  seq: number;
  assignSeq: number;
}

export interface Changes {
  decisions: Decision[];
  agents: AgentSnapshot[];
  tasks: TaskSnapshot[];
  /** Tasks that left routing (released): delete from persistence. */
  removed: string[];
}

export class Router {
  private queues = new Map<string, QueueDef>();
  private waiting = new Map<string, WaitList>();
  private agents = new Map<string, AgentSnapshot>();
  private tasks = new Map<string, TaskSnapshot>();
  /** Tasks held per agent (offered or assigned). */
  private held = new Map<string, Set<string>>();
  /** Ready agents, skills, room per channel: what makes finding the best agent cheap. */
  private index = new AgentIndex();
  private timers = new TimerHeap();
  private rr = new Map<string, number>();
  private seq = 0;
  private assignSeq = 0;
  private decisions: Decision[] = [];
  private dirtyAgents = new Set<string>();
  private dirtyTasks = new Set<string>();
  private removed = new Set<string>();
  /** Moving average handle time per queue (ms), for estimated wait. */
  private aht = new Map<string, number>();

  // ---- configuration ------------------------------------------------------------------------

  defineQueue(q: QueueDef): void {
    this.queues.set(q.id, q);
    this.index.queuesChanged();
    if (!this.waiting.has(q.id)) this.waiting.set(q.id, new WaitList());
  }

  queue(id: string): QueueDef {
    const q = this.queues.get(id);
    if (!q) throw new RoutingError('unknown_queue', `unknown queue ${id}`);
    return q;
  }

  /** Whether contacts may be sent into this queue now (it exists and is not disabled). */
  private takes(id: string | undefined): boolean {
    const q = id ? this.queues.get(id) : undefined;
    return !!q && !q.disabled;
  }

  /**
   * Where a new contact addressed to this queue goes: the queue itself unless disabled, else its
   * overflow queue if that one takes contacts, else `general`. With nowhere else to go (general itself
   * disabled) it stays: a contact is never dropped.
   */
  private entry(q: QueueDef): QueueDef {
    if (!q.disabled) return q;
    for (const next of [q.overflow?.queue, 'general']) if (this.takes(next)) return this.queues.get(next!)!;
    return q;
  }

  /**
   * A deleted queue has no members any more: what waits in it goes where its new contacts go (entry()),
   * keeping its age. Offered and assigned contacts stay with their agents. Called after the queues are
   * (re)loaded, and after a new leader imports the state.
   */
  evacuate(queueId: string, now: number): void {
    const q = this.queues.get(queueId);
    const wl = this.waiting.get(queueId);
    if (!q?.deleted || !wl?.size) return;
    const to = this.entry(q);
    if (to.id === q.id) return;
    for (const t of [...wl.iterate()]) {
      wl.remove(t);
      t.queue = to.id;
      t.queuedAt = now;
      this.decisions.push({ kind: 'requeue', taskId: t.id, queue: to.id, reason: 'disabled' });
      this.route(t, now);
    }
  }

  /** Add or update an agent's skills and capacity; a new agent starts offline. */
  upsertAgent(p: AgentProfile, now: number): void {
    const a = this.agents.get(p.id);
    if (a) {
      this.index.remove(a);
      a.name = p.name;
      a.skills = { ...p.skills };
      a.capacity = { ...p.capacity };
      this.index.add(a);
      this.touchAgent(a);
      if (a.state === 'available') this.fill(a, now);
      return;
    }
    const fresh: AgentSnapshot = { ...p, skills: { ...p.skills }, capacity: { ...p.capacity }, state: 'offline', stateSince: now, load: {}, lastFreeAt: now, lastAssignedSeq: 0 };
    this.agents.set(p.id, fresh);
    this.held.set(p.id, new Set());
    this.index.add(fresh);
    this.touchAgent(fresh);
  }

  // ---- events -------------------------------------------------------------------------------

  /** A conversation needs an agent. Idempotent: a task already known is left as it is. */
  arrive(input: TaskInput, now: number, route = true): TaskSnapshot {
    const existing = this.tasks.get(input.id);
    if (existing) return existing;
    const q = this.entry(this.queue(input.queue));
    const t: TaskSnapshot = {
      id: input.id,
      queue: q.id,
      channel: input.channel,
      priority: input.priority,
      skills: { ...(input.skills ?? {}) },
      preferredAgentId: input.preferredAgentId,
      enqueuedAt: input.enqueuedAt ?? now,
      queuedAt: now,
      state: 'waiting',
      declinedBy: [],
      seq: ++this.seq,
    };
    this.tasks.set(t.id, t);
    this.touchTask(t);
    // Its conversation still names the disabled queue: the record follows this decision.
    if (q.id !== input.queue) this.decisions.push({ kind: 'requeue', taskId: t.id, queue: q.id, reason: 'disabled' });
    if (!route) {
      this.waiting.get(q.id)!.insert(t);
      return t;
    }
    if (!isOpen(q.hours, now)) {
      this.afterHours(t, q, now);
      return t;
    }
    this.route(t, now);
    return t;
  }

  setAgentState(agentId: string, state: AgentStateName, now: number, reason?: NotReadyReason): void {
    const a = this.agent(agentId);
    if (state === 'wrapup') throw new RoutingError('invalid_state', 'wrap-up starts when a contact ends, not by request');
    const normalized = state === 'notready' ? (reason ?? 'other') : undefined;
    if (a.state === state && a.reason === normalized) return;
    this.changeState(a, state, now, reason);
    // Not taking new contacts: ringing offers go back to the queue at once.
    if (state !== 'available') for (const tid of [...this.held.get(a.id)!]) if (this.tasks.get(tid)?.state === 'offered') this.withdraw(this.tasks.get(tid)!, now, 'rejected', false);
    // Logged out: everything the agent held goes back to its queue.
    if (state === 'offline') for (const tid of [...this.held.get(a.id)!]) this.withdraw(this.tasks.get(tid)!, now, 'agent_logout', false);
    // Away (logged out, not ready): waiting tasks held for them (sticky) are free for everyone now.
    if (state === 'offline' || state === 'notready') this.unstick(a.id, now);
    if (state === 'available') this.fill(a, now);
  }

  /** An assignment decision; the first one of a task also reports how long the customer waited (service level). */
  private assigned(t: TaskSnapshot, agentId: string, now: number, previousAgentId?: string): void {
    const first = t.answeredAt === undefined;
    if (first) t.answeredAt = now;
    this.decisions.push({ kind: 'assign', taskId: t.id, agentId, ...(previousAgentId ? { previousAgentId } : {}), ...(first ? { waitMs: now - t.enqueuedAt, queue: t.queue } : {}) });
  }

  private changeState(a: AgentSnapshot, state: AgentStateName, now: number, reason?: NotReadyReason): void {
    a.state = state;
    a.reason = state === 'notready' ? (reason ?? 'other') : undefined;
    a.stateSince = now;
    a.wrapUntil = undefined;
    if (state === 'available') a.lastFreeAt = now;
    this.touchAgent(a);
    this.decisions.push({ kind: 'agent', agentId: a.id, state, reason: a.reason });
  }

  accept(taskId: string, agentId: string, now: number): TaskSnapshot {
    const t = this.task(taskId);
    if (t.state !== 'offered' || t.agentId !== agentId) throw new RoutingError('invalid_state', 'no such offer to accept (withdrawn or taken)');
    t.state = 'assigned';
    t.offerDeadline = undefined;
    t.heldAt = now;
    this.touchTask(t);
    this.assigned(t, agentId, now);
    return t;
  }

  reject(taskId: string, agentId: string, now: number): void {
    const t = this.task(taskId);
    if (t.state !== 'offered' || t.agentId !== agentId) throw new RoutingError('invalid_state', 'no such offer to reject');
    this.withdraw(t, now, 'rejected', true);
  }

  /**
   * An assignment no console of its agent acknowledged (announced twice, never on their screen): the
   * agent is treated as away from the desk, as after a missed offer — not ready (RONA), the contact
   * back at the head of its queue for someone else, their ringing offers withdrawn. A no-op when the
   * task has moved on meanwhile (acknowledged late, resolved, reassigned).
   */
  unanswered(taskId: string, agentId: string, now: number): void {
    const t = this.tasks.get(taskId);
    const a = this.agents.get(agentId);
    if (!t || !a || t.state !== 'assigned' || t.agentId !== agentId) return;
    if (a.state !== 'notready' || a.reason !== 'rona') this.changeState(a, 'notready', now, 'rona');
    this.withdraw(t, now, 'rona', false);
    for (const tid of [...this.held.get(a.id)!]) if (this.tasks.get(tid)?.state === 'offered') this.withdraw(this.tasks.get(tid)!, now, 'rejected', false);
    this.unstick(a.id, now);
  }

  /** The conversation ended (resolved, transferred out): free the agent, with wrap-up after voice. */
  release(taskId: string, now: number): void {
    const t = this.tasks.get(taskId);
    if (!t) return; // already released: idempotent
    const agentId = t.agentId;
    const answered = t.state === 'assigned';
    const heldAt = t.heldAt ?? t.queuedAt;
    this.unhold(t);
    this.waiting.get(t.queue)?.remove(t);
    this.tasks.delete(t.id);
    this.removed.add(t.id);
    this.dirtyTasks.delete(t.id);
    if (!agentId) return;
    this.decisions.push({ kind: 'released', taskId, agentId });
    const a = this.agents.get(agentId);
    if (!a) return;
    if (answered) {
      const handled = now - heldAt;
      this.aht.set(t.queue, Math.round(0.9 * (this.aht.get(t.queue) ?? handled) + 0.1 * handled));
    }
    a.lastFreeAt = now;
    const q = this.queues.get(t.queue);
    // After-contact work follows a call that was answered, not one that only rang.
    if (answered && t.channel === 'voice' && q && q.wrapUpSec > 0 && a.state === 'available') {
      a.state = 'wrapup';
      a.stateSince = now;
      a.wrapUntil = now + q.wrapUpSec * 1000;
      this.timers.push({ at: a.wrapUntil, kind: 'wrapup', id: a.id, stamp: a.wrapUntil });
      this.decisions.push({ kind: 'agent', agentId: a.id, state: 'wrapup' });
    }
    this.touchAgent(a);
    if (a.state === 'available') this.fill(a, now);
  }

  /** The agent finished after-contact work early. */
  endWrapUp(agentId: string, now: number): void {
    const a = this.agent(agentId);
    if (a.state !== 'wrapup') return;
    this.setAgentState(agentId, 'available', now);
  }

  /**
   * An agent claims a contact routing may not know yet (one they start themselves, or one whose
   * arrival is still on its way): it becomes known without being offered to anyone else first (an
   * arrival routes at once, and the offer would beat the claim). If the claim is refused, it is routed
   * like any arrival.
   */
  claimArrival(input: TaskInput, agentId: string, now: number): void {
    if (this.tasks.has(input.id)) return this.claim(input.id, agentId, now);
    const t = this.arrive(input, now, false);
    try {
      this.claim(t.id, agentId, now);
    } catch (e) {
      this.waiting.get(t.queue)?.remove(t);
      this.route(t, now);
      throw e;
    }
  }

  /** An agent picks a waiting contact from the queue themselves (capacity still holds). */
  claim(taskId: string, agentId: string, now: number): void {
    const t = this.task(taskId);
    const a = this.agent(agentId);
    if (t.agentId === agentId) {
      if (t.state === 'offered') this.accept(taskId, agentId, now);
      return;
    }
    if (t.agentId) throw new RoutingError('already_assigned', 'another agent has this conversation');
    if (!hasRoom(a, t.channel)) throw new RoutingError('over_capacity', `no room for another ${t.channel} contact`);
    this.waiting.get(t.queue)?.remove(t);
    this.hold(t, a);
    t.heldAt = now;
    a.lastAssignedSeq = ++this.assignSeq;
    a.lastRoutedAt = now;
    t.state = 'assigned';
    t.offerDeadline = undefined;
    this.touchTask(t);
    this.assigned(t, agentId, now);
  }

  /** Supervisor: give a task to a named agent (force ignores state and capacity, never skills of a closed account). */
  reassign(taskId: string, agentId: string, now: number, force = false): void {
    const t = this.task(taskId);
    const a = this.agent(agentId);
    if (t.agentId === agentId && t.state === 'assigned') return;
    if (t.agentId === agentId && t.state === 'offered') {
      this.accept(taskId, agentId, now);
      return;
    }
    if (!force && a.state === 'offline') throw new RoutingError('invalid_state', `${a.name} is logged out`);
    if (!force && !hasRoom(a, t.channel)) throw new RoutingError('over_capacity', `${a.name} has no room for another ${t.channel} contact`);
    const previous = t.agentId;
    this.unhold(t);
    this.waiting.get(t.queue)?.remove(t);
    this.hold(t, a);
    t.heldAt = now;
    t.state = 'assigned';
    t.offerDeadline = undefined;
    this.touchTask(t);
    this.assigned(t, agentId, now, previous);
    if (previous) {
      const p = this.agents.get(previous);
      if (p?.state === 'available') this.fill(p, now);
    }
  }

  /** Supervisor: move a task to another queue (keeps its age). */
  move(taskId: string, queueId: string, now: number): void {
    const t = this.task(taskId);
    const q = this.queue(queueId);
    if (q.disabled) throw new RoutingError('invalid_state', `queue ${queueId} is disabled: it takes no new contacts`);
    const previous = t.agentId;
    this.unhold(t);
    this.waiting.get(t.queue)?.remove(t);
    t.queue = q.id;
    t.queuedAt = now;
    t.state = 'waiting';
    t.offerDeadline = undefined;
    t.declinedBy = [];
    this.touchTask(t);
    this.decisions.push({ kind: 'requeue', taskId, queue: q.id, reason: 'moved', fromAgentId: previous });
    this.route(t, now);
    if (previous) {
      const p = this.agents.get(previous);
      if (p?.state === 'available') this.fill(p, now);
    }
  }

  /** Supervisor: change a task's priority (re-sorts it; may route it at once if now first in line). */
  setPriority(taskId: string, priority: number, now: number): void {
    const t = this.task(taskId);
    if (t.state !== 'waiting') {
      t.priority = priority;
      this.touchTask(t);
      return;
    }
    const wl = this.waiting.get(t.queue)!;
    wl.remove(t);
    t.priority = priority;
    wl.insert(t);
    this.touchTask(t);
    void now;
  }

  /** Time passes: ring-no-answer, sticky expiry, relaxation, overflow, end of wrap-up. */
  tick(now: number): void {
    for (let tm = this.timers.popDue(now); tm; tm = this.timers.popDue(now)) {
      if (tm.kind === 'wrapup') {
        const a = this.agents.get(tm.id);
        if (a?.state === 'wrapup' && a.wrapUntil === tm.stamp) this.setAgentState(a.id, 'available', now);
        continue;
      }
      const t = this.tasks.get(tm.id);
      if (!t) continue;
      if (tm.kind === 'offer') {
        if (t.state === 'offered' && t.offerDeadline === tm.stamp) {
          // Ring-no-answer: the agent is away from the desk. Not ready first, so the withdrawn
          // contact (and any other ringing offer) goes to someone else, not back to them.
          const a = this.agents.get(t.agentId!)!;
          this.changeState(a, 'notready', now, 'rona');
          // Not declined: once the agent is back, the contact may ring them again.
          this.withdraw(t, now, 'rona', false);
          for (const tid of [...this.held.get(a.id)!]) if (this.tasks.get(tid)?.state === 'offered') this.withdraw(this.tasks.get(tid)!, now, 'rejected', false);
          this.unstick(a.id, now);
        }
        continue;
      }
      if (t.state !== 'waiting' || t.queuedAt !== tm.stamp) continue;
      if (tm.kind === 'overflow') {
        const q = this.queues.get(t.queue);
        if (q?.overflow && this.takes(q.overflow.queue)) {
          this.waiting.get(t.queue)!.remove(t);
          t.queue = q.overflow.queue;
          t.queuedAt = now;
          this.touchTask(t);
          this.decisions.push({ kind: 'requeue', taskId: t.id, queue: t.queue, reason: 'overflow' });
          this.route(t, now);
        }
        continue;
      }
      // sticky expired or a relaxation step began: more agents may now be eligible.
      this.waiting.get(t.queue)!.remove(t);
      this.route(t, now);
    }
  }

  // ---- queries ------------------------------------------------------------------------------

  position(taskId: string): number {
    const t = this.tasks.get(taskId);
    if (!t || t.state !== 'waiting') return 0;
    return this.waiting.get(t.queue)?.position(t) ?? 0;
  }

  /** Estimated wait in seconds: tasks ahead, shared among the queue's staffed agents, at the queue's handle time. */
  estimatedWaitSec(taskId: string, now: number): number {
    const t = this.tasks.get(taskId);
    if (!t || t.state !== 'waiting') return 0;
    const q = this.queues.get(t.queue)!;
    // Seats, not heads: an agent taking three chats at once clears this queue three times as fast.
    let seats = 0;
    for (const a of this.agents.values()) if (a.state !== 'offline' && meetsSkills(a, t, q, Infinity)) seats += a.capacity[t.channel] ?? 0;
    const aht = (this.aht.get(t.queue) ?? q.defaultAhtSec * 1000) / 1000;
    return Math.round((this.position(taskId) * aht) / Math.max(1, seats));
  }

  getTask(id: string): TaskSnapshot | undefined {
    return this.tasks.get(id);
  }
  getAgent(id: string): AgentSnapshot | undefined {
    return this.agents.get(id);
  }
  allAgents(): AgentSnapshot[] {
    return [...this.agents.values()];
  }
  allTasks(): TaskSnapshot[] {
    return [...this.tasks.values()];
  }
  waitingIn(queue: string): TaskSnapshot[] {
    return [...(this.waiting.get(queue)?.iterate() ?? [])];
  }
  queueIds(): string[] {
    return [...this.queues.keys()];
  }
  heldBy(agentId: string): string[] {
    return [...(this.held.get(agentId) ?? [])];
  }

  /** What changed since the last call: persist these, then announce the decisions. */
  drain(): Changes {
    const out: Changes = {
      decisions: this.decisions,
      agents: [...this.dirtyAgents].map((id) => this.agents.get(id)!).filter(Boolean),
      tasks: [...this.dirtyTasks].map((id) => this.tasks.get(id)!).filter(Boolean),
      removed: [...this.removed],
    };
    this.decisions = [];
    this.dirtyAgents.clear();
    this.dirtyTasks.clear();
    this.removed.clear();
    return out;
  }

  exportCounters(): { seq: number; assignSeq: number } {
    return { seq: this.seq, assignSeq: this.assignSeq };
  }

  exportState(): RouterState {
    return { agents: this.allAgents().map((a) => structuredClone(a)), tasks: this.allTasks().map((t) => structuredClone(t)), seq: this.seq, assignSeq: this.assignSeq };
  }

  /** Rebuild from a snapshot (queues must be defined first), then route anything routable. */
  importState(s: RouterState, now: number): void {
    this.agents.clear();
    this.tasks.clear();
    this.held.clear();
    this.index.clear();
    this.timers.clear();
    for (const w of this.waiting.values()) while (w.size) w.remove([...w.iterate(1)][0]);
    this.seq = s.seq;
    this.assignSeq = s.assignSeq;
    for (const a of s.agents) {
      const copy = structuredClone(a);
      this.agents.set(a.id, copy);
      this.held.set(a.id, new Set());
      this.index.add(copy);
      if (copy.state === 'wrapup' && copy.wrapUntil) this.timers.push({ at: copy.wrapUntil, kind: 'wrapup', id: copy.id, stamp: copy.wrapUntil });
    }
    for (const t0 of s.tasks) {
      const t = structuredClone(t0);
      if (!this.queues.has(t.queue)) continue;
      this.tasks.set(t.id, t);
      if ((t.state === 'offered' || t.state === 'assigned') && t.agentId && this.held.has(t.agentId)) {
        this.held.get(t.agentId)!.add(t.id);
        if (t.state === 'offered' && t.offerDeadline) this.timers.push({ at: t.offerDeadline, kind: 'offer', id: t.id, stamp: t.offerDeadline });
      } else if (t.state !== 'offline') {
        t.state = 'waiting';
        t.agentId = undefined;
        this.waiting.get(t.queue)!.insert(t);
        this.scheduleWaitTimers(t, now);
      }
    }
    // Loads are recomputed from what agents hold, never trusted from the snapshot.
    for (const a of this.agents.values()) {
      a.load = {};
      for (const tid of this.held.get(a.id)!) {
        const ch = this.tasks.get(tid)!.channel;
        a.load[ch] = (a.load[ch] ?? 0) + 1;
      }
      this.index.update(a);
    }
    for (const a of this.agents.values()) if (a.state === 'available') this.fill(a, now);
  }

  // ---- internals ----------------------------------------------------------------------------

  private agent(id: string): AgentSnapshot {
    const a = this.agents.get(id);
    if (!a) throw new RoutingError('unknown_agent', `unknown agent ${id}`);
    return a;
  }
  private task(id: string): TaskSnapshot {
    const t = this.tasks.get(id);
    if (!t) throw new RoutingError('unknown_task', `unknown task ${id}`);
    return t;
  }

  private afterHours(t: TaskSnapshot, q: QueueDef, now: number, seen = new Set<string>([q.id])): void {
    if (q.afterHours.action === 'overflow' && this.takes(q.afterHours.queue) && !seen.has(q.afterHours.queue)) {
      seen.add(q.afterHours.queue);
      t.queue = q.afterHours.queue;
      t.queuedAt = now;
      this.decisions.push({ kind: 'requeue', taskId: t.id, queue: t.queue, reason: 'after_hours' });
      const next = this.queues.get(t.queue)!;
      if (isOpen(next.hours, now)) return this.route(t, now);
      return this.afterHours(t, next, now, seen);
    }
    t.state = 'offline';
    this.touchTask(t);
    this.decisions.push({ kind: 'offline', taskId: t.id, queue: t.queue });
  }

  /** Find the best eligible agent for a waiting task, or put it in line. */
  private route(t: TaskSnapshot, now: number): void {
    const q = this.queues.get(t.queue)!;
    const a = this.bestAgent(t, q, now);
    if (a) return this.give(t, a, q, now);
    t.state = 'waiting';
    t.agentId = undefined;
    this.waiting.get(t.queue)!.insert(t);
    this.scheduleWaitTimers(t, now);
    this.touchTask(t);
  }

  private scheduleWaitTimers(t: TaskSnapshot, now: number): void {
    const q = this.queues.get(t.queue)!;
    // Sticky expiry and relaxation steps already passed are in effect (route just used them): a timer
    // for them would fire at once, find nobody, be scheduled again, and tick() would never return.
    const sticky = t.queuedAt + q.stickySec * 1000;
    if (t.preferredAgentId && q.stickySec > 0 && sticky > now) this.timers.push({ at: sticky, kind: 'sticky', id: t.id, stamp: t.queuedAt });
    for (const r of q.relax) if (t.queuedAt + r.afterSec * 1000 > now) this.timers.push({ at: t.queuedAt + r.afterSec * 1000, kind: 'relax', id: t.id, stamp: t.queuedAt });
    if (q.overflow) this.timers.push({ at: t.queuedAt + q.overflow.afterSec * 1000, kind: 'overflow', id: t.id, stamp: t.queuedAt });
  }

  private bestAgent(t: TaskSnapshot, q: QueueDef, now: number): AgentSnapshot | undefined {
    // Sticky: only the preferred agent while the window lasts and they are signed in.
    const pref = this.stickyAgent(t, q, now);
    if (pref) return this.eligible(pref, t, q, now) ? pref : undefined;
    let best: AgentSnapshot | undefined;
    let bestScore = -Infinity;
    const skills = skillKeys(t, q);
    const rarest = this.index.rarestSkillSet(skills);
    if (rarest === null) return undefined;
    if (rarest === this.index.ready) {
      // No skill needed: scan the ready agents.
      for (const id of rarest) {
        const a = this.agents.get(id)!;
        if (!this.eligible(a, t, q, now)) continue;
        const s = score(a, q, skills);
        if (s > bestScore) {
          best = a;
          bestScore = s;
        }
      }
      return best;
    }
    // The agents with the rarest skill, already filtered by skills (cached), in that set's order, with
    // state and room read from one bit mask (available && hasRoom(ch)): a few ns per agent, so this is
    // cheaper than eligible() over the ready set even when only a few agents are ready. Equal scores
    // go to the first in this order (profile order), whatever the size of the ready set.
    const bit = channelBit(t.channel);
    const declined = t.declinedBy.length ? t.declinedBy : null;
    for (const seat of this.qualified(t, q, now, rarest)) {
      if (!(seat.room & bit)) continue;
      const a = seat.a;
      if (declined && declined.includes(a.id)) continue;
      const s = score(a, q, skills);
      if (s > bestScore) {
        best = a;
        bestScore = s;
      }
    }
    return best;
  }

  /** The agents with the rarest skill that meet the task's skills at its current relaxation floor (cached). */
  private qualified(t: TaskSnapshot, q: QueueDef, now: number, rarest: Set<string>) {
    const floor = relaxFloor(t, q, now);
    let key = `${q.id}\u0000${floor}`;
    for (const _ in t.skills) {
      key += `\u0000${JSON.stringify(t.skills)}`;
      break;
    }
    return this.index.qualified(key, rarest, this.agents, (a) => meetsSkills(a, t, q, floor));
  }

  /** The preferred agent while the sticky window lasts, they are signed in and have not declined the task. */
  private stickyAgent(t: TaskSnapshot, q: QueueDef, now: number): AgentSnapshot | undefined {
    if (!t.preferredAgentId || now >= t.queuedAt + q.stickySec * 1000) return undefined;
    const pref = this.agents.get(t.preferredAgentId);
    // Worth waiting for only while they are at work: not on a break, not after a missed offer.
    return pref && (pref.state === 'available' || pref.state === 'wrapup') && !t.declinedBy.includes(pref.id) ? pref : undefined;
  }

  private unstick(agentId: string, now: number): void {
    for (const [qid, wl] of this.waiting) {
      const q = this.queues.get(qid)!;
      for (const t of [...wl.iterate()]) {
        if (t.preferredAgentId !== agentId || now >= t.queuedAt + q.stickySec * 1000) continue;
        wl.remove(t);
        this.route(t, now);
      }
    }
  }

  private eligible(a: AgentSnapshot, t: TaskSnapshot, q: QueueDef, now: number): boolean {
    return a.state === 'available' && hasRoom(a, t.channel) && !t.declinedBy.includes(a.id) && meetsSkills(a, t, q, relaxFloor(t, q, now));
  }

  /** A freed agent takes the best waiting task it is eligible for, while it has room. */
  private fill(a: AgentSnapshot, now: number): void {
    // The whole waiting list is scanned (a task it can take may sit behind any number it cannot), so
    // skip cheaply what cannot match: an agent with no room, a queue whose own skills it lacks.
    while (a.state === 'available' && this.index.ready.has(a.id)) {
      let best: TaskSnapshot | undefined;
      for (const [qid, wl] of this.waiting) {
        const q = this.queues.get(qid)!;
        if (!wl.size || !mayServe(a, q)) continue;
        for (const t of wl.iterate()) {
          if (best && !beforeTask(t, best)) break;
          const pref = this.stickyAgent(t, q, now);
          if (pref && pref !== a) continue;
          if (this.eligible(a, t, q, now)) {
            best = t;
            break;
          }
        }
      }
      if (!best) return;
      this.waiting.get(best.queue)!.remove(best);
      this.give(best, a, this.queues.get(best.queue)!, now);
    }
  }

  /** Offer (or, for auto-accepted channels, assign) a task to an agent; capacity is reserved either way. */
  private give(t: TaskSnapshot, a: AgentSnapshot, q: QueueDef, now: number): void {
    this.hold(t, a);
    t.heldAt = now;
    a.lastAssignedSeq = ++this.assignSeq;
    a.lastRoutedAt = now;
    if (t.channel !== 'voice' && q.autoAccept.includes(t.channel)) {
      t.state = 'assigned';
      this.assigned(t, a.id, now);
    } else {
      t.state = 'offered';
      t.offerDeadline = now + q.offerTimeoutSec * 1000;
      this.timers.push({ at: t.offerDeadline, kind: 'offer', id: t.id, stamp: t.offerDeadline });
      this.decisions.push({ kind: 'offer', taskId: t.id, agentId: a.id, deadline: t.offerDeadline });
    }
    this.touchTask(t);
  }

  /** Take an offered/assigned task back from its agent and put it at the head of its queue (it keeps its age). */
  private withdraw(t: TaskSnapshot, now: number, reason: 'rejected' | 'rona' | 'agent_logout', decline: boolean): void {
    const agentId = t.agentId;
    this.unhold(t);
    if (decline && agentId && !t.declinedBy.includes(agentId)) t.declinedBy.push(agentId);
    t.state = 'waiting';
    t.offerDeadline = undefined;
    this.decisions.push({ kind: 'requeue', taskId: t.id, queue: t.queue, reason, fromAgentId: agentId });
    this.route(t, now);
    if (agentId) {
      const a = this.agents.get(agentId);
      if (a?.state === 'available') this.fill(a, now);
    }
  }

  private hold(t: TaskSnapshot, a: AgentSnapshot): void {
    t.agentId = a.id;
    this.held.get(a.id)!.add(t.id);
    a.load[t.channel] = (a.load[t.channel] ?? 0) + 1;
    this.touchAgent(a);
  }

  private unhold(t: TaskSnapshot): void {
    if (!t.agentId) return;
    const a = this.agents.get(t.agentId);
    t.agentId = undefined;
    if (!a) return;
    if (this.held.get(a.id)!.delete(t.id)) a.load[t.channel] = Math.max(0, (a.load[t.channel] ?? 0) - 1);
    this.touchAgent(a);
  }

  private touchAgent(a: AgentSnapshot): void {
    this.index.update(a);
    this.dirtyAgents.add(a.id);
  }
  private touchTask(t: TaskSnapshot): void {
    this.dirtyTasks.add(t.id);
  }
}
