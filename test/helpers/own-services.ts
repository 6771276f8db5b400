/**
 * Embedded services of a test file's own (PostgreSQL + the store + Redis in a temp dir), for tests
 * that stop, stall or kill them: the suite's shared services (test/global-setup.ts) must never be
 * frozen under the other files running beside this one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../scripts/embedded.js';

export interface OwnServices extends Embedded {
  /** The pid of one service now (it changes when a supervised service is restarted). */
  pid(name: 'postgres' | 'embedded-store' | 'redis-server'): number;
  /**
   * Freeze the store process (SIGSTOP): every MongoDB command waits, nothing fails. Resolves with
   * resume() (SIGCONT), which is also run by stop() if a test forgets it.
   */
  stall(name?: 'postgres' | 'embedded-store' | 'redis-server'): () => void;
}

export async function startOwnServices(name: string, opts: Omit<EmbeddedOptions, 'dir'> = {}): Promise<OwnServices> {
  const dir = mkdtempSync(join(tmpdir(), `cchub-${name}-`));
  // MONGODB_URI / REDIS_URL in the environment would make startEmbedded reuse those servers.
  const saved = { m: process.env.MONGODB_URI, r: process.env.REDIS_URL };
  delete process.env.MONGODB_URI;
  delete process.env.REDIS_URL;
  let svc: Embedded;
  try {
    svc = await startEmbedded({ dir, ...opts });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    if (saved.m !== undefined) process.env.MONGODB_URI = saved.m;
    if (saved.r !== undefined) process.env.REDIS_URL = saved.r;
  }
  const stalled = new Set<number>();
  const pid = (n: string) => {
    const p = svc.services().find((s) => s.name === n)?.pid;
    if (!p) throw new Error(`no running ${n}`);
    return p;
  };
  return {
    ...svc,
    pid,
    stall(n = 'embedded-store') {
      const p = pid(n);
      process.kill(p, 'SIGSTOP');
      stalled.add(p);
      return () => {
        if (stalled.delete(p)) process.kill(p, 'SIGCONT');
      };
    },
    async stop() {
      // A stopped process ignores SIGTERM until continued.
      for (const p of stalled) process.kill(p, 'SIGCONT');
      stalled.clear();
      await svc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
