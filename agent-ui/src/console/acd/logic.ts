// Pure ACD helpers for the console (unit-tested in logic.spec.ts): stale agent states, offer
// countdowns and expiry, server clock skew, durations, agent ordering and a throttle.
import { time } from '../stores/logic';
import type { AgentDisplay, AgentView, Channel, Offer } from '../../types';

/**
 * Whether an agent state from the hub (event or HTTP answer) replaces what we hold. The hub stamps a
 * view with the time it was made, not the time of the state, so an HTTP answer read from a snapshot
 * just before a change can carry a later stamp than the change's event. Hence: a different `since`
 * (when the state itself changed) decides first — the later state wins; within one state the later
 * stamp wins (load changes), equal stamps are accepted (idempotent). `stamp` is the event's
 * updatedAt, else the view's own.
 */
export function acceptAgent(current: Pick<AgentView, 'updatedAt' | 'since'> | null | undefined, incoming: AgentView, stamp?: string): boolean {
  if (!current) return true;
  const cs = time(current.since ?? undefined);
  const is = time(incoming.since ?? undefined);
  if (cs && is && cs !== is) return is > cs;
  if (!current.updatedAt) return true;
  return time(stamp ?? incoming.updatedAt) >= time(current.updatedAt);
}

/** Server clock minus ours, from a stamp the hub made "now" (agent.state, offer.created, GET /api/acd/me). */
export function clockSkew(serverNow: string | undefined, localNow: number): number {
  const t = time(serverNow);
  return t ? t - localNow : 0;
}

/** An offer with its deadline on our clock, and when we learnt of it. */
export interface LocalOffer extends Offer { localDeadline: number; receivedAt: number }

export function toLocalOffer(o: Offer, skewMs: number, now: number): LocalOffer {
  return { ...o, localDeadline: time(o.deadline) - skewMs, receivedAt: now };
}

/** Whole seconds left until `deadline` (ms on our clock), never negative; 0 means expired. */
export function remainingSec(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** Insert or replace by conversation id; the most urgent first. */
export function upsertOffer(list: LocalOffer[], o: LocalOffer): LocalOffer[] {
  return [...list.filter((x) => x.conversation.id !== o.conversation.id), o].sort((a, b) => a.localDeadline - b.localDeadline);
}

/** Offers whose deadline has not passed (the hub withdraws the others: ring-no-answer). */
export function liveOffers(list: LocalOffer[], now: number): LocalOffer[] {
  const live = list.filter((o) => o.localDeadline > now);
  return live.length === list.length ? list : live;
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds since an ISO stamp (on the hub's clock), or null when unknown. */
export function secondsSince(iso: string | null | undefined, now: number, skewMs = 0): number | null {
  const t = time(iso ?? undefined);
  return t ? Math.max(0, Math.floor((now + skewMs - t) / 1000)) : null;
}

const RANK: Record<AgentDisplay, number> = { available: 0, busy: 1, wrapup: 2, notready: 3, offline: 4 };
/** Supervisor's agent table: signed-in agents first (available, busy, wrap-up, not ready), then offline; by name. */
export function byStateThenName(a: Pick<AgentView, 'display' | 'name'>, b: Pick<AgentView, 'display' | 'name'>): number {
  return (RANK[a.display] ?? 9) - (RANK[b.display] ?? 9) || a.name.localeCompare(b.name);
}

/** Channels with capacity or load, as { channel, load, capacity }, in a fixed order. */
const ORDER: Channel[] = ['voice', 'webchat', 'email', 'sms', 'fax'];
export function loadRows(a: Pick<AgentView, 'load' | 'capacity'>): { channel: Channel; load: number; capacity: number }[] {
  return ORDER.filter((c) => (a.capacity[c] ?? 0) > 0 || (a.load[c] ?? 0) > 0)
    .map((channel) => ({ channel, load: a.load[channel] ?? 0, capacity: a.capacity[channel] ?? 0 }));
}

/**
 * At most one call per `ms`: the first call runs at once, calls during the wait collapse into one
 * trailing call at the end of it. `cancel()` drops a pending trailing call.
 */
export function throttle(fn: () => void, ms: number, clock: { now: () => number; set: typeof setTimeout; clear: typeof clearTimeout } =
  { now: () => Date.now(), set: setTimeout, clear: clearTimeout }) {
  // called unbound: a browser's setTimeout throws "Illegal invocation" when called as clock.set(...)
  const { now, set, clear } = clock;
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => { timer = null; last = now(); fn(); };
  const call = () => {
    if (timer) return;
    const wait = last + ms - now();
    if (wait <= 0) run();
    else timer = set(run, wait);
  };
  call.cancel = () => { if (timer) clear(timer); timer = null; };
  return call;
}
