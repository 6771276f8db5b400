/**
 * Plays 8 kHz mono WAVs to the caller: 20 ms G.711 frames on the engine's frame clock. A list plays
 * in order; `loop` starts it over (music on hold); stop() ends it at once (barge-in). Files are read
 * before the first frame: a bad one rejects `done` with MediaError('bad-file') and nothing is played.
 */
import { stat } from 'node:fs/promises';
import { MediaError, type Player } from './contract.js';
import { FRAME_SAMPLES, type FrameClock } from './clock.js';
import { readWav8kMono } from './rtp/wav.js';

/** Decoded prompts, keyed by path and modification time: 200 callers hearing one greeting read it once. */
const cache = new Map<string, { mtimeMs: number; samples: Int16Array }>();
const CACHE_MAX = 64;

async function load(path: string): Promise<Int16Array> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (e) {
    throw new MediaError('bad-file', `${path}: ${(e as Error).message}`);
  }
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) {
    cache.delete(path); // re-insert: most recently used last
    cache.set(path, hit);
    return hit.samples;
  }
  const samples = await readWav8kMono(path);
  if (samples.length === 0) throw new MediaError('bad-file', `${path}: no audio`);
  cache.set(path, { mtimeMs, samples });
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  return samples;
}

export class PlayerImpl implements Player {
  readonly done: Promise<{ stopped: boolean }>;
  private resolve!: (r: { stopped: boolean }) => void;
  private finished = false;
  private unsubscribe?: () => void;

  constructor(
    files: string[],
    loop: boolean,
    clock: FrameClock,
    sendFrame: (samples: Int16Array) => void,
  ) {
    let reject!: (e: unknown) => void;
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      reject = rej;
    });
    // Callers may not await `done` (fire-and-forget music on hold): never an unhandled rejection.
    this.done.catch(() => {});
    Promise.all(files.map(load)).then(
      (tracks) => {
        if (this.finished) return;
        let track = 0;
        let offset = 0;
        this.unsubscribe = clock.subscribe(() => {
          const samples = tracks[track];
          const frame = new Int16Array(FRAME_SAMPLES); // a short last frame is padded with silence
          frame.set(samples.subarray(offset, offset + FRAME_SAMPLES));
          sendFrame(frame);
          offset += FRAME_SAMPLES;
          if (offset < samples.length) return;
          offset = 0;
          track++;
          if (track < tracks.length) return;
          if (loop) track = 0;
          else this.finish(false);
        });
      },
      (err) => {
        if (this.finished) return;
        this.finished = true;
        reject(err);
      },
    );
  }

  get playing(): boolean {
    return !this.finished;
  }

  stop(): void {
    this.finish(true);
  }

  private finish(stopped: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.unsubscribe?.();
    this.resolve({ stopped });
  }
}
