/**
 * Where scripts/build-mediasoup.sh cached the worker binary: the same folder name it computes
 * (mediasoup version + a hash of the build script and scripts/mediasoup/), so `npm start` and
 * `npm test` need no environment variable. test/media/worker-bin.test.ts checks both agree.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');

function filesUnder(dir: string, rel = '.'): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, `${rel}/${e.name}`) : e.isFile() ? [`${rel}/${e.name}`] : [],
  );
}

/** The recipe hash exactly as the script computes it (`find . -type f | LC_ALL=C sort | xargs cat`). */
export function recipeHash(): string {
  const recipe = join(scripts, 'mediasoup');
  const h = createHash('sha256').update(readFileSync(join(scripts, 'build-mediasoup.sh')));
  const files = filesUnder(recipe).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const f of files) h.update(readFileSync(join(recipe, f)));
  return h.digest('hex').slice(0, 16);
}

/** `cacheHome`: $XDG_CACHE_HOME when set (config/ passes it), else ~/.cache. */
export function workerBinPath(version: string, cacheHome = join(homedir(), '.cache')): string {
  const bin = join(cacheHome, 'cchub', `mediasoup-${version}-${recipeHash()}`, 'mediasoup-worker');
  if (!existsSync(bin)) throw new Error(`mediasoup worker not built (${bin}): run bash scripts/setup.sh`);
  return bin;
}
