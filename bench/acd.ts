/**
 * `npm run bench:acd`: routing decisions per second and decision latency of the ACD (hub/acd) against
 * a naive database-per-decision baseline, in one run on this machine. See bench/README.md.
 *
 *   one run = embedded services (PostgreSQL + the MongoDB-compatible store + redis-server in a temp
 *   dir; or MONGODB_URI / REDIS_URL) → "ours" (AcdService) → "ours in-process" → "baseline" → table.
 *
 * Population (seeded, identical for every system): 1,000 agents, 20 skills (each agent one language
 * and 1-3 product/service skills = 2-4 skills, proficiency 1-10), capacity webchat 3, email 5, sms 3
 * and (70% of agents) voice 1 — a voice call blocks new contacts of any channel. 20 queues, each
 * requiring a language and mostly a product skill with a minimum proficiency (hub/acd/bridge.ts
 * queueDef(), so also queue membership), strategies mixed (longest idle, least occupied, most
 * skilled, round robin). Conversations: webchat 45%, email 25%, voice 20%, sms 10%; priority 0/1/5;
 * queue chosen in proportion to the agents able to serve it.
 *
 * Load: 10,000 conversations arriving in bursts of 500-2,000 — inside a burst a Poisson stream at
 * --burst-rate (6,000/s) — 1-2.5 s apart; then, once every earlier conversation has ended, a flood:
 * the last 2,000 issued at one instant. Agents finish at random: every assignment is released after
 * a random handle time (webchat 1-5 s, email 0.5-4 s, sms 0.5-3 s, voice 1-4 s after answering);
 * voice is offered and answered after 0.1-0.5 s, then 0.2-1 s of wrap-up ended by the agent. The
 * baseline gets the same shape scaled to --baseline-conversations (200: bursts of 10-40, flood 40).
 * A warm-up (not measured) runs first; ours also measures its floor: --floor arrivals one at a time.
 *
 * Latency of one event (an arrival, a release = agent free, an end of wrap-up = agent free): from
 * the moment it is issued to the moment its outcome is stored — for an arrival that finds an agent,
 * the assignment; for one that must wait, its place in line; for an agent-free event, the assignment
 * of the waiting conversation it takes (or the free state).
 *
 *  (a) ours: the real AcdService (hub/acd/service.ts) in this process, effects that only record the
 *      decisions (no MongoDB write-behind: we measure routing). A worker thread with its own Redis
 *      connection XADDs each command when due (as the other hub processes would) and reports the
 *      entry id and the moment it issued it; the leader's router decides and the changes are
 *      persisted by the fenced Lua script (hub/acd/store.ts). "Stored" = the first persist whose
 *      stream cursor covers the entry resolved (AcdStore.persist is wrapped on the instance to log
 *      that with performance.now(); AcdOptions.onLatency — whole ms — is kept as a cross-check).
 *  (a') ours in-process: the same Router and fenced persist (one per turn, pipelined, ≤ 8 in flight)
 *      with the commands applied in this thread when due — no stream: what the stream costs.
 *  (b) baseline: agents and conversations as documents in the embedded store. An arrival inserts its
 *      conversation, finds one available agent with the queue's skills and room on the channel
 *      (sorted by lastFreeAt), claims it with a conditional findOneAndUpdate ($inc load where room is
 *      left) and marks the conversation assigned (a lost race retries or gives the slot back). An
 *      agent-free event frees the slot and takes the best waiting conversation it can (priority, then
 *      age) the same way, while it has room. Events run --baseline-concurrency at a time.
 * Decisions = 'offer' + 'assign' decisions that place a conversation (the 'assign' that follows an
 * answered voice offer is counted apart).
 *
 * decisions/s: in the burst row, decisions stored while a burst was being handled (from its first
 * arrival to the last of its events stored) over those windows — for a system that keeps up this is
 * the offered rate, for one that does not it is its capacity; in the flood row, decisions stored from
 * the flood until the last flood arrival was stored (capacity).
 *
 * Options (argv `--name=value` or env BENCH_NAME): --conversations=10000 --baseline-conversations=200
 *   --burst-rate=6000 --warmup=500 --floor=1000 --seed=42 --baseline-concurrency=8
 *   --only=ours|baseline --ours=stream,direct --wait-quiet=10 (s to wait for other processes to
 *   calm down before each system) --breakdown=1 (time router calls, persists, stream reads)
 *   --sender=worker|inline --sender-pipeline=0|1 --dump=FILE (every measured event, for analysis).
 *   BENCH_ACD_SERVICE=/path/service.ts measures another AcdService implementation (a proposed change).
 * Exit code 0 unless an invariant broke (a conversation on two agents, an agent over capacity, state in
 * Redis or MongoDB disagreeing with what was decided, a conversation of ours left waiting) or a
 * system failed; missed targets only print "MISSED". Talks only to 127.0.0.1; everything started is
 * stopped and the temp dir removed, also on SIGINT/SIGTERM and on the watchdog.
 */
import { cleanupRegistry, runBench, withTimeout } from './harness.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { pino } from 'pino';
import { queueDef } from '../hub/acd/bridge.js';
import type { AcdCommand, Envelope } from '../hub/acd/events.js';
import { Router } from '../hub/acd/router.js';
import { AcdService } from '../hub/acd/service.js';
import { AcdStore } from '../hub/acd/store.js';
import { RoutingError, type AgentProfile, type Decision, type QueueDef, type Strategy } from '../hub/acd/types.js';
import type { Channel } from '../hub/models/types.js';
import { startEmbedded, type Embedded } from '../scripts/embedded.js';
import { MinHeap } from '../hub/acd/timer-heap.js';

// ---------------------------------------------------------------------------------------------
// options

function option(name: string, def: string): string {
  const flag = `--${name}=`;
  const a = process.argv.find((x) => x.startsWith(flag));
  if (a) return a.slice(flag.length);
  const env = process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  return env !== undefined && env !== '' ? env : def;
}
function numOption(name: string, def: number, min: number): number {
  const v = Number(option(name, String(def)));
  if (!Number.isFinite(v) || v < min) {
    console.error(`bench: --${name} must be a number >= ${min}`);
    process.exit(2);
  }
  return v;
}

const N_OURS = Math.floor(numOption('conversations', 10_000, 100));
const N_BASE = Math.floor(numOption('baseline-conversations', 200, 0));
const BURST_RATE = numOption('burst-rate', 6_000, 1);
const WARMUP = Math.floor(numOption('warmup', 500, 0));
/** Lead between scheduling a phase's arrivals and the first of them being due. */
const PHASE_LEAD_MS = 250;
const SEED = Math.floor(numOption('seed', 42, 0));
const BASE_CONCURRENCY = Math.floor(numOption('baseline-concurrency', 8, 1));
/** Before measuring a system, wait up to this long for the machine to be quiet (other processes under 25% of it). */
const WAIT_QUIET_S = numOption('wait-quiet', 10, 0);
const ONLY = option('only', '');
const BREAKDOWN = option('breakdown', '1') !== '0';
/** Debug: write every measured event (due time, kind, latency, persist index) to this file. */
const DUMP = option('dump', '');
/** Which variants of ours: the AcdService path (stream) and/or the router + fenced persist in this thread (direct). */
const OURS_MODES = option('ours', 'stream,direct')
  .split(',')
  .map((m) => m.trim())
  .filter((m): m is 'stream' | 'direct' => m === 'stream' || m === 'direct');
/** Who XADDs the commands: a worker thread (default) or the leader's own thread. */
const SENDER = option('sender', 'worker');
/** Arrivals sent one at a time before the bursts, for the path's floor latency (0: none). */
const FLOOR_N = Math.floor(numOption('floor', 1000, 0));
/** The sender thread writes the commands it issues in one timer turn together (ioredis auto-pipelining). */
const SENDER_PIPELINE = option('sender-pipeline', '0') === '1';
const N_AGENTS = 1_000;
const TARGET_RATE = 5_000;
const TARGET_P99_MS = 2;
/** Hard limits per system (the whole run should stay under ~3 minutes). */
const OURS_BUDGET_MS = 80_000;
const BASE_BUDGET_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// clean-up: everything started registers here; run once, bounded

const { cleanups, cleanup } = cleanupRegistry();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// the population and the load (seeded)

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const int = (rng: Rng, lo: number, hi: number) => Math.floor(uniform(rng, lo, hi + 1));
function weighted<T>(rng: Rng, items: [T, number][]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [v, w] of items) if ((x -= w) < 0) return v;
  return items[items.length - 1][0];
}

const LANGS: [string, number][] = [
  ['lang:en', 50],
  ['lang:zh', 25],
  ['lang:yue', 15],
  ['lang:ms', 6],
  ['lang:ta', 4],
];
const TOPICS: [string, number][] = [
  'prod:cards',
  'prod:loans',
  'prod:mortgage',
  'prod:wealth',
  'prod:corporate',
  'prod:fx',
  'prod:insurance',
  'prod:savings',
  'prod:payments',
  'svc:fraud',
  'svc:digital',
  'svc:complaints',
  'svc:retention',
  'svc:collections',
  'svc:vip',
].map((s, i) => [s, 15 - i * 0.8] as [string, number]);
const STRATEGIES: Strategy[] = ['longest-idle', 'least-occupied', 'most-skilled', 'round-robin'];
const CHANNEL_MIX: [Channel, number][] = [
  ['webchat', 45],
  ['email', 25],
  ['voice', 20],
  ['sms', 10],
];
const PRIORITY_MIX: [number, number][] = [
  [0, 80],
  [1, 15],
  [5, 5],
];
/** Handle time (s) after assignment (voice: after answering). */
const HANDLE_S: Record<string, [number, number]> = { webchat: [1, 5], email: [0.5, 4], sms: [0.5, 3], voice: [1, 4] };
const RING_S: [number, number] = [0.1, 0.5];
const WRAP_S: [number, number] = [0.2, 1];

interface Population {
  agents: AgentProfile[];
  queues: QueueDef[];
  /** Queues (ids) each agent can serve at full proficiency: the baseline's fill query. */
  eligibleQueues: Map<string, string[]>;
  weights: [string, number][];
}

function population(rng: Rng): Population {
  const base: { id: string; skills: Record<string, number>; capacity: Partial<Record<Channel, number>> }[] = [];
  for (let i = 0; i < N_AGENTS; i++) {
    const skills: Record<string, number> = { [weighted(rng, LANGS)]: int(rng, 1, 10) };
    const topics = int(rng, 1, 3);
    while (Object.keys(skills).length < 1 + topics) skills[weighted(rng, TOPICS)] = int(rng, 1, 10);
    const capacity: Partial<Record<Channel, number>> = { webchat: 3, email: 5, sms: 3 };
    if (rng() < 0.7) capacity.voice = 1;
    base.push({ id: `agent${String(i).padStart(4, '0')}`, skills, capacity });
  }
  const queues: QueueDef[] = [];
  const weights: [string, number][] = [];
  const meets = (skills: Record<string, number>, req: Record<string, number>) => Object.entries(req).every(([s, min]) => (skills[s] ?? 0) >= min);
  const has = (skills: Record<string, number>, req: Record<string, number>) => Object.keys(req).every((s) => s in skills);
  const seen = new Set<string>();
  while (queues.length < 20) {
    const req: Record<string, number> = { [weighted(rng, LANGS)]: 1 };
    if (rng() < 0.75) req[weighted(rng, TOPICS)] = int(rng, 1, 5);
    const key = Object.keys(req).sort().join('+');
    const able = base.filter((a) => meets(a.skills, req)).length;
    if (seen.has(key) || able < 25) continue;
    seen.add(key);
    const id = `q${String(queues.length).padStart(2, '0')}`;
    const [lang, ...topic] = Object.keys(req);
    queues.push(
      queueDef(id, [lang], {
        skills: Object.fromEntries(topic.map((t) => [t, req[t]])),
        strategy: STRATEGIES[queues.length % STRATEGIES.length],
        // Ended by the agent (wrapup.end) well before this.
        wrapUpSec: 60,
        offerTimeoutSec: 30,
        stickySec: 0,
      }),
    );
    weights.push([id, able]);
  }
  // Membership (the q:<id> skill queueDef requires) for every queue whose skills the agent has at
  // any proficiency; the queue's minimum proficiency then filters (as in the hub, where membership
  // comes from the user's queues and proficiency from their profile).
  const agents: AgentProfile[] = [];
  const eligibleQueues = new Map<string, string[]>();
  for (const a of base) {
    const skills = { ...a.skills };
    const elig: string[] = [];
    for (const q of queues) {
      const own = Object.fromEntries(Object.entries(q.skills).filter(([s]) => !s.startsWith('q:')));
      if (has(a.skills, own)) skills[`q:${q.id}`] = 10;
      if (meets(a.skills, own)) elig.push(q.id);
    }
    agents.push({ id: a.id, name: a.id, skills, capacity: a.capacity });
    eligibleQueues.set(a.id, elig);
  }
  return { agents, queues, eligibleQueues, weights };
}

interface Conv {
  id: string;
  queue: string;
  channel: Channel;
  priority: number;
  /** Due time, ms from the start of the phase. */
  at: number;
  handleMs: number;
  ringMs: number;
  wrapMs: number;
  /** 'warmup' (not measured), 'burst' (burst index in `burst`), 'flood'. */
  row: 'warmup' | 'burst' | 'flood';
  burst: number;
}

interface Plan {
  warmup: Conv[];
  bursts: Conv[][];
  flood: Conv[];
}

/** N conversations: bursts of [lo, hi] at BURST_RATE with gaps, then a flood of `flood` at one instant. */
function plan(rng: Rng, pop: Population, prefix: string, n: number, scale: number, warmup: number): Plan {
  let seq = 0;
  const conv = (at: number, row: Conv['row'], burst: number, fast = false): Conv => {
    const channel = weighted(rng, CHANNEL_MIX);
    const [lo, hi] = HANDLE_S[channel];
    return {
      id: `${prefix}-${String(seq++).padStart(6, '0')}`,
      queue: weighted(rng, pop.weights),
      channel,
      priority: weighted(rng, PRIORITY_MIX),
      at,
      handleMs: fast ? uniform(rng, 200, 1000) : uniform(rng, lo, hi) * 1000,
      ringMs: uniform(rng, ...RING_S) * 1000,
      wrapMs: uniform(rng, ...WRAP_S) * 1000,
      row,
      burst,
    };
  };
  const poisson = (start: number, count: number, row: Conv['row'], burst: number, fast = false) => {
    const out: Conv[] = [];
    let t = start;
    for (let i = 0; i < count; i++) {
      out.push(conv(t, row, burst, fast));
      t += (-Math.log(1 - rng()) / BURST_RATE) * 1000;
    }
    return out;
  };
  const floodN = Math.min(n, Math.round(2000 * scale));
  let left = n - floodN;
  const bursts: Conv[][] = [];
  let t = 0;
  const lo = Math.max(1, Math.round(500 * scale));
  const hi = Math.max(lo, Math.round(2000 * scale));
  while (left > 0) {
    let size = Math.min(left, int(rng, lo, hi));
    if (left - size < lo) size = left; // no runt burst at the end
    const b = poisson(t, size, 'burst', bursts.length);
    bursts.push(b);
    left -= size;
    t = b[b.length - 1].at + uniform(rng, 1000, 2500);
  }
  return { warmup: poisson(0, warmup, 'warmup', -1, true), bursts, flood: Array.from({ length: floodN }, () => conv(0, 'flood', -1)) };
}

// ---------------------------------------------------------------------------------------------
// scheduling: a min-heap of due events, pumped from the event loop

interface Ev {
  at: number;
  kind: 'arrive' | 'release' | 'accept' | 'wrapup' | 'profile';
  conv?: Conv;
  agentId?: string;
  /** Stream entry id (ours), and as a number (streamKey). */
  id?: string;
  key?: number;
  /** Latency row, or null when not measured (warm-up, accepts). */
  row: 'burst' | 'flood' | null;
  burst: number;
}

/** Events by due time, first pushed first among equals. */
/** Issues every event when due (timer driven: within about a millisecond of its time). */
class Pump {
  readonly heap = new MinHeap<Ev>((a, b) => a.at < b.at);
  private stopped = false;
  private timer?: NodeJS.Timeout;
  constructor(private readonly issue: (e: Ev) => void) {}
  push(e: Ev): void {
    this.heap.push(e);
  }
  start(): void {
    this.stopped = false;
    this.turn();
  }
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
  private turn = (): void => {
    if (this.stopped) return;
    const now = performance.now();
    for (let e = this.heap.peek(); e && e.at <= now; e = this.heap.peek()) this.issue(this.heap.pop()!);
    const next = this.heap.peek();
    this.timer = setTimeout(this.turn, Math.max(0, Math.min(next ? next.at - performance.now() : 5, 5)));
  };
}

/**
 * Ours: the commands are XADDed by a worker thread with its own Redis connection (like the other hub
 * processes that publish to the stream), so the load generator does not share the leader's event
 * loop. It issues each command when due (timer driven), and reports every entry's id with the time
 * it was issued (this thread's performance.now() scale); latency counts from that moment.
 */
const SENDER_SRC = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { Redis } = require('ioredis');
const { redisUrl, key, mainOrigin } = workerData;
const shift = mainOrigin - performance.timeOrigin; // main-thread time + shift = this thread's time
const r = new Redis(redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: workerData.pipeline });
const h = [];
const less = (a, b) => a.at < b.at || (a.at === b.at && a.i < b.i);
function push(e) { h.push(e); let i = h.length - 1; while (i > 0) { const p = (i - 1) >> 1; if (!less(h[i], h[p])) break; [h[p], h[i]] = [h[i], h[p]]; i = p; } }
function pop() { const top = h[0]; const last = h.pop(); if (h.length) { h[0] = last; let i = 0; for (;;) { const l = 2 * i + 1, rr = l + 1; let m = i; if (l < h.length && less(h[l], h[m])) m = l; if (rr < h.length && less(h[rr], h[m])) m = rr; if (m === i) break; [h[m], h[i]] = [h[i], h[m]]; i = m; } } return top; }
let timer = null, stopped = false, out = [], flushing = false;
function flush() { flushing = false; if (out.length) { parentPort.postMessage({ type: 'ids', ids: out }); out = []; } }
function issue(e) {
  const issued = performance.now() - shift;
  r.xadd(key, 'MAXLEN', '~', '200000', '*', 'e', JSON.stringify({ cmd: e.cmd, at: Date.now() })).then(
    (id) => { out.push([e.i, id, issued]); if (!flushing) { flushing = true; setTimeout(flush, 1); } },
    (err) => parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) }),
  );
}
function turn() { timer = null; const now = performance.now() - shift; while (h.length && h[0].at <= now) issue(pop()); schedule(); }
function schedule() { if (stopped || timer || !h.length) return; timer = setTimeout(turn, Math.max(0, h[0].at - (performance.now() - shift))); }
parentPort.on('message', (m) => {
  if (m.type === 'events') { for (const e of m.evs) push(e); if (timer) { clearTimeout(timer); timer = null; } schedule(); }
  else if (m.type === 'stop') { stopped = true; if (timer) clearTimeout(timer); flush(); r.quit().catch(() => {}).finally(() => parentPort.close()); }
});
r.ping().then(() => parentPort.postMessage({ type: 'ready' }), (err) => parentPort.postMessage({ type: 'error', message: String(err.message) }));
`;

interface CommandSender {
  posted: number;
  acked: number;
  onIssued: (e: Ev) => void;
  onBatch: () => void;
  onError: (m: string) => void;
  start(): Promise<void>;
  send(cmd: AcdCommand, e: Ev): void;
  stop(): Promise<void>;
}

/** The same, in this thread (--sender=inline): one more user of the leader's event loop. */
class InlineSender implements CommandSender {
  posted = 0;
  acked = 0;
  onIssued: (e: Ev) => void = () => undefined;
  onBatch: () => void = () => undefined;
  onError: (m: string) => void = () => undefined;
  private r: Redis;
  private pump: Pump;
  private cmds = new Map<Ev, AcdCommand>();
  private batchQueued = false;
  constructor(redisUrl: string, key: string) {
    this.r = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    this.pump = new Pump((e) => {
      const cmd = this.cmds.get(e)!;
      this.cmds.delete(e);
      const issued = performance.now();
      this.r.xadd(key, 'MAXLEN', '~', '200000', '*', 'e', JSON.stringify({ cmd, at: Date.now() })).then(
        (id) => {
          e.id = id!;
          e.key = streamKey(id!);
          e.at = issued;
          this.acked++;
          this.onIssued(e);
          if (!this.batchQueued) {
            this.batchQueued = true;
            queueMicrotask(() => {
              this.batchQueued = false;
              this.onBatch();
            });
          }
        },
        (err) => this.onError((err as Error).message),
      );
    });
  }
  async start(): Promise<void> {
    await this.r.ping();
    this.pump.start();
  }
  send(cmd: AcdCommand, e: Ev): void {
    this.posted++;
    this.cmds.set(e, cmd);
    this.pump.push(e);
  }
  async stop(): Promise<void> {
    this.pump.stop();
    this.r.disconnect();
  }
}

class Sender implements CommandSender {
  posted = 0;
  acked = 0;
  onIssued: (e: Ev) => void = () => undefined;
  onBatch: () => void = () => undefined;
  onError: (m: string) => void = () => undefined;
  private evs: Ev[] = [];
  private outbox: { i: number; at: number; cmd: AcdCommand }[] = [];
  private w: Worker;
  private ready: Promise<void>;
  private exited: Promise<void>;
  constructor(redisUrl: string, key: string) {
    this.w = new Worker(SENDER_SRC, { eval: true, workerData: { redisUrl, key, mainOrigin: performance.timeOrigin, pipeline: SENDER_PIPELINE } });
    this.exited = new Promise((res) => this.w.once('exit', () => res()));
    this.ready = new Promise((res, rej) => {
      this.w.on('message', (m: { type: string; ids?: [number, string, number][]; message?: string }) => {
        if (m.type === 'ready') res();
        else if (m.type === 'error') {
          this.onError(m.message ?? '?');
          rej(new Error(m.message));
        } else if (m.type === 'ids') {
          for (const [i, id, issued] of m.ids!) {
            const e = this.evs[i];
            this.evs[i] = undefined as unknown as Ev;
            e.id = id;
            e.key = streamKey(id);
            e.at = issued;
            this.acked++;
            this.onIssued(e);
          }
          this.onBatch();
        }
      });
      this.w.once('error', (err: Error) => {
        this.onError(err.message);
        rej(err);
      });
    });
  }
  start(): Promise<void> {
    return withTimeout(this.ready, 10_000, 'sender thread');
  }
  /** Issue at e.at (this thread's performance.now()); posted to the thread once per microtask. */
  send(cmd: AcdCommand, e: Ev): void {
    const i = this.evs.length;
    this.evs.push(e);
    this.posted++;
    // Posted every millisecond at most (what is sent later than now is due 100 ms or more ahead).
    if (!this.outbox.length) setTimeout(() => this.flush(), e.at - performance.now() > 50 ? 1 : 0);
    this.outbox.push({ i, at: e.at, cmd });
  }
  private flush(): void {
    if (!this.outbox.length) return;
    this.w.postMessage({ type: 'events', evs: this.outbox });
    this.outbox = [];
  }
  private stopping?: Promise<void>;
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      this.w.postMessage({ type: 'stop' });
      await Promise.race([this.exited, sleep(3000)]);
      await this.w.terminate();
    })());
  }
}

// ---------------------------------------------------------------------------------------------
// measurements

/**
 * How much of the machine we had: CPU time of this process and of the redis-server (from /proc),
 * of everything else on the machine, steal, and the time our threads and Redis's waited for a CPU
 * (schedstat run-queue delay). The machine is shared; these say how far other work skewed a run.
 */
class Machine {
  private redisPid = 0;
  constructor(redisUrl: string) {
    const port = /:(\d+)\/?$/.exec(redisUrl)?.[1];
    try {
      for (const d of readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        if (cmd.some((a) => a.includes('redis-server')) && (cmd.includes(String(port)) || cmd.some((a) => a.endsWith(`:${port}`)))) {
          this.redisPid = Number(d);
          break;
        }
      }
    } catch {
      /* not Linux: no figures */
    }
  }
  snap() {
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const hz = 100;
    const cpu = read('/proc/stat').split('\n')[0].split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = ((cpu[0] ?? 0) + (cpu[1] ?? 0) + (cpu[2] ?? 0) + (cpu[5] ?? 0) + (cpu[6] ?? 0)) / hz;
    const steal = (cpu[7] ?? 0) / hz;
    const procCpu = (pid: number | 'self') => {
      const f = read(`/proc/${pid}/stat`);
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(rest[11] ?? 0) + Number(rest[12] ?? 0)) / hz;
    };
    const waitMs = (pid: number | 'self') => {
      let sum = 0;
      try {
        for (const t of readdirSync(`/proc/${pid}/task`)) sum += Number(read(`/proc/${pid}/task/${t}/schedstat`).split(' ')[1] ?? 0) / 1e6;
      } catch {
        /* gone */
      }
      return sum;
    };
    const threads = new Map<string, number>();
    try {
      for (const t of readdirSync('/proc/self/task')) {
        const f = read(`/proc/self/task/${t}/stat`);
        const name = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'));
        const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
        threads.set(`${t}:${name}`, (Number(rest[11] ?? 0) + Number(rest[12] ?? 0)) / hz);
      }
    } catch {
      /* not Linux */
    }
    return { t: performance.now(), busy, steal, ours: procCpu('self'), redis: this.redisPid ? procCpu(this.redisPid) : 0, oursWait: waitMs('self'), redisWait: this.redisPid ? waitMs(this.redisPid) : 0, threads };
  }
  /** Wait (up to maxS) until everything but us and Redis uses under a quarter of the machine for a second; returns that share. */
  async waitQuiet(maxS: number, label: string): Promise<number> {
    const end = performance.now() + maxS * 1000;
    let waited = false;
    for (;;) {
      const a = this.snap();
      await sleep(1000);
      const b = this.snap();
      const wall = (b.t - a.t) / 1000;
      const other = Math.max(0, b.busy - a.busy - (b.ours - a.ours) - (b.redis - a.redis)) / (wall * cpus().length);
      if (other < 0.25 || performance.now() > end) {
        console.error(`bench: ${label}: other processes use ${(other * 100).toFixed(0)}% of the machine${other >= 0.25 ? ` — still busy after ${maxS} s, measuring anyway` : waited ? ' (waited for it to calm down)' : ''}`);
        return other;
      }
      if (!waited) console.error(`bench: ${label}: other processes use ${(other * 100).toFixed(0)}% of the machine; waiting up to ${maxS} s for it to calm down`);
      waited = true;
    }
  }
  describe(a: ReturnType<Machine['snap']>, b: ReturnType<Machine['snap']>): string {
    const wall = (b.t - a.t) / 1000;
    const d = (k: Exclude<keyof typeof a, 'threads'>) => b[k] - a[k];
    const byThread = [...b.threads]
      .map(([k, v]) => [k.replace(/^\d+:/, ''), v - (a.threads.get(k) ?? 0)] as const)
      .filter(([, v]) => v >= 0.1)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ');
    const other = Math.max(0, d('busy') - d('ours') - d('redis'));
    return (
      `machine during the measured ${wall.toFixed(1)} s (${cpus().length} cores = ${(wall * cpus().length).toFixed(0)} CPU-s): this process ${d('ours').toFixed(1)} CPU-s (${byThread}), redis-server ${d('redis').toFixed(1)}, ` +
      `other processes ${other.toFixed(1)}, steal ${d('steal').toFixed(1)}; waiting for a CPU: our threads ${d('oursWait').toFixed(0)} ms, redis ${d('redisWait').toFixed(0)} ms`
    );
  }
}

function pct(sorted: Float64Array | number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface RowResult {
  label: string;
  conversations: number;
  events: number;
  decisions: number;
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

class Recorder {
  /** Latencies per row. */
  lat: Record<'burst' | 'flood', number[]> = { burst: [], flood: [] };
  /** Store time of each placement decision. */
  decisionAt: number[] = [];
  /** Placements of burst / flood conversations. */
  placed = { burst: 0, flood: 0 };
  /** Per burst: first due time, last due time of an arrival, latest store time of an event due inside. */
  burstWin = new Map<number, { start: number; lastDue: number; end: number }>();
  flood = { start: NaN, end: NaN, decisions: 0 };
  errors: string[] = [];

  event(e: Ev, storedAt: number): void {
    if (!e.row) return;
    this.lat[e.row].push(storedAt - e.at);
    if (e.row === 'flood') this.flood.end = Math.max(this.flood.end || 0, storedAt);
  }

  /** Attribute events to burst windows once everything is in (events due inside a burst's span). */
  windows(events: { at: number; stored: number }[]): void {
    const wins = [...this.burstWin.values()].sort((a, b) => a.start - b.start);
    for (const e of events) {
      for (const w of wins) if (e.at >= w.start && e.at <= w.lastDue && e.stored > w.end) w.end = e.stored;
    }
  }

  rows(label: string, conversations: { burst: number; flood: number }): RowResult[] {
    const wins = [...this.burstWin.values()].sort((a, b) => a.start - b.start);
    // Union of windows (they do not overlap unless a system falls behind by a whole gap).
    let span = 0;
    let dec = 0;
    let lastEnd = -Infinity;
    for (const w of wins) {
      const s = Math.max(w.start, lastEnd);
      if (w.end > s) span += w.end - s;
      lastEnd = Math.max(lastEnd, w.end);
    }
    for (const t of this.decisionAt) if (wins.some((w) => t >= w.start && t <= w.end)) dec++;
    const fl = this.decisionAt.filter((t) => t >= this.flood.start && t <= this.flood.end).length;
    const mk = (row: 'burst' | 'flood', name: string, conv: number, decisions: number, rate: number): RowResult => {
      const s = Float64Array.from(this.lat[row]).sort();
      return { label: `${label}, ${name}`, conversations: conv, events: s.length, decisions, rate, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s.length ? s[s.length - 1] : NaN };
    };
    const out = [mk('burst', `${wins.length} bursts`, conversations.burst, this.placed.burst, span > 0 ? (dec / span) * 1000 : NaN)];
    if (conversations.flood) out.push(mk('flood', 'flood', conversations.flood, this.placed.flood, this.flood.end > this.flood.start ? (fl / (this.flood.end - this.flood.start)) * 1000 : NaN));
    return out;
  }
}

/** Bench-side bookkeeping of what was decided: who holds what, per channel, against capacity. */
class Holdings {
  holder = new Map<string, string>();
  load = new Map<string, Record<string, number>>();
  violations: string[] = [];
  constructor(private readonly capacity: Map<string, Partial<Record<Channel, number>>>) {}
  /**
   * `voiceAtClaim`: the agent's voice load as the store had it when this slot was claimed (baseline).
   * The baseline records placements when their follow-up writes finish, not in claim order, so its
   * voice rule is checked against the claim itself rather than against this bookkeeping's order.
   */
  place(taskId: string, agentId: string, ch: Channel, voiceAtClaim?: number): void {
    const prev = this.holder.get(taskId);
    if (prev) this.violation(`conversation ${taskId} placed with ${agentId} while held by ${prev}`);
    this.holder.set(taskId, agentId);
    let l = this.load.get(agentId);
    if (!l) this.load.set(agentId, (l = {}));
    if (ch !== 'voice' && (voiceAtClaim ?? l.voice ?? 0) > 0) this.violation(`${agentId} given a ${ch} contact during a voice call`);
    l[ch] = (l[ch] ?? 0) + 1;
    const cap = this.capacity.get(agentId)?.[ch] ?? 0;
    if (l[ch] > cap) this.violation(`${agentId} over capacity on ${ch}: ${l[ch]} > ${cap}`);
  }
  free(taskId: string, agentId: string, ch: Channel): void {
    const prev = this.holder.get(taskId);
    if (prev !== agentId) this.violation(`release of ${taskId} from ${agentId} but held by ${prev ?? 'nobody'}`);
    this.holder.delete(taskId);
    const l = this.load.get(agentId);
    if (l) l[ch] = (l[ch] ?? 0) - 1;
  }
  private violation(s: string): void {
    if (this.violations.length < 20) this.violations.push(s);
    else if (this.violations.length === 20) this.violations.push('...');
  }
}

// ---------------------------------------------------------------------------------------------
// (a) ours: AcdService → Redis stream → Router → fenced Lua persist

interface SystemResult {
  name: string;
  rows: RowResult[];
  violations: string[];
  notes: string[];
  failed?: string;
}

/** A stream entry id ("ms-seq") as one comparable number: ms since shortly before this run × 2^20 + seq (exact in a double). */
const ID_BASE_MS = Date.now() - 3_600_000;
function streamKey(id: string): number {
  const i = id.indexOf('-');
  return (Number(id.slice(0, i)) - ID_BASE_MS) * 1_048_576 + Number(id.slice(i + 1));
}

/** What runOurs needs of the routing leader: AcdService, or DirectLeader below. */
interface Leader {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly isLeader: boolean;
  readonly localRouter: Router | null;
  readonly store: AcdStore;
}

/**
 * Ours without the command stream (--ours=direct): the commands are applied to a Router in this
 * thread when due and its changes persisted by the same fenced Lua script (AcdStore.persist, one per
 * turn of this thread, pipelined as in AcdService: at most 8 in flight), then the effects. What
 * the leader's own process could do with the commands it receives itself; the difference to the
 * stream row is the cost of the stream (XADD, the blocked XREAD waking, one more round trip).
 * Cursors are synthetic ("base-seq"), as each event's key, so the settling code is shared.
 */
class DirectLeader implements Leader, CommandSender {
  posted = 0;
  acked = 0;
  onIssued: (e: Ev) => void = () => undefined;
  onBatch: () => void = () => undefined;
  onError: (m: string) => void = () => undefined;
  applied: (d: Decision[]) => void = () => undefined;
  readonly store: AcdStore;
  readonly router = new Router();
  rejected = 0;
  private token = randomBytes(8).toString('hex');
  private seq = 0;
  private persistedUpTo = 0;
  private flushQueued = false;
  private inFlight: Promise<void>[] = [];
  private started = false;
  private renew?: NodeJS.Timeout;
  private cmds = new Map<Ev, AcdCommand>();
  private pump: Pump;
  constructor(redis: Redis, prefix: string, queues: QueueDef[]) {
    this.store = new AcdStore(redis, prefix);
    for (const q of queues) this.router.defineQueue(q);
    this.pump = new Pump((e) => this.issue(e));
  }
  get isLeader(): boolean {
    return this.started;
  }
  get localRouter(): Router {
    return this.router;
  }
  async start(): Promise<void> {
    if (this.started) return;
    if (!(await this.store.acquire(this.token, 4000))) throw new Error('direct leader: lease taken');
    this.renew = setInterval(() => void this.store.acquire(this.token, 4000).catch(() => undefined), 1000);
    this.started = true;
    this.pump.start();
  }
  async stop(): Promise<void> {
    this.pump.stop();
    clearInterval(this.renew);
    for (let i = 0; i < 200 && (this.flushQueued || this.inFlight.length); i++) await Promise.race([Promise.all(this.inFlight), sleep(5)]);
    if (this.started) await this.store.release(this.token).catch(() => undefined);
    this.started = false;
  }
  send(cmd: AcdCommand, e: Ev): void {
    this.posted++;
    this.cmds.set(e, cmd);
    this.pump.push(e);
  }
  private issue(e: Ev): void {
    const cmd = this.cmds.get(e)!;
    this.cmds.delete(e);
    e.at = performance.now();
    e.key = ++this.seq;
    e.id = `${ID_BASE_MS}-${e.key}`;
    const now = Date.now();
    try {
      switch (cmd.type) {
        case 'arrive':
          this.router.arrive(cmd.task, now);
          break;
        case 'release':
          this.router.release(cmd.taskId, now);
          break;
        case 'agent.profile':
          this.router.upsertAgent(cmd.profile, now);
          break;
        case 'agent.state':
          this.router.setAgentState(cmd.agentId, cmd.state, now, cmd.reason);
          break;
        case 'wrapup.end':
          this.router.endWrapUp(cmd.agentId, now);
          break;
        case 'accept':
          this.router.accept(cmd.taskId, cmd.agentId, now);
          break;
        default:
          throw new Error(`direct leader: ${cmd.type} not simulated`);
      }
    } catch (err) {
      if (err instanceof RoutingError) this.rejected++;
      else this.onError((err as Error).message);
    }
    this.acked++;
    this.onIssued(e);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }
  /** Persist what the commands issued in this turn changed: pipelined like AcdService (at most 8 in flight), effects in order behind each write. */
  private flush(): void {
    this.flushQueued = false;
    if (this.inFlight.length >= 8) {
      this.flushQueued = true;
      void this.inFlight[0].then(() => this.flush());
      return;
    }
    this.router.tick(Date.now());
    const upTo = this.seq;
    const ch = this.router.drain();
    if (!ch.agents.length && !ch.tasks.length && !ch.removed.length && upTo === this.persistedUpTo) return;
    this.persistedUpTo = upTo;
    const p = this.store.persist(this.token, `${ID_BASE_MS}-${upTo}`, this.router.exportCounters(), ch).then(
      (ok) => {
        if (!ok) return this.onError('fenced out');
        this.onBatch();
        if (ch.decisions.length) this.applied(ch.decisions);
      },
      (err: unknown) => this.onError(`persist: ${(err as Error).message}`),
    );
    const tracked = p.then(() => {
      this.inFlight.splice(this.inFlight.indexOf(tracked), 1);
    });
    this.inFlight.push(tracked);
  }
}

async function runOurs(redisUrl: string, pop: Population, pl: Plan, mode: 'stream' | 'direct'): Promise<SystemResult> {
  const label = mode === 'stream' ? 'ours' : 'ours in-process';
  const prefix = `benchacd${randomBytes(3).toString('hex')}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  cleanups.push(() => redis.disconnect());
  const log = pino({ level: 'warn', base: { svc: 'acd-bench' } }, pino.destination(2));
  const convs = new Map<string, Conv>();
  const capacity = new Map(pop.agents.map((a) => [a.id, a.capacity]));
  const hold = new Holdings(capacity);
  const rec = new Recorder();
  const msLatencies: number[] = [];
  let measuring = false;
  let placements = 0;
  let answered = 0;
  let requeues = 0;
  const offered = new Set<string>();
  const inWrap = new Set<string>();
  const live = new Set<string>();
  /** The contact an agent released last (its wrap-up time). */
  const lastOf = new Map<string, Conv>();
  let phaseT0 = 0;
  // eslint-disable-next-line prefer-const
  let pump: { push(e: Ev): void };

  // BENCH_ACD_SERVICE=/path/to/service.ts: measure another AcdService implementation (a proposed change).
  const Service: typeof AcdService = process.env.BENCH_ACD_SERVICE ? ((await import(process.env.BENCH_ACD_SERVICE)) as { AcdService: typeof AcdService }).AcdService : AcdService;
  // No write-behind: record the decisions and let the simulated agents react.
  const applied = (decisions: Decision[]) => {
        const now = performance.now();
        // Decisions count as stored when their persist resolved (applied runs just after it).
        const storedAt = persistLog.length ? persistLog[persistLog.length - 1].t : now;
        for (const d of decisions) {
          if (d.kind === 'offer' || d.kind === 'assign') {
            const c = convs.get(d.taskId);
            if (!c) continue;
            if (d.kind === 'assign' && offered.has(d.taskId)) {
              // The agent answered the voice offer: not a routing decision.
              offered.delete(d.taskId);
              answered++;
              if (hold.holder.get(d.taskId) !== d.agentId) hold.violations.push(`answer of ${d.taskId} by ${d.agentId}, not its holder`);
              pump.push({ at: now + c.handleMs, kind: 'release', conv: c, row: c.row === 'warmup' ? null : 'burst', burst: -1 });
              continue;
            }
            hold.place(d.taskId, d.agentId, c.channel);
            if (c.row !== 'warmup') {
              placements++;
              rec.placed[c.row]++;
              rec.decisionAt.push(storedAt);
            }
            if (d.kind === 'offer') {
              offered.add(d.taskId);
              pump.push({ at: now + c.ringMs, kind: 'accept', conv: c, agentId: d.agentId, row: null, burst: -1 });
            } else pump.push({ at: now + c.handleMs, kind: 'release', conv: c, row: c.row === 'warmup' ? null : 'burst', burst: -1 });
          } else if (d.kind === 'released') {
            const c = convs.get(d.taskId);
            if (c) {
              hold.free(d.taskId, d.agentId, c.channel);
              lastOf.set(d.agentId, c);
            }
          } else if (d.kind === 'requeue') {
            requeues++;
            const c = convs.get(d.taskId);
            offered.delete(d.taskId);
            if (c && d.fromAgentId) hold.free(d.taskId, d.fromAgentId, c.channel);
          } else if (d.kind === 'agent' && d.state === 'wrapup') {
            inWrap.add(d.agentId);
            const c = lastOf.get(d.agentId);
            pump.push({ at: now + (c?.wrapMs ?? 500), kind: 'wrapup', agentId: d.agentId, row: c && c.row !== 'warmup' ? 'burst' : null, burst: -1 });
          } else if (d.kind === 'agent' && d.state === 'available') inWrap.delete(d.agentId);
        }
  };
  const direct = mode === 'direct' ? new DirectLeader(redis, prefix, pop.queues) : null;
  if (direct) direct.applied = applied;
  const svc: Leader = direct
    ? direct
    : new Service({
        redis,
        prefix,
        log,
        queues: async () => pop.queues,
        onLatency: (ms) => measuring && msLatencies.push(ms),
        effects: { applied: async (d) => applied(d) },
      });

  // "Stored": the first persist whose stream cursor covers the event's entry. Persists are logged
  // here; the sender thread reports each entry's id and issue time, and events are settled in id order.
  const persistLog: { cursor: number; t: number; n: number }[] = [];
  const awaiting: Ev[] = [];
  let head = 0;
  const stored: { at: number; stored: number }[] = [];
  // The floor: one arrival at a time, each issued once the previous is stored (closed loop).
  const floorLat: number[] = [];
  let floorWaiting: Ev | null = null;
  let floorWake: (() => void) | null = null;
  const settleUpTo = () => {
    const last = persistLog[persistLog.length - 1];
    if (!last) return;
    while (head < awaiting.length && awaiting[head].key! <= last.cursor) {
      const e = awaiting[head++];
      // First persist whose cursor is at or past the entry (cursors only grow).
      let lo = 0;
      let hi = persistLog.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (e.key! <= persistLog[mid].cursor) hi = mid;
        else lo = mid + 1;
      }
      const p = persistLog[lo];
      p.n++;
      rec.event(e, p.t);
      if (e === floorWaiting) {
        floorLat.push(p.t - e.at);
        floorWaiting = null;
        floorWake?.();
      }
      if (DUMP && e.row) dump.push(`${(e.at - phaseT0).toFixed(3)} ${e.kind} ${(p.t - e.at).toFixed(3)} ${lo}`);
      if (e.row) stored.push({ at: e.at, stored: p.t });
      if (e.kind === 'release') live.delete(e.conv!.id);
    }
    if (head > 50_000) {
      awaiting.splice(0, head);
      head = 0;
    }
  };
  const persistTimes: number[] = [];
  const dump: string[] = [];
  const origPersist = svc.store.persist.bind(svc.store);
  svc.store.persist = async (token, cursor, st, ch) => {
    const t0 = performance.now();
    const ok = await origPersist(token, cursor, st, ch);
    const t = performance.now();
    if (measuring) persistTimes.push(t - t0);
    if (ok) {
      persistLog.push({ cursor: streamKey(cursor), t, n: 0 });
      settleUpTo();
    }
    return ok;
  };

  // Router CPU time (wrapping the prototype: the service builds its router when it becomes leader).
  const routerMs = { n: 0, ms: 0, by: new Map<string, { n: number; ms: number }>() };
  const restore: (() => void)[] = [];
  if (BREAKDOWN) {
    const proto = Router.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const m of ['arrive', 'release', 'endWrapUp', 'accept', 'tick', 'drain']) {
      const orig = proto[m];
      proto[m] = function (this: unknown, ...a: unknown[]) {
        const t = performance.now();
        try {
          return orig.apply(this, a);
        } finally {
          if (measuring) {
            const d = performance.now() - t;
            if (DUMP && d > 0.3) dump.push(`R ${(t - phaseT0).toFixed(3)} ${d.toFixed(3)} ${m}`);
            routerMs.ms += d;
            routerMs.n++;
            const b = routerMs.by.get(m) ?? { n: 0, ms: 0 };
            b.n++;
            b.ms += d;
            routerMs.by.set(m, b);
          }
        }
      };
      restore.push(() => (proto[m] = orig));
    }
  }

  // The leader's stream reads (a private connection of the service): time spent waiting for them.
  const xr = { n: 0, ms: 0, entries: 0, parseMs: 0 };
  if (BREAKDOWN && !direct) {
    const reader = (svc as unknown as { reader: Redis }).reader;
    const orig = reader.xread.bind(reader) as (...a: unknown[]) => Promise<unknown>;
    (reader as unknown as { xread: (...a: unknown[]) => Promise<unknown> }).xread = async (...a: unknown[]) => {
      const t = performance.now();
      const res = (await orig(...a)) as [string, [string, string[]][]][] | null;
      if (measuring) {
        xr.n++;
        xr.ms += performance.now() - t;
        xr.entries += res?.[0]?.[1]?.length ?? 0;
      }
      return res;
    };
  }
  const sender: CommandSender = direct ?? (SENDER === 'inline' ? new InlineSender(redisUrl, svc.store.keys.events) : new Sender(redisUrl, svc.store.keys.events));
  cleanups.push(() => sender.stop());
  sender.onIssued = (e) => {
    if (e.kind === 'arrive' && e.row === 'burst') {
      const w = rec.burstWin.get(e.burst);
      if (!w) rec.burstWin.set(e.burst, { start: e.at, lastDue: e.at, end: e.at });
      else w.lastDue = e.at;
    }
    if (e.row === 'flood' && !(rec.flood.start <= e.at)) rec.flood.start = e.at;
    awaiting.push(e);
  };
  sender.onBatch = settleUpTo;
  sender.onError = (m) => rec.errors.length < 10 && rec.errors.push(`sender: ${m}`);
  const schedule = (e: Ev) => {
    switch (e.kind) {
      case 'arrive': {
        const c = e.conv!;
        live.add(c.id);
        return sender.send({ type: 'arrive', task: { id: c.id, queue: c.queue, channel: c.channel, priority: c.priority } }, e);
      }
      case 'accept':
        return sender.send({ type: 'accept', taskId: e.conv!.id, agentId: e.agentId! }, e);
      case 'release':
        return sender.send({ type: 'release', taskId: e.conv!.id }, e);
      case 'wrapup':
        return sender.send({ type: 'wrapup.end', agentId: e.agentId! }, e);
    }
  };
  pump = { push: schedule };

  const t00 = performance.now();
  await svc.start();
  cleanups.push(() => svc.stop());
  let deadline = t00 + OURS_BUDGET_MS;
  const until = async (what: string, cond: () => boolean, ms: number) => {
    const end = Math.min(performance.now() + ms, deadline);
    while (!cond()) {
      if (performance.now() > end) throw new Error(`ours: ${what}: not done in time (commands posted ${sender.posted}, issued ${sender.acked}, stored ${head} of ${awaiting.length}; ${live.size} conversations live, ${inWrap.size} agents in wrap-up)`);
      await sleep(5);
    }
  };
  await until('leader elected', () => svc.isLeader, 10_000);
  if (!direct) await sender.start();

  // Agents sign in (not measured).
  for (const a of pop.agents) {
    sender.send({ type: 'agent.profile', profile: a }, { at: 0, kind: 'profile', row: null, burst: -1 });
    sender.send({ type: 'agent.state', agentId: a.id, state: 'available' }, { at: 0, kind: 'profile', row: null, burst: -1 });
  }
  const allIn = () => sender.posted === sender.acked && head === awaiting.length;
  await until('agents signed in', () => allIn() && svc.localRouter!.allAgents().filter((a) => a.state === 'available').length === N_AGENTS, 20_000);

  const quiet = () => allIn() && live.size === 0 && inWrap.size === 0;
  const runSet = (cs: Conv[], at0: number) => {
    for (const c of cs) {
      convs.set(c.id, c);
      pump.push({ at: at0 + c.at, kind: 'arrive', conv: c, row: c.row === 'warmup' ? null : c.row, burst: c.burst });
    }
  };

  // Warm-up (not measured).
  if (pl.warmup.length) {
    runSet(pl.warmup, performance.now() + 5);
    await until('warm-up', quiet, 30_000);
  }

  const machine = new Machine(redisUrl);
  if (WAIT_QUIET_S) {
    const t = performance.now();
    await machine.waitQuiet(WAIT_QUIET_S, label);
    deadline += performance.now() - t;
  }

  // The floor of the path on this machine: FLOOR_N arrivals one at a time (not in the table).
  const floorRng = mulberry32(SEED + 3);
  for (let i = 0; i < FLOOR_N; i++) {
    const c: Conv = { id: `floor-${i}`, queue: weighted(floorRng, pop.weights), channel: i % 5 ? 'webchat' : 'email', priority: 0, at: 0, handleMs: 300, ringMs: 100, wrapMs: 200, row: 'warmup', burst: -1 };
    convs.set(c.id, c);
    const e: Ev = { at: performance.now(), kind: 'arrive', conv: c, row: null, burst: -1 };
    const done = new Promise<void>((res) => (floorWake = res));
    floorWaiting = e;
    pump.push(e);
    await withTimeout(done, 5_000, 'floor arrival');
  }
  await until('floor', quiet, 30_000);

  // Bursts, then the flood once everything before it has ended.
  measuring = true;
  const m0 = machine.snap();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  // The first burst starts well after its 8,000 arrivals are scheduled: scheduling them (and the
  // collection that follows) must not be charged to the first events as lateness.
  phaseT0 = performance.now() + PHASE_LEAD_MS;
  const gcLog: string[] = [];
  const gcObs = DUMP ? new PerformanceObserver((l) => l.getEntries().forEach((g) => gcLog.push(`G ${(g.startTime - phaseT0).toFixed(3)} ${g.duration.toFixed(3)} ${((g as unknown as { detail?: { kind?: number } }).detail)?.kind ?? ''}`))) : null;
  gcObs?.observe({ entryTypes: ['gc'] });
  runSet(pl.bursts.flat(), phaseT0);
  await until('bursts handled', quiet, deadline - performance.now());
  const router = svc.localRouter!;
  const waitingBeforeFlood = router.allTasks().length;
  if (pl.flood.length) {
    runSet(pl.flood, performance.now() + 5);
    await until('flood handled', quiet, deadline - performance.now());
  }
  measuring = false;
  const tEnd = performance.now();
  const elu = performance.eventLoopUtilization(elu0);
  const m1 = machine.snap();
  const cpu = process.cpuUsage(cpu0);

  // ---- invariants: router state, Redis state, the bench's own bookkeeping ----
  const violations = [...hold.violations, ...rec.errors];
  if (waitingBeforeFlood) violations.push(`${waitingBeforeFlood} task(s) still in the router after every conversation ended`);
  const held = new Map<string, Record<string, number>>();
  for (const t of router.allTasks()) {
    violations.push(`task ${t.id} left in state ${t.state}`);
    if (t.agentId) {
      const h = held.get(t.agentId) ?? {};
      h[t.channel] = (h[t.channel] ?? 0) + 1;
      held.set(t.agentId, h);
    }
  }
  for (const a of router.allAgents()) {
    for (const [ch, n] of Object.entries(a.load)) {
      if ((n ?? 0) !== (held.get(a.id)?.[ch] ?? 0)) violations.push(`${a.id}: load ${ch}=${n} but holds ${held.get(a.id)?.[ch] ?? 0}`);
      if ((n ?? 0) > (a.capacity[ch as Channel] ?? 0)) violations.push(`${a.id}: over capacity on ${ch}`);
    }
  }
  for (const [agent, l] of hold.load) for (const [ch, n] of Object.entries(l)) if (n !== 0) violations.push(`bench bookkeeping: ${agent} still holds ${n} ${ch}`);
  const canon = (x: unknown): string => JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
  const [storedAgents, storedTasks] = await Promise.all([svc.store.readAgents(), svc.store.readTasks()]);
  const storedById = new Map(storedAgents.map((a) => [a.id, a]));
  let mismatched = 0;
  for (const a of router.allAgents()) if (canon(storedById.get(a.id)) !== canon(a)) mismatched++;
  if (mismatched || storedAgents.length !== N_AGENTS) violations.push(`Redis agents differ from the router: ${mismatched} mismatched, ${storedAgents.length} stored`);
  if (storedTasks.length !== router.allTasks().length) violations.push(`Redis holds ${storedTasks.length} task(s), the router ${router.allTasks().length}`);
  const total = pl.bursts.flat().length + pl.flood.length;
  if (placements !== total) violations.push(`${placements} placements for ${total} conversations (requeues: ${requeues})`);

  if (DUMP) {
    const { writeFileSync } = await import('node:fs');
    gcObs?.disconnect();
    writeFileSync(DUMP, [...dump, ...gcLog, ...persistLog.map((p, i) => `P ${i} ${(p.t - phaseT0).toFixed(3)} ${p.n}`)].join('\n'));
  }
  for (const r of restore) r();
  if (!direct) await sender.stop();
  await svc.stop();
  redis.disconnect();

  rec.windows(stored);
  const rows = rec.rows(label, { burst: pl.bursts.flat().length, flood: pl.flood.length });
  const notes: string[] = [];
  const runS = (tEnd - phaseT0) / 1000;
  notes.push(
    `${label}: ${placements} placements (${answered} voice offers answered, ${requeues} requeues) in ${runS.toFixed(1)} s of load (overall ${(placements / runS).toFixed(0)}/s incl. the gaps); ` +
      (direct ? `${sender.posted} commands applied in this thread, ${direct.rejected} refused by the router` : `${sender.posted} commands through the stream, issued by a ${SENDER === 'inline' ? 'timer in this thread' : 'worker thread'}`),
  );
  if (!direct) {
    const ms = Float64Array.from(msLatencies).sort();
    notes.push(`${label}: AcdOptions.onLatency cross-check (whole ms, every command incl. answers): p50 ${pct(ms, 50)} ms, p99 ${pct(ms, 99)} ms, max ${ms[ms.length - 1]} ms over ${ms.length}`);
  }
  const fl = Float64Array.from(floorLat).sort();
  if (fl.length) notes.push(`${label}: floor, ${fl.length} arrivals one at a time (each issued once the previous was stored): p50 ${f(pct(fl, 50))} p90 ${f(pct(fl, 90))} p99 ${f(pct(fl, 99))} max ${f(fl[fl.length - 1])} ms`);
  notes.push(`${label}: ${machine.describe(m0, m1)}`);
  if (BREAKDOWN) {
    const p = Float64Array.from(persistTimes).sort();
    const b = Float64Array.from(persistLog.filter((x) => x.t >= phaseT0 && x.n > 0).map((x) => x.n)).sort();
    const psum = persistTimes.reduce((s, x) => s + x, 0);
    notes.push(
      `${label}: where the time goes (measured phase, ${((tEnd - phaseT0) / 1000).toFixed(1)} s): this process used ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, event loop ${(elu.utilization * 100).toFixed(0)}% busy; ` +
        `router calls ${routerMs.ms.toFixed(0)} ms over ${routerMs.n} calls (${[...routerMs.by].sort((a, b) => b[1].ms - a[1].ms).map(([m, b]) => `${m} ${b.ms.toFixed(0)} ms/${b.n}`).join(', ')}); ` +
        `${persistTimes.length} Lua persists, ${psum.toFixed(0)} ms in total, p50 ${f(pct(p, 50))} p99 ${f(pct(p, 99))} max ${f(p[p.length - 1])} ms; ` +
        `events per persist p50 ${pct(b, 50)} p99 ${pct(b, 99)} max ${b[b.length - 1]}` +
        (direct ? '' : `; ${xr.n} stream reads returned ${xr.entries} entries, ${xr.ms.toFixed(0)} ms waiting for them (incl. idle blocking)`),
    );
  }
  return { name: label, rows, violations, notes };
}

// ---------------------------------------------------------------------------------------------
// (b) baseline: a database round trip (or four) per decision

interface AgentDoc {
  _id: string;
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  free: Partial<Record<Channel, number>>;
  load: Partial<Record<Channel, number>>;
  state: 'available' | 'wrapup';
  lastFreeAt: number;
  queues: string[];
}
interface ConvDoc {
  _id: string;
  queue: string;
  channel: Channel;
  priority: number;
  status: 'waiting' | 'assigned' | 'resolved';
  agentId: string | null;
  createdAt: number;
  seq: number;
}

function withDatabase(uri: string, db: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!m) throw new Error(`unexpected MongoDB URI: ${uri}`);
  return `${m[1]}/${db}${m[2] ?? ''}`;
}

async function runBaseline(mongoUri: string, pop: Population, pl: Plan, external: boolean): Promise<SystemResult> {
  const dbName = `acd_bench_${randomBytes(3).toString('hex')}`;
  const conn = await mongoose.createConnection(withDatabase(mongoUri, dbName), { maxPoolSize: Math.max(20, BASE_CONCURRENCY * 2), serverSelectionTimeoutMS: 10_000 }).asPromise();
  cleanups.push(async () => {
    if (external) await conn.dropDatabase().catch(() => undefined);
    await conn.close().catch(() => undefined);
  });
  const db = conn.db!;
  const agentsC = db.collection<AgentDoc>('acd_agents');
  const convC = db.collection<ConvDoc>('acd_conversations');
  await agentsC.createIndex({ state: 1, lastFreeAt: 1 });
  await convC.createIndex({ status: 1, priority: -1, createdAt: 1 });
  const queues = new Map(pop.queues.map((q) => [q.id, q]));
  const capacity = new Map(pop.agents.map((a) => [a.id, a.capacity]));
  const t0 = Date.now();
  const docs: AgentDoc[] = pop.agents.map((a) => ({
    _id: a.id,
    skills: a.skills,
    capacity: a.capacity,
    free: { ...a.capacity },
    load: { voice: 0, ...Object.fromEntries(Object.keys(a.capacity).map((c) => [c, 0])) },
    state: 'available',
    lastFreeAt: t0,
    queues: pop.eligibleQueues.get(a.id)!,
  }));
  for (let i = 0; i < docs.length; i += 200) await agentsC.insertMany(docs.slice(i, i + 200));

  const hold = new Holdings(capacity);
  const rec = new Recorder();
  const errors: string[] = [];
  let measuring = false;
  let placements = 0;
  let conflicts = 0;
  const live = new Set<string>();
  const stored: { at: number; stored: number }[] = [];
  const serviceMs: number[] = [];
  let seq = 0;

  const roomFilter = (ch: Channel) => ({ state: 'available' as const, 'load.voice': 0, [`free.${ch}`]: { $gt: 0 } });
  /** Conditional claim of one slot: only while the agent is available with room on the channel. */
  const claimSlot = (agentId: string, ch: Channel) =>
    agentsC.findOneAndUpdate({ _id: agentId, ...roomFilter(ch) }, { $inc: { [`free.${ch}`]: -1, [`load.${ch}`]: 1 } }, { returnDocument: 'after' });
  const giveBack = (agentId: string, ch: Channel) => agentsC.findOneAndUpdate({ _id: agentId }, { $inc: { [`free.${ch}`]: 1, [`load.${ch}`]: -1 } }, { returnDocument: 'after' });
  const checkDoc = (a: AgentDoc | null) => {
    if (!a) return;
    for (const [ch, n] of Object.entries(a.load)) if ((n ?? 0) > (a.capacity[ch as Channel] ?? 0) || (n ?? 0) < 0) errors.push(`${a._id}: load ${ch}=${n} in MongoDB`);
  };
  const placed = (c: Conv, agentId: string, claimed: AgentDoc) => {
    hold.place(c.id, agentId, c.channel, claimed.load.voice ?? 0);
    if (c.row !== 'warmup') {
      placements++;
      rec.placed[c.row]++;
      rec.decisionAt.push(performance.now());
    }
    // Voice: the agent answers after ringing (no separate offer round here), then talks.
    const ring = c.channel === 'voice' ? c.ringMs : 0;
    pump.push({ at: performance.now() + ring + c.handleMs, kind: 'release', conv: c, agentId, row: c.row === 'warmup' ? null : 'burst', burst: -1 });
  };

  /** The agent takes the best waiting conversation it can, while it has room. */
  const fill = async (a: AgentDoc | null) => {
    while (a && a.state === 'available' && !(a.load.voice ?? 0)) {
      const chans = (Object.keys(a.capacity) as Channel[]).filter((ch) => (a!.free[ch] ?? 0) > 0);
      if (!chans.length || !a.queues.length) return;
      const t = await convC.findOne({ status: 'waiting', queue: { $in: a.queues }, channel: { $in: chans } }, { sort: { priority: -1, createdAt: 1, seq: 1 } });
      if (!t) return;
      const a2 = await claimSlot(a._id, t.channel);
      checkDoc(a2);
      if (!a2) return; // changed under us (an arrival took the slot): its own event goes on from there
      const r = await convC.updateOne({ _id: t._id, status: 'waiting' }, { $set: { status: 'assigned', agentId: a._id } });
      if (r.modifiedCount !== 1) {
        conflicts++;
        a = await giveBack(a._id, t.channel);
        continue;
      }
      const c = convsById.get(t._id);
      if (c) placed(c, a._id, a2);
      a = a2;
    }
  };

  const arrive = async (c: Conv) => {
    await convC.insertOne({ _id: c.id, queue: c.queue, channel: c.channel, priority: c.priority, status: 'waiting', agentId: null, createdAt: Date.now(), seq: seq++ });
    const q = queues.get(c.queue)!;
    const skillFilter = Object.fromEntries(Object.entries(q.skills).map(([s, min]) => [`skills.${s}`, { $gte: min }]));
    for (let attempt = 0; attempt < 10; attempt++) {
      const a = await agentsC.findOne({ ...roomFilter(c.channel), ...skillFilter }, { sort: { lastFreeAt: 1 }, projection: { _id: 1 } });
      if (!a) return; // waits: an agent-free event picks it up
      const a2 = await claimSlot(a._id, c.channel);
      checkDoc(a2);
      if (!a2) {
        conflicts++;
        continue; // someone took that slot first
      }
      const r = await convC.updateOne({ _id: c.id, status: 'waiting' }, { $set: { status: 'assigned', agentId: a._id } });
      if (r.modifiedCount === 1) return placed(c, a._id, a2);
      conflicts++;
      return void (await fill(await giveBack(a._id, c.channel))); // a freed agent took it meanwhile
    }
  };

  const release = async (c: Conv, agentId: string) => {
    hold.free(c.id, agentId, c.channel);
    await convC.updateOne({ _id: c.id }, { $set: { status: 'resolved' } });
    const voice = c.channel === 'voice';
    const a = await agentsC.findOneAndUpdate(
      { _id: agentId },
      { $inc: { [`free.${c.channel}`]: 1, [`load.${c.channel}`]: -1 }, $set: { lastFreeAt: Date.now(), ...(voice ? { state: 'wrapup' as const } : {}) } },
      { returnDocument: 'after' },
    );
    checkDoc(a);
    if (voice) {
      inWrap.add(agentId);
      pump.push({ at: performance.now() + c.wrapMs, kind: 'wrapup', agentId, row: c.row === 'warmup' ? null : 'burst', burst: -1 });
      return;
    }
    await fill(a);
  };

  const wrapEnd = async (agentId: string) => {
    const a = await agentsC.findOneAndUpdate({ _id: agentId, state: 'wrapup' }, { $set: { state: 'available', lastFreeAt: Date.now() } }, { returnDocument: 'after' });
    inWrap.delete(agentId);
    await fill(a);
  };

  // Events run BASE_CONCURRENCY at a time, in due order.
  const convsById = new Map<string, Conv>();
  const inWrap = new Set<string>();
  const waitQ: Ev[] = [];
  let wqHead = 0;
  let running = 0;
  const runOne = (e: Ev) => {
    running++;
    const started = performance.now();
    const work = e.kind === 'arrive' ? arrive(e.conv!) : e.kind === 'release' ? release(e.conv!, e.agentId!) : wrapEnd(e.agentId!);
    work
      .catch((err) => errors.length < 10 && errors.push(`${e.kind}: ${(err as Error).message}`))
      .finally(() => {
        const t = performance.now();
        running--;
        if (measuring) serviceMs.push(t - started);
        rec.event(e, t);
        if (e.row) stored.push({ at: e.at, stored: t });
        if (e.kind === 'release') live.delete(e.conv!.id);
        if (wqHead < waitQ.length) runOne(waitQ[wqHead++]);
      });
  };
  const pump = new Pump((e) => {
    if (e.kind === 'arrive') {
      live.add(e.conv!.id);
      if (e.row === 'burst') {
        const w = rec.burstWin.get(e.burst);
        if (!w) rec.burstWin.set(e.burst, { start: e.at, lastDue: e.at, end: e.at });
        else w.lastDue = e.at;
      }
    }
    if (running < BASE_CONCURRENCY) runOne(e);
    else waitQ.push(e);
  });

  if (WAIT_QUIET_S) await new Machine('').waitQuiet(WAIT_QUIET_S, 'baseline');
  const tStart = performance.now();
  const deadline = tStart + BASE_BUDGET_MS;
  const notes: string[] = [];
  const idle = () => pump.heap.size === 0 && running === 0 && wqHead === waitQ.length;
  const quiet = () => idle() && live.size === 0 && inWrap.size === 0;
  /** Until quiet; a conversation left waiting with nothing pending (a lost wake-up) ends the wait. */
  const settleOrStranded = async (what: string) => {
    let idleSince = 0;
    while (!quiet()) {
      if (performance.now() > deadline) return `${what}: out of time (${BASE_BUDGET_MS / 1000} s budget)`;
      if (idle() && live.size) {
        idleSince ||= performance.now();
        if (performance.now() - idleSince > 2000) return `${what}: ${live.size} conversation(s) left waiting with no event pending (lost wake-ups)`;
      } else idleSince = 0;
      await sleep(5);
    }
    return '';
  };
  const runSet = (cs: Conv[], at0: number) => {
    for (const c of cs) {
      convsById.set(c.id, c);
      pump.push({ at: at0 + c.at, kind: 'arrive', conv: c, row: c.row === 'warmup' ? null : c.row, burst: c.burst });
    }
  };
  pump.start();
  let stopReason = '';
  if (pl.warmup.length) {
    runSet(pl.warmup, performance.now() + 5);
    stopReason = await settleOrStranded('warm-up');
  }
  measuring = true;
  const phaseT0 = performance.now() + PHASE_LEAD_MS;
  if (!stopReason) {
    runSet(pl.bursts.flat(), phaseT0);
    stopReason = await settleOrStranded('bursts');
  }
  if (!stopReason && pl.flood.length) {
    const t = performance.now() + 5;
    rec.flood.start = t;
    runSet(pl.flood, t);
    stopReason = await settleOrStranded('flood');
  }
  measuring = false;
  pump.stop();
  // Let in-flight work finish before reading the database.
  for (let i = 0; i < 2000 && running; i++) await sleep(5);
  const tEnd = performance.now();

  const violations = [...hold.violations, ...errors];
  // MongoDB state: loads match what is held, never over capacity.
  const heldNow = new Map<string, Record<string, number>>();
  const convRows = await convC.find({}, { projection: { status: 1, agentId: 1, channel: 1 } }).toArray();
  let waiting = 0;
  for (const c of convRows) {
    if (c.status === 'waiting') waiting++;
    if (c.status === 'assigned' && c.agentId) {
      const h = heldNow.get(c.agentId) ?? {};
      h[c.channel] = (h[c.channel] ?? 0) + 1;
      heldNow.set(c.agentId, h);
    }
  }
  for (const a of await agentsC.find({}).toArray()) {
    for (const ch of Object.keys(a.capacity) as Channel[]) {
      const l = a.load[ch] ?? 0;
      if (l > (a.capacity[ch] ?? 0) || l < 0) violations.push(`${a._id}: load ${ch}=${l} over capacity ${a.capacity[ch]}`);
      if ((a.free[ch] ?? 0) + l !== (a.capacity[ch] ?? 0)) violations.push(`${a._id}: free ${a.free[ch]} + load ${l} != capacity on ${ch}`);
      if (!running && l !== (heldNow.get(a._id)?.[ch] ?? 0)) violations.push(`${a._id}: load ${ch}=${l} but ${heldNow.get(a._id)?.[ch] ?? 0} assigned conversations`);
    }
  }
  if (stopReason) notes.push(`baseline: stopped early — ${stopReason}; ${placements} of ${pl.bursts.flat().length + pl.flood.length} conversations placed, ${waiting} still waiting in MongoDB (latency rows count only the events that completed)`);
  await conn.dropDatabase().catch(() => undefined);

  rec.windows(stored);
  const rows = rec.rows('baseline', { burst: pl.bursts.flat().length, flood: pl.flood.length });
  const s = Float64Array.from(serviceMs).sort();
  const runS = (tEnd - phaseT0) / 1000;
  notes.push(
    `baseline: ${placements} placements, ${conflicts} lost claim races, in ${runS.toFixed(1)} s (overall ${(placements / runS).toFixed(0)}/s); ` +
      `one event's own database work (excluding its wait for one of ${BASE_CONCURRENCY} slots): p50 ${f(pct(s, 50))} ms, p99 ${f(pct(s, 99))} ms`,
  );
  return { name: 'baseline', rows, violations, notes };
}

// ---------------------------------------------------------------------------------------------
// report

const f = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '-');
const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');

function printReport(results: SystemResult[]): void {
  const rows = results.flatMap((r) => r.rows);
  const head = ['system', 'convs', 'events', 'decisions', 'decisions/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'];
  const body = rows.map((r) => [r.label, n0(r.conversations), n0(r.events), n0(r.decisions), n0(r.rate), f(r.p50), f(r.p90), f(r.p99), f(r.max)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log('');
  console.log(
    `ACD bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), node ${process.version}, seed ${SEED}; ` +
      `load average ${loadAtStart.map((x) => x.toFixed(1)).join(' ')} at the start (other work on the machine skews the figures)`,
  );
  console.log(`${N_AGENTS} agents, 20 skills, 20 queues; bursts at ${n0(BURST_RATE)} arrivals/s; latency = event issued → outcome stored`);
  console.log(line(head));
  console.log(w.map((x) => '-'.repeat(x)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('');
  for (const r of results) for (const n of r.notes) console.log(`  ${n}`);
  const ours = results.find((r) => r.name === 'ours');
  if (ours) {
    const burst = ours.rows[0];
    const flood = ours.rows[1];
    const rateOk = burst.rate >= TARGET_RATE && (!flood || flood.rate >= TARGET_RATE);
    console.log(
      `  target ≥ ${n0(TARGET_RATE)} decisions/s: ${rateOk ? 'met' : 'MISSED'} (${n0(burst.rate)}/s sustained inside bursts${flood ? `, ${n0(flood.rate)}/s capacity in the flood` : ''})`,
    );
    console.log(`  target p99 < ${TARGET_P99_MS} ms (bursts at ${n0(BURST_RATE)}/s): ${burst.p99 < TARGET_P99_MS ? 'met' : 'MISSED'} (${f(burst.p99)} ms; the flood row is queueing by design, not a target)`);
    const direct = results.find((r) => r.name === 'ours in-process');
    if (direct) console.log(`  for reference, without the stream (in-process): ${n0(direct.rows[0].rate)}/s in bursts, p99 ${f(direct.rows[0].p99)} ms${direct.rows[1] ? `, ${n0(direct.rows[1].rate)}/s in the flood` : ''}`);
  }
  const base = results.find((r) => r.name === 'baseline');
  if (ours && base && base.rows[0].rate > 0) console.log(`  ours / baseline decisions/s inside bursts: ${(ours.rows[0].rate / base.rows[0].rate).toFixed(0)}x; p99 ${(base.rows[0].p99 / ours.rows[0].p99).toFixed(0)}x lower`);
  if (base && N_BASE < N_OURS) console.log(`  the baseline ran a smaller slice (${n0(N_BASE)} conversations, same 1,000 agents, bursts scaled to ${n0(N_BASE / N_OURS * 500)}-${n0(N_BASE / N_OURS * 2000)}): at its speed 10,000 would not fit the time budget`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (ONLY && ONLY !== 'ours' && ONLY !== 'baseline') throw new Error('--only must be ours or baseline');
  const tmp = mkdtempSync(join(tmpdir(), 'cchub-bench-acd-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const rng = mulberry32(SEED);
  const pop = population(rng);
  const oursPlan = plan(mulberry32(SEED + 1), pop, 'c', N_OURS, 1, WARMUP);
  const basePlan = plan(mulberry32(SEED + 2), pop, 'b', N_BASE, N_BASE / N_OURS, Math.round((WARMUP * N_BASE) / N_OURS));
  console.error(
    `bench: ${N_AGENTS} agents, ${pop.queues.length} queues (${pop.weights.map(([q, n]) => `${q}:${n}`).join(' ')} able agents); ` +
      `ours ${N_OURS} conversations in ${oursPlan.bursts.length} bursts + flood ${oursPlan.flood.length}; baseline ${N_BASE} in ${basePlan.bursts.length} + ${basePlan.flood.length}; temp ${tmp}`,
  );
  const t = performance.now();
  const needMongo = ONLY !== 'ours' && N_BASE > 0;
  const svc: Embedded = await startEmbedded({ dir: tmp });
  cleanups.push(() => svc.stop());
  console.error(`bench: embedded services up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  for (const u of [svc.redisUrl, ...(needMongo ? [svc.mongoUri] : [])]) {
    const host = /\/\/(?:[^@/]*@)?([^:/]+)/.exec(u)?.[1];
    if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`refusing a non-local service: ${u}`);
  }

  const results: SystemResult[] = [];
  if (ONLY !== 'baseline') {
    for (const mode of OURS_MODES) {
      const t1 = performance.now();
      results.push(await runOurs(svc.redisUrl, pop, oursPlan, mode));
      console.error(`bench: ours (${mode}) done in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
  }
  if (needMongo) {
    const t1 = performance.now();
    results.push(await runBaseline(svc.mongoUri, pop, basePlan, !!process.env.MONGODB_URI));
    console.error(`bench: baseline done in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }
  printReport(results);
  let code = 0;
  for (const r of results) {
    if (r.violations.length) {
      console.log(`INCONSISTENT (${r.name}): ${r.violations.length} problem(s):`);
      for (const v of r.violations.slice(0, 20)) console.log(`  - ${v}`);
      code = 1;
    }
    if (r.failed) {
      console.log(`FAILED (${r.name}): ${r.failed}`);
      code = 1;
    }
  }
  if (!code) console.log('OK: no conversation on two agents, no agent over capacity, stored state matches the decisions');
  return code;
}

const loadAtStart = loadavg();
const BUDGET_MS = 240_000;
await runBench(main, cleanup, BUDGET_MS);
