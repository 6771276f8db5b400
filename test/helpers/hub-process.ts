/**
 * A hub as a real child process (`npm start`'s entry, scripts/start.ts), for tests that kill it with
 * SIGKILL: nothing is closed, flushed or acked on the way down, unlike Hub.close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_JWT_SECRET } from './hub.js';

export interface HubProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** SIGKILL, resolved once the process is gone. Safe to call twice. */
  kill9(): Promise<void>;
}

export interface HubProcessOptions {
  mongoUri: string;
  redisUrl: string;
  redisPrefix: string;
  /** 0 (default): any free port. */
  port?: number;
  /** More environment (CCHUB_WEBCHAT_*, LOG_LEVEL...). */
  env?: Record<string, string>;
}

const live = new Set<ChildProcess>();
// A test file that fails half-way must not leave hubs behind writing into a dropped database.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Start a hub process; resolves once it prints "hub listening on", rejects if it exits first or takes over 60 s. */
export function startHubProcess(opts: HubProcessOptions): Promise<HubProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cchub-hubproc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      MONGODB_URI: opts.mongoUri,
      REDIS_URL: opts.redisUrl,
      CCHUB_REDIS_PREFIX: opts.redisPrefix,
      CCHUB_JWT_SECRET: TEST_JWT_SECRET,
      HOST: '127.0.0.1',
      PORT: String(opts.port ?? 0),
      CCHUB_SEED_DEMO: '1',
      LOG_LEVEL: 'warn',
      CCHUB_DATA_DIR: dataDir,
      ...(opts.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => {
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const kill9 = (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not start within 120 s; stderr: ${stderr}`));
    }, 120_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /hub listening on (http:\/\/\S+)/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, url: m[1], port: Number(new URL(m[1]).port), kill9 });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hub exited before listening (${code ?? signal}); stderr: ${stderr}`));
    });
  });
}

/**
 * restartHub: SIGKILL `h` (the signal goes out before this returns its promise) and start the next hub
 * process on the same port when it is free — a stable address, as behind a load balancer, where
 * clients' own reconnect loops find it — else on any port (`samePort` false: point clients at `url`).
 */
export async function restartHubProcess(h: HubProcess, opts: HubProcessOptions): Promise<HubProcess & { samePort: boolean }> {
  await h.kill9();
  try {
    return { ...(await startHubProcess({ ...opts, port: h.port })), samePort: true };
  } catch {
    return { ...(await startHubProcess({ ...opts, port: 0 })), samePort: false };
  }
}
