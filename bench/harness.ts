/**
 * What every benchmark needs around its measurements: a bounded wait, one clean-up registry (run
 * once, newest first, each step bounded), and a runner with a watchdog and SIGINT/SIGTERM handling
 * that always cleans up and exits with main's code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../scripts/embedded.js';
import { Smsc } from '../test/helpers/smsc.js';

type Cleanups = (() => Promise<void> | void)[];

/** The embedded store and Redis in a temp folder, and the test SMSC, each undone by the registry. */
export async function embeddedWithSmsc(name: string, cleanups: Cleanups) {
  const dir = mkdtempSync(join(tmpdir(), `cchub-bench-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const svc = await startEmbedded({ dir });
  cleanups.push(() => svc.stop());
  const smsc = new Smsc();
  await smsc.listen();
  cleanups.push(() => smsc.close());
  return { svc, smsc };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what}: no answer after ${ms} ms`)), ms);
    }),
  ]);
}

/** Everything a bench starts registers a stop here; `cleanup()` runs them once. `onStart` runs first. */
export function cleanupRegistry(onStart?: () => void) {
  const cleanups: Cleanups = [];
  let cleaningUp: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaningUp ??= (async () => {
      onStart?.();
      for (const fn of cleanups.splice(0).reverse()) {
        try {
          await withTimeout(Promise.resolve(fn()), 45_000, 'clean-up step');
        } catch (e) {
          console.error(`bench: clean-up: ${(e as Error).message}`);
        }
      }
    })());
  return { cleanups, cleanup };
}

/** Run main under a watchdog of `budgetMs`; clean up on every way out; exit with main's code. */
export async function runBench(main: () => Promise<number>, cleanup: () => Promise<void>, budgetMs: number): Promise<never> {
  const watchdog = setTimeout(() => {
    console.error(`bench: not finished after ${Math.round(budgetMs / 1000)} s: giving up`);
    void cleanup().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`bench: ${sig}: cleaning up`);
      setTimeout(() => process.exit(130), 60_000).unref();
      void cleanup().finally(() => process.exit(130));
    });
  }
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    code = 1;
  }
  await cleanup();
  clearTimeout(watchdog);
  process.exit(code);
}
