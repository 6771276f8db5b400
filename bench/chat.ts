/**
 * `npm run bench:chat`: web chat visitor → agent latency through the hub, against a bare socket.io
 * relay on the same machine with the same load.
 *
 *   one run = embedded services (PostgreSQL + the MongoDB-compatible store + redis-server, in a temp
 *   dir; or MONGODB_URI / REDIS_URL) → phase "relay" (bench/relay.ts as a child process) → phase
 *   "hub" (scripts/start.ts as a child process) → table → clean-up.
 *
 * Each phase: one agent socket (/agent), C visitor sockets (/webchat, websocket transport), one
 * opening message per visitor (opens the conversations; not timed), then R messages/s in total,
 * evenly paced round-robin over the visitors, for W warm-up seconds (not timed) + D measured
 * seconds. Latency = the visitor's emit → the agent socket receiving `message.created` for that
 * message (the text starts with its sequence number; both clocks are this process's). The hub
 * stores each message before it acks and emits it (hub/ingest); the relay forwards at once.
 *
 * Options (argv `--name=value` or env BENCH_NAME):
 *   --duration=20  measured seconds          --rate=1000  messages/s in total
 *   --clients=500  visitor sessions/sockets  --warmup=2   paced seconds before measuring
 *   --grace=10     seconds to wait for stragglers after the last send
 *   --only=hub|relay                         --ingest-max-in-flight=N --ingest-max-batch=N
 *                                            (written to a CCHUB_CONFIG file for the hub child)
 * Exit code: 0 when every message was delivered exactly once and nothing failed; 1 on lost or
 * duplicated messages, nacks, disconnects or errors; missed latency targets only print "missed".
 * Load goes only to 127.0.0.1. Everything started here is stopped and the temp dir removed, also
 * on SIGINT/SIGTERM and on the overall watchdog.
 */
import { cleanupRegistry, runBench, withTimeout } from './harness.js';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { eachLine, startEmbedded, type Embedded } from '../scripts/embedded.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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

const DURATION_S = numOption('duration', 20, 1);
const RATE = numOption('rate', 1000, 1);
const CLIENTS = Math.floor(numOption('clients', 500, 1));
const WARMUP_S = numOption('warmup', 2, 0);
/** After the openers: wait (up to 20 s) until the target uses under this % of a core. */
const SETTLE_CPU = numOption('settle-cpu', 20, 1);
const GRACE_S = numOption('grace', 10, 1);
const ONLY = option('only', '');
const INGEST_MAX_IN_FLIGHT = option('ingest-max-in-flight', '');
const INGEST_MAX_BATCH = option('ingest-max-batch', '');
const TARGET_P99_MS = 50;
const TARGET_RATIO = 3;

const FILLER = 'Hello, I would like to check the balance of my credit card please. 你好，谢谢';

// ---------------------------------------------------------------------------------------------
// clean-up: everything started registers here; run once, bounded

const { cleanups, cleanup } = cleanupRegistry(() => {
  aborting = true;
});

/** Set by clean-up (signal, watchdog): the load loop stops sending. */
let aborting = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// child processes (hub, relay): one node process each, killed with us (setpriv --pdeathsig)

interface Proc {
  name: string;
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  running(): boolean;
  tail(): string;
  errors: string[];
  warnings: number;
  stop(): Promise<void>;
}

async function startNodeChild(name: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs: number): Promise<Proc> {
  const nodeArgs = ['--import', 'tsx', script];
  const [file, args] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const proc = spawn(file, args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const errors: string[] = [];
  let warnings = 0;
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((res) => {
    proc.on('exit', (code, sig) => {
      exitCode = code ?? (sig ? -1 : null);
      res(exitCode);
    });
    proc.on('error', (e) => {
      lines.push(`spawn error: ${e.message}`);
      exitCode = -1;
      res(-1);
    });
  });
  let onReady: (url: string) => void;
  const readyP = new Promise<string>((r) => (onReady = r));
  const feed = (stream: NodeJS.ReadableStream | null) =>
    eachLine(stream, (line) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      const m = ready.exec(line);
      if (m) onReady(m[1]);
      if (line.startsWith('{')) {
        // pino JSON: count warnings, keep errors (level 50 error, 60 fatal)
        try {
          const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
          if ((j.level ?? 0) >= 50) errors.push(`${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`);
          else if ((j.level ?? 0) >= 40) warnings++;
        } catch {
          /* not JSON after all */
        }
      }
    });
  feed(proc.stdout);
  feed(proc.stderr);
  const running = () => exitCode === undefined;
  let stopping: Promise<void> | undefined;
  const p: Proc = {
    name,
    proc,
    url: '',
    exited,
    running,
    tail: () => lines.slice(-20).join('\n'),
    errors,
    get warnings() {
      return warnings;
    },
    stop: () =>
      (stopping ??= (async () => {
        if (!running()) return;
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(t);
      })()),
  };
  cleanups.push(() => p.stop());
  const deadline = sleep(timeoutMs).then(() => 'timeout' as const);
  const r = await Promise.race([readyP, exited.then(() => 'exited' as const), deadline]);
  if (r === 'exited' || r === 'timeout') {
    await p.stop();
    throw new Error(`${name} ${r === 'exited' ? `exited (code ${exitCode})` : `not ready after ${timeoutMs} ms`} before it listened:\n${p.tail()}`);
  }
  p.url = r;
  return p;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: utime+stime of this process and all its descendants, grouped by role

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Wait until one process uses under `maxPct` of a core over 0.5 s (or `maxMs` passes). */
async function settle(pid: number, maxPct: number, maxMs: number): Promise<{ ms: number; cpu: number }> {
  const t0 = performance.now();
  let prev = readStat(pid)?.ticks ?? 0;
  let cpu = Infinity;
  while (performance.now() - t0 < maxMs) {
    await sleep(500);
    const now = readStat(pid)?.ticks ?? prev;
    cpu = ((now - prev) / CLK_TCK / 0.5) * 100;
    prev = now;
    if (cpu < maxPct) break;
  }
  return { ms: performance.now() - t0, cpu };
}

type CpuSnap = { perPid: Map<number, { label: string; ticks: number }>; total: number; idle: number; at: number };

function readStat(pid: number): { comm: string; ppid: number; ticks: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // after "pid (comm) ": state(0) ppid(1) ... utime(11) stime(12)
    return { comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

const roleOfPid = new Map<number, string>();
function labelFor(pid: number, comm: string): string {
  if (pid === process.pid) return 'load generator (this process)';
  const r = roleOfPid.get(pid);
  if (r) return r;
  if (comm === 'postgres') return 'PostgreSQL';
  if (comm.startsWith('embedded-store')) return 'store (FerretDB + front)';
  if (comm.startsWith('redis-server')) return 'redis-server';
  return comm;
}

function cpuSnapshot(): CpuSnap {
  const all = new Map<number, { comm: string; ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = readStat(Number(d));
    if (st) all.set(Number(d), st);
  }
  const children = new Map<number, number[]>();
  for (const [pid, st] of all) {
    const list = children.get(st.ppid) ?? [];
    list.push(pid);
    children.set(st.ppid, list);
  }
  const perPid = new Map<number, { label: string; ticks: number }>();
  const stack = [process.pid];
  while (stack.length) {
    const pid = stack.pop()!;
    const st = all.get(pid);
    if (st) perPid.set(pid, { label: labelFor(pid, st.comm), ticks: st.ticks });
    stack.push(...(children.get(pid) ?? []));
  }
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = cpuLine.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpuLine[3] + (cpuLine[4] ?? 0);
  return { perPid, total, idle, at: performance.now() };
}

/** CPU seconds per label between two snapshots (processes that ended in between are not counted). */
function cpuBetween(a: CpuSnap, b: CpuSnap) {
  const byLabel = new Map<string, number>();
  for (const [pid, v] of b.perPid) {
    const before = a.perPid.get(pid)?.ticks ?? 0;
    byLabel.set(v.label, (byLabel.get(v.label) ?? 0) + (v.ticks - before) / CLK_TCK);
  }
  const wall = (b.at - a.at) / 1000;
  const busy = 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  let ours = 0;
  for (const v of byLabel.values()) ours += v;
  // Whatever else runs on the machine (other users' tests, browsers...) competes for the same cores.
  const outside = Math.max(0, busy * cpus().length - ours / Math.max(wall, 1e-9));
  return { wall, byLabel, machineBusy: busy, outside };
}

// ---------------------------------------------------------------------------------------------
// small helpers

async function pool(n: number, count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, count) }, worker));
}

async function postJson(url: string, body: unknown, token?: string): Promise<any> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`POST ${new URL(url).pathname}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function connectSocket(url: string, token: string): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = io(url, { auth: { token }, transports: ['websocket'], forceNew: true, reconnection: true, timeout: 20_000 });
    const t = setTimeout(() => {
      s.close();
      rej(new Error(`socket ${url}: no connect after 30 s`));
    }, 30_000);
    s.once('connect', () => {
      clearTimeout(t);
      res(s);
    });
    s.once('connect_error', (e) => {
      clearTimeout(t);
      s.close();
      rej(new Error(`socket ${url}: ${e.message}`));
    });
  });
}

interface Dist {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}
function dist(values: Float64Array | number[]): Dist {
  const a = Float64Array.from(values).sort();
  const n = a.length;
  if (!n) return { n, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const q = (p: number) => a[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]; // nearest rank
  let sum = 0;
  for (const v of a) sum += v;
  return { n, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: a[n - 1], mean: sum / n };
}

// ---------------------------------------------------------------------------------------------
// one phase

interface PhaseResult {
  name: string;
  sent: number; // paced messages sent (warm-up + measured)
  measured: number; // of which in the measured window
  openers: number;
  openersLost: number;
  acked: number; // paced messages with an answer (ok or not)
  ackOk: number; // ok answers, openers included
  nacks: Map<string, number>;
  delivered: number; // distinct paced messages the agent saw
  lost: number; // paced + openers never seen within the grace period
  lostButAcked: number;
  duplicates: number;
  unexpected: number;
  latency: Dist; // measured window: emit → agent event
  ack: Dist; // measured window: emit → ack
  perSecondP99: number[];
  sendLag: Dist; // how late the generator emitted against the schedule
  achievedRate: number; // measured messages / measured send window
  disconnects: number;
  cpu: ReturnType<typeof cpuBetween>;
  setupMs: number;
  proc?: Proc;
}

async function runPhase(name: 'hub' | 'relay', base: string, proc: Proc): Promise<PhaseResult> {
  const tSetup = performance.now();
  const log = (s: string) => console.error(`bench[${name}]: ${s}`);

  // --- agent
  const agentToken = name === 'hub' ? (await postJson(`${base}/api/auth/login`, { username: 'agent1', password: 'agent1pass' })).token : 'agent';
  const agent = await connectSocket(`${base}/agent`, agentToken);
  let closing = false;
  let disconnects = 0;
  agent.on('disconnect', (reason) => {
    if (!closing) {
      disconnects++;
      log(`agent socket disconnected: ${reason}`);
    }
  });

  const warmN = Math.round(RATE * WARMUP_S);
  const N = warmN + Math.round(RATE * DURATION_S);
  const sentAt = new Float64Array(N);
  const ackAt = new Float64Array(N);
  const seenAt = new Float64Array(N);
  const seenCount = new Uint8Array(N);
  const openerSeen = new Uint8Array(CLIENTS);
  let duplicates = 0;
  let unexpected = 0;
  let seenUnique = 0;
  let openersSeen = 0;

  agent.on('message.created', (p: { message?: { text?: unknown } }) => {
    const t = performance.now();
    const text = p?.message?.text;
    if (typeof text !== 'string') return void unexpected++;
    if (text.charCodeAt(0) === 119 /* w: opener */) {
      const i = parseInt(text.slice(1), 10);
      if (!(i >= 0 && i < CLIENTS)) return void unexpected++;
      if (openerSeen[i]++ === 0) openersSeen++;
      else duplicates++;
      return;
    }
    const seq = parseInt(text, 10);
    if (!(seq >= 0 && seq < N) || sentAt[seq] === 0) return void unexpected++;
    if (seenCount[seq] === 0) {
      seenAt[seq] = t;
      seenUnique++;
    } else duplicates++;
    if (seenCount[seq] < 255) seenCount[seq]++;
  });

  // --- visitors: sessions, then sockets
  const tokens: string[] = new Array(CLIENTS);
  if (name === 'hub') {
    await pool(16, CLIENTS, async (i) => {
      tokens[i] = (await postJson(`${base}/api/webchat/session`, { name: `Bench visitor ${i}`, locale: 'en' })).token;
    });
  } else {
    for (let i = 0; i < CLIENTS; i++) tokens[i] = `visitor-${i}`;
  }
  log(`${CLIENTS} sessions in ${((performance.now() - tSetup) / 1000).toFixed(1)} s`);
  const sockets: Socket[] = new Array(CLIENTS);
  await pool(50, CLIENTS, async (i) => {
    sockets[i] = await connectSocket(`${base}/webchat`, tokens[i]);
    sockets[i].on('disconnect', (reason) => {
      if (!closing) {
        disconnects++;
        if (disconnects <= 5) log(`visitor ${i} disconnected: ${reason}`);
      }
    });
  });
  const closeAll = () => {
    closing = true;
    for (const s of sockets) s?.close();
    agent.close();
  };
  cleanups.push(closeAll);

  // --- openers: one message per visitor opens its conversation (not timed)
  const nacks = new Map<string, number>();
  let ackOk = 0;
  const nack = (r: any) => {
    const code = String(r?.error?.code ?? 'no_answer');
    nacks.set(code, (nacks.get(code) ?? 0) + 1);
  };
  const runTag = randomBytes(3).toString('hex');
  await pool(25, CLIENTS, async (i) => {
    const r = await sockets[i].timeout(30_000).emitWithAck('message.send', { clientId: `open-${runTag}-${i}`, text: `w${i} ${FILLER}` }).catch(() => ({ ok: false, error: { code: 'ack_timeout' } }));
    if (r?.ok) ackOk++;
    else nack(r);
  });
  const openDeadline = performance.now() + 30_000;
  while (!aborting && openersSeen < CLIENTS && performance.now() < openDeadline) await sleep(20);
  log(`${CLIENTS} conversations open; setup ${((performance.now() - tSetup) / 1000).toFixed(1)} s`);
  // Opening 500 conversations at once sets off work in the target that outlasts the openers by
  // seconds (routing 500 arrivals, inbox entries, queue positions to 500 visitors, events): a
  // different load from the one measured. The paced load starts once the target has settled.
  if (proc.proc.pid) {
    const settled = await settle(proc.proc.pid, SETTLE_CPU, 20_000);
    log(`target settled in ${(settled.ms / 1000).toFixed(1)} s (CPU ${settled.cpu.toFixed(0)}% of a core over the last 0.5 s)`);
  }
  const setupMs = performance.now() - tSetup;

  // --- paced load. Precomputed payloads; message seq goes to visitor seq % CLIENTS.
  const payloads = Array.from({ length: N }, (_, seq) => ({ clientId: `b-${runTag}-${seq.toString(36)}`, text: `${seq} ${FILLER}` }));
  const acks: ((r: any) => void)[] = Array.from({ length: N }, (_, seq) => (r: any) => {
    ackAt[seq] = performance.now();
    if (r?.ok) ackOk++;
    else nack(r);
  });
  const lag = new Float64Array(N);
  const interval = 1000 / RATE;
  let cpuStart: CpuSnap | undefined;
  const t0 = performance.now() + 100;
  let next = 0;
  let lastReport = t0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (next < N) {
        const due = t0 + next * interval;
        if (due > now) break;
        if (next === warmN) cpuStart = cpuSnapshot();
        const t = performance.now();
        sentAt[next] = t;
        lag[next] = t - due;
        sockets[next % CLIENTS].emit('message.send', payloads[next], acks[next]);
        next++;
      }
      if (now - lastReport >= 5000) {
        lastReport = now;
        log(`${((now - t0) / 1000).toFixed(0)} s: sent ${next}, delivered ${seenUnique}`);
      }
      if (next >= N || aborting) return done();
      setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  const sendEnd = performance.now();
  cpuStart ??= cpuSnapshot();
  const cpuEnd = cpuSnapshot();

  // --- stragglers
  const countAcked = () => {
    let n = 0;
    for (let i = 0; i < N; i++) if (ackAt[i] > 0) n++;
    return n;
  };
  const graceEnd = sendEnd + GRACE_S * 1000;
  while (!aborting && performance.now() < graceEnd && (seenUnique < N || openersSeen < CLIENTS || countAcked() < N)) await sleep(20);
  await sleep(300); // a late duplicate would show up here
  closeAll();

  // --- results
  const lat: number[] = [];
  const ackLat: number[] = [];
  const secs = Math.ceil(DURATION_S);
  const perSecond: number[][] = Array.from({ length: secs }, () => []);
  let lostButAcked = 0;
  let lost = 0;
  for (let i = 0; i < N; i++) {
    if (seenCount[i] === 0) {
      lost++;
      if (ackAt[i] > 0) lostButAcked++;
      continue;
    }
    if (i < warmN) continue;
    const l = seenAt[i] - sentAt[i];
    lat.push(l);
    if (ackAt[i] > 0) ackLat.push(ackAt[i] - sentAt[i]);
    perSecond[Math.min(secs - 1, Math.floor((i - warmN) / RATE))].push(l);
  }
  const measured = N - warmN;
  const firstMeasured = sentAt[warmN];
  const window = (sentAt[N - 1] - firstMeasured) / 1000;
  return {
    name,
    sent: N,
    measured,
    openers: CLIENTS,
    openersLost: CLIENTS - openersSeen,
    acked: countAcked(),
    ackOk,
    nacks,
    delivered: seenUnique,
    lost: lost + (CLIENTS - openersSeen),
    lostButAcked,
    duplicates,
    unexpected,
    latency: dist(lat),
    ack: dist(ackLat),
    perSecondP99: perSecond.map((v) => dist(v).p99),
    sendLag: dist(lag.subarray(warmN)),
    achievedRate: measured > 1 && window > 0 ? (measured - 1) / window : NaN,
    disconnects,
    cpu: cpuBetween(cpuStart, cpuEnd),
    setupMs,
    proc,
  };
}

// ---------------------------------------------------------------------------------------------
// report

const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)) : '-');
const int = (v: number) => v.toLocaleString('en-US');

function printReport(results: PhaseResult[]) {
  const cols = results.map((r) => r.name);
  const row = (label: string, f: (r: PhaseResult) => string) => console.log(`  ${label.padEnd(34)}${results.map((r) => f(r).padStart(14)).join('')}`);
  console.log('');
  console.log(`web chat visitor → agent, ${CLIENTS} visitors, ${int(RATE)} msg/s, ${DURATION_S} s measured (+${WARMUP_S} s warm-up), ${cpus().length} cores, ${new Date().toISOString()}`);
  console.log(`  ${''.padEnd(34)}${cols.map((c) => c.padStart(14)).join('')}`);
  row('messages sent (measured)', (r) => int(r.measured));
  row('messages sent (incl. warm-up+open)', (r) => int(r.sent + r.openers));
  row('acked ok', (r) => int(r.ackOk));
  row('nacked / ack errors', (r) => int([...r.nacks.values()].reduce((a, b) => a + b, 0)));
  row('delivered to the agent', (r) => int(r.delivered + r.openers - r.openersLost));
  row(`lost (not seen within ${GRACE_S} s)`, (r) => int(r.lost));
  row('duplicates', (r) => int(r.duplicates));
  row('unexpected events', (r) => int(r.unexpected));
  row('socket disconnects', (r) => int(r.disconnects));
  row('latency p50 (ms)', (r) => ms(r.latency.p50));
  row('latency p90 (ms)', (r) => ms(r.latency.p90));
  row('latency p99 (ms)', (r) => ms(r.latency.p99));
  row('latency p99.9 (ms)', (r) => ms(r.latency.p999));
  row('latency max (ms)', (r) => ms(r.latency.max));
  row('latency mean (ms)', (r) => ms(r.latency.mean));
  row('ack p50 / p99 (ms)', (r) => `${ms(r.ack.p50)} / ${ms(r.ack.p99)}`);
  row('achieved send rate (msg/s)', (r) => r.achievedRate.toFixed(0));
  row('generator lag p99 / max (ms)', (r) => `${ms(r.sendLag.p99)} / ${ms(r.sendLag.max)}`);
  row(`machine busy (${cpus().length} cores = 100%)`, (r) => `${(r.cpu.machineBusy * 100).toFixed(0)}%`);
  row('  CPU outside this benchmark', (r) => `${(r.cpu.outside * 100).toFixed(0)}%`);
  const labels = [...new Set(results.flatMap((r) => [...r.cpu.byLabel.keys()]))];
  for (const l of labels) {
    if (results.every((r) => (r.cpu.byLabel.get(l) ?? 0) / r.cpu.wall < 0.005)) continue;
    row(`  CPU ${l} (% of a core)`, (r) => `${(((r.cpu.byLabel.get(l) ?? 0) / r.cpu.wall) * 100).toFixed(0)}%`);
  }
  for (const r of results) console.log(`  p99 per second, ${r.name.padEnd(6)} ${r.perSecondP99.map((v) => ms(v)).join(' ')}`);
  const hub = results.find((r) => r.name === 'hub');
  const relay = results.find((r) => r.name === 'relay');
  if (hub && relay) {
    const r99 = hub.latency.p99 / relay.latency.p99;
    const r50 = hub.latency.p50 / relay.latency.p50;
    console.log(`  ratio hub/relay: p99 ${r99.toFixed(1)}x, p50 ${r50.toFixed(1)}x`);
    console.log(`  target hub p99 < ${TARGET_P99_MS} ms: ${hub.latency.p99 < TARGET_P99_MS ? 'met' : 'MISSED'} (${ms(hub.latency.p99)} ms)`);
    console.log(`  target p99 ratio < ${TARGET_RATIO}: ${r99 < TARGET_RATIO ? 'met' : 'MISSED'} (${r99.toFixed(1)}x)`);
  } else if (hub) {
    console.log(`  target hub p99 < ${TARGET_P99_MS} ms: ${hub.latency.p99 < TARGET_P99_MS ? 'met' : 'MISSED'} (${ms(hub.latency.p99)} ms)`);
  }
  if (results.some((r) => r.cpu.outside > 0.25)) console.log(`  NOTE: other processes used more than a quarter of a core during a phase: latencies are inflated by them`);
  for (const r of results) {
    for (const [code, n] of r.nacks) console.log(`  ${r.name}: ${n} nack(s) ${code}`);
    if (r.lostButAcked) console.log(`  ${r.name}: ${r.lostButAcked} acked (stored) but never seen by the agent`);
    if (r.proc?.errors.length) console.log(`  ${r.name}: ${r.proc.errors.length} error log line(s), first: ${r.proc.errors[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------

/** A database name of our own on the given MongoDB URI (keeps host list and options). */
function withDatabase(uri: string, db: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!m) throw new Error(`unexpected MongoDB URI: ${uri}`);
  return `${m[1]}/${db}${m[2] ?? ''}`;
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(tmpdir(), 'cchub-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const phases = ONLY ? [ONLY] : ['relay', 'hub'];
  if (phases.some((p) => p !== 'hub' && p !== 'relay')) throw new Error(`--only must be hub or relay`);
  console.error(`bench: ${CLIENTS} visitors, ${RATE} msg/s, ${WARMUP_S}+${DURATION_S} s per phase, phases ${phases.join(', ')}; temp ${tmp}`);

  const results: PhaseResult[] = [];
  let svc: Embedded | undefined;
  const externalMongo = !!process.env.MONGODB_URI;
  const externalRedis = !!process.env.REDIS_URL;

  for (const phase of phases) {
    if (phase === 'relay') {
      const relay = await startNodeChild('relay', 'bench/relay.ts', { ...process.env }, /relay listening on (http:\/\/\S+)/, 60_000);
      roleOfPid.set(relay.proc.pid!, 'relay');
      const r = await runPhase('relay', relay.url, relay);
      results.push(r);
      await relay.stop();
      continue;
    }
    if (!svc) {
      const t = performance.now();
      svc = await startEmbedded({ dir: tmp }); // the temp dir itself: embedded.ts opens it to the postgres user
      cleanups.push(() => svc!.stop());
      console.error(`bench: embedded services up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const db = `cchub_bench_${randomBytes(4).toString('hex')}`;
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const mongoUri = withDatabase(svc.mongoUri, db);
    if (externalMongo || externalRedis) cleanups.push(() => dropBenchData(externalMongo ? mongoUri : undefined, externalRedis ? svc!.redisUrl : undefined, prefix));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MONGODB_URI: mongoUri,
      REDIS_URL: svc.redisUrl,
      CCHUB_REDIS_PREFIX: prefix,
      CCHUB_JWT_SECRET: randomBytes(32).toString('hex'),
      PORT: '0',
      HOST: '127.0.0.1',
      CCHUB_SEED_DEMO: '1',
      LOG_LEVEL: 'warn',
      CCHUB_DATA_DIR: join(tmp, 'hub-data'),
      CCHUB_WEBCHAT_SESSIONS_PER_IP_PER_MINUTE: String(Math.max(1000, CLIENTS * 10)),
      CCHUB_WEBCHAT_MESSAGES_PER_10S: String(1_000_000),
    };
    if (INGEST_MAX_IN_FLIGHT || INGEST_MAX_BATCH) {
      const file = join(tmp, 'cchub.config.json');
      const ingest: Record<string, number> = {};
      if (INGEST_MAX_IN_FLIGHT) ingest.maxInFlight = Number(INGEST_MAX_IN_FLIGHT);
      if (INGEST_MAX_BATCH) ingest.maxBatch = Number(INGEST_MAX_BATCH);
      writeFileSync(file, JSON.stringify({ ingest }));
      env.CCHUB_CONFIG = file;
      console.error(`bench: hub ingest config ${JSON.stringify(ingest)}`);
    }
    const hub = await startNodeChild('hub', 'scripts/start.ts', env, /hub listening on (http:\/\/\S+)/, 120_000);
    roleOfPid.set(hub.proc.pid!, 'hub');
    const r = await runPhase('hub', hub.url, hub);
    results.push(r);
    if (!hub.running()) hub.errors.push(`hub exited during the run (code ${await hub.exited})`);
    await hub.stop();
  }

  printReport(results);
  const failed = results.filter((r) => r.lost || r.duplicates || r.unexpected || r.nacks.size || r.disconnects || r.proc?.errors.length);
  if (failed.length) {
    console.log(`FAILED: ${failed.map((r) => r.name).join(', ')}: lost, duplicated or unexpected messages, nacks, disconnects or errors (see above)`);
    return 1;
  }
  console.log('OK: every message delivered exactly once');
  return 0;
}

/** Only when running against external servers: remove what this run wrote there. */
async function dropBenchData(mongoUri: string | undefined, redisUrl: string | undefined, prefix: string) {
  if (mongoUri) {
    const { default: mongoose } = await import('mongoose');
    const c = await mongoose.createConnection(mongoUri, { serverSelectionTimeoutMS: 5_000 }).asPromise();
    await c.dropDatabase().finally(() => c.close());
  }
  if (redisUrl) {
    const { Redis } = await import('ioredis');
    const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [c, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = c;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  }
}

// ---------------------------------------------------------------------------------------------

const budgetMs = 420_000 + 2 * (WARMUP_S + DURATION_S + GRACE_S) * 1000;
await runBench(main, cleanup, budgetMs);
