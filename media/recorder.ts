/**
 * Records the call as a stereo 16-bit 8 kHz WAV: the customer (trunk) left, the agent right
 * (silence until an agent leg exists). Both directions are written on the engine's 20 ms frame
 * clock, each from a short queue of what arrived, so the channels stay aligned whatever the
 * network does; a queue that runs dry gives silence, one that grows past 200 ms drops its oldest
 * audio. The PCM goes to a temporary file (an hour of call is 115 MB), not to memory.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Recorder, RecordingMark } from './contract.js';
import { FRAME_SAMPLES, type FrameClock } from './clock.js';
import type { MediaLogger } from './emitter.js';
import { wavHeader } from './rtp/wav.js';

const MAX_QUEUE = 10; // frames (200 ms)
const PREBUFFER = 2; // frames taken in before playing out after a dry spell (absorbs jitter)
const BATCH_FRAMES = 50; // frames per file write (1 s)

class Channel {
  private readonly frames: Int16Array[] = [];
  private pending: Int16Array = new Int16Array(0);
  private priming = true;

  push(samples: Int16Array): void {
    // Frames of any size (G.711 packets of 10, 20 or 30 ms) are re-cut to 20 ms.
    const all = new Int16Array(this.pending.length + samples.length);
    all.set(this.pending);
    all.set(samples, this.pending.length);
    let o = 0;
    for (; o + FRAME_SAMPLES <= all.length; o += FRAME_SAMPLES) this.frames.push(all.slice(o, o + FRAME_SAMPLES));
    this.pending = all.slice(o);
    while (this.frames.length > MAX_QUEUE) this.frames.shift();
  }

  next(): Int16Array | undefined {
    if (this.priming) {
      if (this.frames.length < PREBUFFER) return undefined;
      this.priming = false;
    }
    const f = this.frames.shift();
    if (!f) this.priming = true;
    return f;
  }

  clear(): void {
    this.frames.length = 0;
    this.pending = new Int16Array(0);
    this.priming = true;
  }
}

export class RecorderImpl implements Recorder {
  private readonly left = new Channel();
  private readonly right = new Channel();
  private readonly file = join(tmpdir(), `cchub-recording-${randomUUID()}.pcm`);
  private readonly out: WriteStream;
  private readonly startedAt = performance.now();
  private readonly marks: RecordingMark[] = [{ at: 0, kind: 'start' }];
  private paused = false;
  private capturing = true;
  private frames = 0;
  // Interleaved stereo samples (little-endian host, as WAV wants) waiting for the next write.
  private readonly batch = new Int16Array(BATCH_FRAMES * FRAME_SAMPLES * 2);
  private batched = 0;
  private stopping?: Promise<{ wav: Readable; durationMs: number; marks: RecordingMark[] }>;
  private readonly unsubscribe: () => void;

  constructor(
    clock: FrameClock,
    private readonly log: MediaLogger,
    by?: string,
  ) {
    if (by) this.marks[0].by = by;
    this.out = createWriteStream(this.file);
    this.out.on('error', (err) => log.error({ err }, 'media: recording write failed'));
    this.unsubscribe = clock.subscribe(() => this.tick());
  }

  /** Customer audio (the trunk leg). */
  customer(samples: Int16Array): void {
    if (this.capturing && !this.paused) this.left.push(samples);
  }

  /** Agent audio (the agent leg). */
  agent(samples: Int16Array): void {
    if (this.capturing && !this.paused) this.right.push(samples);
  }

  private tick(): void {
    if (this.paused || !this.capturing) return;
    const l = this.left.next();
    const r = this.right.next();
    const frame = this.batch.subarray(this.batched * FRAME_SAMPLES * 2, (this.batched + 1) * FRAME_SAMPLES * 2);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      frame[i * 2] = l ? l[i] : 0;
      frame[i * 2 + 1] = r ? r[i] : 0;
    }
    this.frames++;
    // One write a second, not fifty: 200 recorded calls would be 10,000 file writes a second.
    if (++this.batched === BATCH_FRAMES) this.flush();
  }

  private flush(): void {
    if (!this.batched) return;
    const bytes = this.batched * FRAME_SAMPLES * 4;
    this.out.write(Buffer.from(this.batch.buffer.slice(0, bytes)));
    this.batched = 0;
  }

  private at(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  pause(by?: string): void {
    if (!this.capturing || this.paused) return;
    this.paused = true;
    this.left.clear();
    this.right.clear();
    this.marks.push({ at: this.at(), kind: 'pause', ...(by ? { by } : {}) });
  }

  resume(by?: string): void {
    if (!this.capturing || !this.paused) return;
    this.paused = false;
    this.marks.push({ at: this.at(), kind: 'resume', ...(by ? { by } : {}) });
  }

  /**
   * Ends capture (the call closed): the audio ends here, and stop() still hands over what was
   * recorded — a hang-up must not lose the recording.
   */
  halt(by?: string): void {
    if (!this.capturing) return;
    this.capturing = false;
    this.unsubscribe();
    this.flush();
    this.marks.push({ at: this.at(), kind: 'stop', ...(by ? { by } : {}) });
  }

  stop(by?: string): Promise<{ wav: Readable; durationMs: number; marks: RecordingMark[] }> {
    this.halt(by);
    this.stopping ??= new Promise<void>((resolve, reject) => {
      this.out.end(() => resolve());
      this.out.once('error', reject);
    }).then(() => {
      const dataBytes = this.frames * FRAME_SAMPLES * 4;
      const wav = new PassThrough();
      wav.write(wavHeader(dataBytes, 2));
      const body = createReadStream(this.file);
      body.on('error', (err) => wav.destroy(err));
      body.pipe(wav);
      // The temporary file goes once it was read (or the reader gave up).
      const cleanup = () => void unlink(this.file).catch(() => {});
      wav.once('close', cleanup);
      body.once('close', cleanup);
      return { wav, durationMs: this.frames * 20, marks: [...this.marks] };
    });
    return this.stopping;
  }
}
