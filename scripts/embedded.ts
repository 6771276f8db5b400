/**
 * Embedded services for `npm start`, `npm test`, benchmarks and CI: a private PostgreSQL 15
 * cluster, the MongoDB-compatible store on top of it (FerretDB 1.24 behind our write-serialising
 * wire front, see scripts/embedded-store/main.go) and a redis-server.
 *
 *   const svc = await startEmbedded({ dir: '/tmp/somewhere' });
 *   // svc.mongoUri  = 'mongodb://127.0.0.1:PORT/'   svc.redisUrl = 'redis://127.0.0.1:PORT'
 *   await svc.stop();
 *
 * Env: MONGODB_URI set → no PostgreSQL/store is started and it is returned as mongoUri;
 *      REDIS_URL set   → no redis-server is started and it is returned as redisUrl.
 *
 * Children die with this process: long-running children are started under `setpriv
 * --pdeathsig` (Linux kills them when the spawning thread dies, even by SIGKILL), the store also
 * exits when its stdin pipe closes, and an 'exit' handler signals whatever is still running.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, chmodSync, chownSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Embedded {
  mongoUri: string;
  redisUrl: string;
  /** The services running now, by name (postgres, embedded-store, redis-server) and pid. */
  services(): { name: string; pid: number | undefined }[];
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Working directory: PostgreSQL cluster in `${dir}/pg`, Redis files in `${dir}/redis`. */
  dir: string;
  /** Public MongoDB port; default: a free port. */
  mongoPort?: number;
  /** Redis port; default: a free port. */
  redisPort?: number;
  /** PostgreSQL port; default: a free port. */
  pgPort?: number;
  /** Keep data across runs (initdb fsyncs). Data in `dir` is always reused if present. */
  persistent?: boolean;
  /**
   * Restart a service that dies unexpectedly (killed, crashed), on the same port and data, so clients
   * reconnect by themselves: `npm start` sets it. At most 5 restarts of one service per minute.
   */
  supervise?: { log(message: string): void };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PG_USER = 'cchub';
/** Equality-lookup fields of the hub's indexes (see the -gin-fields flag of the store). */
const GIN_FIELDS = ['_id', 'customerId', 'conversationId', 'externalId', 'openKey', 'username', 'assigneeId', 'agentId'];
const READY_TIMEOUT_MS = 60_000;
const STORE_READY_TIMEOUT_MS = 180_000; // includes a possible cold Go build
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// child process helpers

/** A long-running child with the tail of its output kept for error messages. */
class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined = undefined;
  private tail: string[] = [];

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { pdeathsig?: string; stdin?: 'pipe' | 'ignore'; onStdoutLine?: (line: string) => void } = {},
  ) {
    let file = cmd;
    let argv = args;
    // PR_SET_PDEATHSIG fires when the *thread* that spawned the child exits; only use it from the
    // main thread (a worker thread's exit would otherwise kill the service under everybody).
    if (opts.pdeathsig && isMainThread && hasSetpriv()) {
      file = 'setpriv';
      argv = ['--pdeathsig', opts.pdeathsig, '--', cmd, ...args];
    }
    this.proc = spawn(file, argv, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((res) => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        res(code);
      });
      this.proc.on('error', (err) => {
        this.remember(`spawn error: ${err.message}`);
        this.exitCode = -1;
        res(-1);
      });
    });
    const feed = (stream: NodeJS.ReadableStream | null, onLine?: (l: string) => void) =>
      eachLine(stream, (line) => {
        this.remember(line);
        onLine?.(line);
      });
    feed(this.proc.stdout, opts.onStdoutLine);
    feed(this.proc.stderr);
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  private remember(line: string) {
    this.tail.push(line);
    if (this.tail.length > 30) this.tail.shift();
  }

  get running() {
    return this.exitCode === undefined;
  }

  /** The service's own pid (setpriv execs it, so the spawned pid is the service's). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  lastLines(n = 15) {
    return this.tail.slice(-n).join('\n');
  }

  /** Signal, wait up to `graceMs`, then SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) {
    if (!this.running) return;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Children still running, for the best-effort exit handler. */
const live = new Set<Child>();
const stopSignal = new Map<Child, NodeJS.Signals>();
/** Clusters placed outside their `dir` (see pgHome), by dir: removed on stop unless persistent. */
const relocatedClusters = new Map<string, string>();
let exitHandlerInstalled = false;
/** Call fn with every complete line a child writes to a stream. */
export function eachLine(stream: NodeJS.ReadableStream | null, fn: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      fn(line);
    }
  });
}

function installExitHandler() {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.proc.kill(stopSignal.get(c) ?? 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  });
}

let setprivChecked: boolean | undefined;
function hasSetpriv() {
  if (setprivChecked === undefined) {
    setprivChecked = ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => existsSync(p));
  }
  return setprivChecked;
}

function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : -1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === -1 ? err.message : '') });
    });
  });
}

/** Runs a PostgreSQL server-side binary as the postgres user when we are root (it refuses root). */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** Polls `check` until it returns true, the child dies, or the deadline passes. */
async function pollUntil(
  what: string,
  child: Child | undefined,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    if (child && !child.running) {
      throw new Error(`${what}: process exited (code ${child.exitCode}) before it was ready.\n${child.lastLines()}`);
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready after ${timeoutMs} ms.${child ? `\n${child.lastLines()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Where relocated clusters live when the checkout is out of the postgres user's reach. */
const RELOCATED_PG_BASE = '/var/lib/cchub';

/**
 * The directory of the PostgreSQL cluster for `dir`: `${dir}/pg`, or, when we are root and the
 * postgres user cannot reach `dir` (a checkout under /root, mode 700, or any parent it cannot
 * traverse), a postgres-owned directory under /var/lib/cchub named after `dir`'s path, so the same
 * checkout finds its data again. PostgreSQL refuses to run as root, so it cannot live where only
 * root may enter; opening /root to others would be worse.
 */
async function pgHome(dir: string): Promise<{ pgDir: string; relocated: boolean }> {
  const inside = join(dir, 'pg');
  if (!isRoot) return { pgDir: inside, relocated: false };
  // The postgres user must be able to reach its directory: `dir` itself we may open (it is ours).
  const st = statSync(dir);
  if ((st.mode & 0o001) === 0) chmodSync(dir, st.mode | 0o711);
  const probe = await run('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]);
  if (probe.code === 0) return { pgDir: inside, relocated: false };
  mkdirSync(RELOCATED_PG_BASE, { recursive: true, mode: 0o711 });
  const name = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return { pgDir: join(RELOCATED_PG_BASE, `pg-${name}`), relocated: true };
}

async function startPostgres(dir: string, port: number, persistent: boolean): Promise<Child> {
  const { pgDir, relocated } = await pgHome(dir);
  const data = join(pgDir, 'data');
  if (!existsSync(join(PG_BIN, 'postgres'))) {
    throw new Error(`PostgreSQL 15 not found in ${PG_BIN}: run bash scripts/setup.sh`);
  }
  if (relocated) {
    // Say where the data went, next to where it would have been.
    writeFileSync(join(dir, 'pg-location.txt'), `The postgres user cannot reach this directory, so the PostgreSQL cluster lives in\n${pgDir}\n`);
    relocatedClusters.set(dir, pgDir);
  }
  if (isRoot) {
    const pw = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!pw) throw new Error('no postgres user on this machine (is the postgresql package installed?)');
    const [, , uid, gid] = pw.split(':');
    mkdirSync(pgDir, { recursive: true });
    chownSync(pgDir, Number(uid), Number(gid));
    chmodSync(pgDir, 0o700);
  } else {
    mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  }

  if (!existsSync(join(data, 'PG_VERSION'))) {
    if (existsSync(data)) rmSync(data, { recursive: true, force: true }); // half-made by a crash
    const args = ['-D', data, '-A', 'trust', '-U', PG_USER, '-E', 'UTF8', '--locale=C'];
    if (!persistent) args.push('--no-sync');
    const [c, a] = asPostgres(join(PG_BIN, 'initdb'), args);
    const r = await run(c, a);
    if (r.code !== 0) throw new Error(`initdb failed (code ${r.code}):\n${r.stderr}${r.stdout}`);
  }

  await clearStalePostmaster(data);

  const pgArgs = [
    '-D', data,
    '-p', String(port),
    '-k', '', // no Unix socket (path-length limits, permissions): loopback TCP only
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=on',
    // A new WAL segment is created by writing its 16 MB of zeros inline, in the transaction that
    // needs it (every few seconds under chat load on a fresh cluster): a 20-50 ms stall for every
    // writer. Off, the file is extended instead; commits are fsynced exactly as before.
    '-c', 'wal_init_zero=off',
    // FerretDB passes a filter's field name as a query parameter (`_jsonb -> $1 @> $2`): planned
    // with the parameter folded in, the GIN companions of the store's indexes can serve it.
    '-c', 'plan_cache_mode=force_custom_plan',
    '-c', 'max_connections=200',
  ];
  // Keep postgres our direct child so the parent-death signal reaches it: as root we switch user
  // with setpriv itself (runuser would stay in between and outlive us).
  let child: Child;
  if (isRoot && isMainThread && hasSetpriv()) {
    child = new Child('postgres', 'setpriv', [
      '--reuid', 'postgres', '--regid', 'postgres', '--init-groups', '--pdeathsig', 'INT', '--',
      join(PG_BIN, 'postgres'), ...pgArgs,
    ]);
  } else {
    const [c, a] = asPostgres(join(PG_BIN, 'postgres'), pgArgs);
    child = new Child('postgres', c, a, { pdeathsig: 'INT' });
  }
  stopSignal.set(child, 'SIGINT'); // SIGINT = PostgreSQL's "fast" shutdown

  await pollUntil(`PostgreSQL on 127.0.0.1:${port}`, child, READY_TIMEOUT_MS, async () => {
    const r = await run(join(PG_BIN, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', 'postgres']);
    return r.code === 0;
  });

  const r = await run(join(PG_BIN, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, 'ferretdb']);
  if (r.code !== 0 && !/already exists/.test(r.stderr)) {
    await child.stop('SIGINT');
    throw new Error(`createdb ferretdb failed: ${r.stderr}`);
  }
  return child;
}

/** A previous run that crashed may have left its postmaster running or its pid file behind. */
async function clearStalePostmaster(data: string) {
  const pidFile = join(data, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let isPostgres = false;
  try {
    isPostgres = Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    /* not running */
  }
  if (isPostgres) {
    const [c, a] = asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w', '-t', '30']);
    const r = await run(c, a);
    if (r.code !== 0) throw new Error(`a PostgreSQL (pid ${pid}) is running on ${data} and would not stop: ${r.stderr}`);
  } else {
    rmSync(pidFile, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// the store (FerretDB + front)

async function storeBinary(): Promise<string> {
  const r = await run('bash', [join(repoRoot, 'scripts', 'build-store.sh')], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`building the embedded store failed:\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

async function startStore(pgPort: number, mongoPort: number): Promise<{ child: Child; addr: string }> {
  const bin = await storeBinary();
  let ready: (addr: string) => void;
  const readyLine = new Promise<string>((r) => (ready = r));
  let addr: string | undefined;
  const child = new Child(
    'embedded-store',
    bin,
    [
      '-listen', `127.0.0.1:${mongoPort}`,
      '-postgresql-url', `postgres://${PG_USER}@127.0.0.1:${pgPort}/ferretdb`,
      '-stdin-watch',
      // Fields the hub looks documents up by: their indexes get GIN companions FerretDB's
      // filters can use (scripts/embedded-store/gin.go). Not the fields of range queries.
      '-gin-fields', GIN_FIELDS.join(','),
    ],
    {
      pdeathsig: 'TERM',
      stdin: 'pipe', // closes when we die: the store's -stdin-watch stops it
      onStdoutLine: (line) => {
        const m = /^READY (\S+)/.exec(line);
        if (m) ready(m[1]);
      },
    },
  );
  void readyLine.then((a) => (addr = a));
  await pollUntil(`embedded store (FerretDB) on 127.0.0.1:${mongoPort || 'auto'}`, child, STORE_READY_TIMEOUT_MS, async () => {
    await Promise.race([readyLine, new Promise((r) => setTimeout(r, 100))]);
    return addr !== undefined;
  });
  return { child, addr: addr! };
}

// ---------------------------------------------------------------------------------------------
// Redis

function redisPing(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

async function startRedis(dir: string, port: number): Promise<Child> {
  const rdir = join(dir, 'redis');
  mkdirSync(rdir, { recursive: true });
  const child = new Child(
    'redis-server',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', rdir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    { pdeathsig: 'TERM' },
  );
  await pollUntil(`redis-server on 127.0.0.1:${port}`, child, READY_TIMEOUT_MS, () => redisPing(port));
  return child;
}

/** Runs `start` on the given port, or on freshly picked free ports with a few retries (another
 *  process may grab a picked port between our probe and the child's bind). */
async function withPort<T>(given: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  if (given) return start(given);
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      lastErr = err;
      if (!/exited|in use/i.test(String(err))) break;
    }
  }
  throw lastErr;
}

// ---------------------------------------------------------------------------------------------

/**
 * Start `child` again whenever it exits while we are not stopping: same port, same data (PostgreSQL
 * recovers from its WAL, Redis from its append-only file), so the hub's clients reconnect by
 * themselves. `started` (what stop() stops) follows the replacement. Gives up after 5 restarts in a
 * minute (something is wrong that a restart does not fix).
 */
function supervise(child: Child, restart: () => Promise<Child>, log: (m: string) => void, stopping: () => boolean, started: Child[]): void {
  const recent: number[] = [];
  const watch = (c: Child) =>
    void c.exited.then(async () => {
      if (stopping()) return;
      const now = Date.now();
      while (recent.length && now - recent[0] > 60_000) recent.shift();
      if (recent.length >= 5) {
        log(`embedded ${c.name} exited (code ${c.exitCode}) for the 6th time in a minute; not restarting it.\n${c.lastLines()}`);
        return;
      }
      recent.push(now);
      log(`embedded ${c.name} exited unexpectedly (code ${c.exitCode}); restarting it`);
      for (let attempt = 1; ; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 2000)));
        if (stopping()) return;
        try {
          const next = await restart();
          if (stopping()) {
            await next.stop();
            return;
          }
          started[started.indexOf(c)] = next;
          if (stopSignal.has(c)) stopSignal.set(next, stopSignal.get(c)!);
          log(`embedded ${c.name} is back`);
          watch(next);
          return;
        } catch (e) {
          if (attempt >= 10) {
            log(`embedded ${c.name} could not be restarted: ${(e as Error).message}`);
            return;
          }
        }
      }
    });
  watch(child);
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  installExitHandler();
  const started: Child[] = [];

  const stopAll = async () => {
    // Store first (it holds connections into PostgreSQL), then PostgreSQL and Redis.
    const store = started.filter((c) => c.name === 'embedded-store');
    const rest = started.filter((c) => c.name !== 'embedded-store');
    await Promise.all(store.map((c) => c.stop('SIGTERM')));
    await Promise.all(rest.map((c) => c.stop(stopSignal.get(c) ?? 'SIGTERM', 30_000)));
    // A throw-away cluster kept outside a temp dir goes with it.
    const moved = relocatedClusters.get(dir);
    if (moved && !opts.persistent) rmSync(moved, { recursive: true, force: true });
  };

  try {
    let mongoUri = process.env.MONGODB_URI;
    let redisUrl = process.env.REDIS_URL;

    /** How to start each service again on the port it got (for supervise). */
    const restarts = new Map<Child, () => Promise<Child>>();
    const mongoReady = mongoUri
      ? Promise.resolve()
      : (async () => {
          const pg = await withPort(opts.pgPort, (p) => startPostgres(dir, p, !!opts.persistent).then((c) => ({ c, p })));
          started.push(pg.c);
          restarts.set(pg.c, () => startPostgres(dir, pg.p, !!opts.persistent));
          const store = await startStore(pg.p, opts.mongoPort ?? 0);
          started.push(store.child);
          const storePort = Number(store.addr.split(':').pop());
          restarts.set(store.child, () => startStore(pg.p, storePort).then((s) => s.child));
          mongoUri = `mongodb://${store.addr}/`;
        })();
    const redisReady = redisUrl
      ? Promise.resolve()
      : (async () => {
          const r = await withPort(opts.redisPort, (p) => startRedis(dir, p).then((c) => ({ c, p })));
          started.push(r.c);
          restarts.set(r.c, () => startRedis(dir, r.p));
          redisUrl = `redis://127.0.0.1:${r.p}`;
        })();
    const results = await Promise.allSettled([mongoReady, redisReady]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    let stopped: Promise<void> | undefined;
    if (opts.supervise) for (const c of [...started]) supervise(c, restarts.get(c)!, opts.supervise.log, () => stopped !== undefined, started);
    return {
      mongoUri: mongoUri!,
      redisUrl: redisUrl!,
      services: () => started.map((c) => ({ name: c.name, pid: c.pid })),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
