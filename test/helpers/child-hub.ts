/**
 * Hubs as real child processes (scripts/start.ts, `npm start`'s entry) on the test store and Redis,
 * so a test can SIGKILL one: nothing of it runs on, not even a timer, exactly as in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream } from 'node:fs';
import { TEST_JWT_SECRET } from './hub.js';
import { testRedisUrl } from './db.js';

export interface ChildHub {
  child: ChildProcess;
  url: string;
  /** False once the process exited (killed or crashed). */
  readonly alive: boolean;
}

/** Start a hub; resolves once it prints "hub listening on". `env` adds to (and overrides) the defaults. */
export function startChildHub(opts: { mongoUri: string; redisPrefix: string; dataDir: string; env?: Record<string, string> }): Promise<ChildHub> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      MONGODB_URI: opts.mongoUri,
      REDIS_URL: testRedisUrl(),
      CCHUB_REDIS_PREFIX: opts.redisPrefix,
      CCHUB_JWT_SECRET: TEST_JWT_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      CCHUB_SEED_DEMO: '0',
      LOG_LEVEL: 'warn',
      CCHUB_DATA_DIR: opts.dataDir,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // CCHUB_TEST_CHILD_LOG=FILE-PREFIX keeps every child's output (pid appended) for a failure's post-mortem.
  if (process.env.CCHUB_TEST_CHILD_LOG) {
    const out = createWriteStream(`${process.env.CCHUB_TEST_CHILD_LOG}-${child.pid}.log`);
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
  }
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not start within 120 s; stderr: ${stderr}`));
    }, 120_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /hub listening on (http:\/\/\S+)/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        child,
        url: m[1],
        get alive() {
          return child.exitCode === null && child.signalCode === null;
        },
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hub exited before listening (${code ?? signal}); stderr: ${stderr}`));
    });
  });
}

export function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

/** Whether this hub holds the routing lease now (its /metrics gauge). */
export async function leadsRouting(url: string): Promise<boolean> {
  const r = await fetch(`${url}/metrics`);
  return /^cchub_routing_leader 1$/m.test(await r.text());
}
