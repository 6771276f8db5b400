/**
 * The media engine: one mediasoup worker per core, one router each, supervised. A call lives on
 * the least loaded worker; when a worker dies its calls close with reason 'worker-died', the engine
 * reports them (`workerDied`) and starts a replacement that takes new calls.
 *
 *   const media = await createMediaEngine({ rtp: { minPort: 40000, maxPort: 49999, announcedAddress: '127.0.0.1' } });
 *   const call = await media.createCall(callId);
 *   const answer = await call.answerTrunk(offer); // → SDP answer (gateway/)
 */
import * as mediasoup from 'mediasoup';
import type { Router, RouterRtpCodecCapability, Worker } from 'mediasoup/types';
import { MediaError, type CallMedia, type MediaEngine, type MediaEngineEvents } from './contract.js';
import { CallMediaImpl } from './call.js';
import { FrameClock } from './clock.js';
import { SafeEmitter, silentLogger } from './emitter.js';
import { resolveOptions, type MediaOptions, type ResolvedMediaOptions } from './options.js';
import { PortPool } from './ports.js';
import { workerBinPath } from './worker-bin.js';

/** PCMU only: the agent leg is bridged to G.711 trunks through Node, which cannot decode Opus (agent-leg.ts). */
const ROUTER_CODECS: RouterRtpCodecCapability[] = [{ kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, preferredPayloadType: 0 }];

interface WorkerSlot {
  worker: Worker;
  router: Router;
  calls: Set<CallMediaImpl>;
}

export class MediaEngineImpl extends SafeEmitter<MediaEngineEvents> implements MediaEngine {
  private readonly slots: WorkerSlot[] = [];
  private readonly callMap = new Map<string, CallMediaImpl>();
  private readonly clock: FrameClock;
  private readonly ports: PortPool;
  private readonly sweep: NodeJS.Timeout;
  private readonly spawning = new Set<Promise<void>>();
  private isClosed = false;

  private constructor(
    private readonly opts: ResolvedMediaOptions,
    private readonly workerBin: string,
  ) {
    super(opts.log ?? silentLogger);
    this.clock = new FrameClock((err) => this.log.error({ err }, 'media: frame clock subscriber threw'));
    this.ports = new PortPool(opts.rtp.minPort, opts.rtp.maxPort, opts.rtp.listenIp);
    const stallMs = opts.rtp.stallSeconds * 1000;
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const call of this.callMap.values()) call.checkStall(now, stallMs);
    }, Math.min(1000, Math.max(50, stallMs / 4)));
    this.sweep.unref();
  }

  static async create(options: MediaOptions): Promise<MediaEngineImpl> {
    const opts = resolveOptions(options);
    const engine = new MediaEngineImpl(opts, opts.workerBin ?? workerBinPath(mediasoup.version));
    try {
      await Promise.all(Array.from({ length: opts.workers }, () => engine.spawn()));
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  get calls(): ReadonlyMap<string, CallMedia> {
    return this.callMap;
  }

  /** Worker pids (tests kill one; ops look at them). */
  get workerPids(): number[] {
    return this.slots.map((s) => s.worker.pid);
  }

  /** Trunk ports in use (leak checks). */
  get portsInUse(): number {
    return this.ports.used;
  }

  /** Transports alive on every worker (leak checks): from the workers' own dumps. */
  async transportCount(): Promise<number> {
    const dumps = await Promise.all(this.slots.map((s) => s.router.dump()));
    return dumps.reduce((n, d) => n + d.transportIds.length, 0);
  }

  private spawn(): Promise<void> {
    const p = (async () => {
      const worker = await mediasoup.createWorker({ workerBin: this.workerBin, logLevel: 'warn' });
      if (this.isClosed) {
        worker.close();
        return;
      }
      const router = await worker.createRouter({ mediaCodecs: ROUTER_CODECS });
      const slot: WorkerSlot = { worker, router, calls: new Set() };
      this.slots.push(slot);
      worker.on('died', (err) => this.onWorkerDied(slot, err));
    })();
    this.spawning.add(p);
    void p.finally(() => this.spawning.delete(p)).catch(() => {});
    return p;
  }

  private onWorkerDied(slot: WorkerSlot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const pid = slot.worker.pid;
    this.log.error({ err, pid, calls: slot.calls.size }, 'media: worker died; closing its calls');
    const calls = [...slot.calls];
    for (const c of calls) c.close('worker-died');
    this.emit('workerDied', { pid, calls: calls.map((c) => c.id) });
    if (!this.isClosed) this.respawn(0);
  }

  /** Replacement worker, retried with a growing delay while spawning fails. */
  private respawn(attempt: number): void {
    this.spawn().catch((err) => {
      this.log.error({ err, attempt }, 'media: could not start a replacement worker');
      if (!this.isClosed) setTimeout(() => this.respawn(attempt + 1), Math.min(30_000, 500 * 2 ** attempt)).unref();
    });
  }

  async createCall(callId: string): Promise<CallMedia> {
    if (this.isClosed) throw new MediaError('closed', 'media engine is closed');
    if (this.callMap.has(callId)) throw new Error(`media: call ${callId} exists already`);
    // Every worker gone (one died, its replacement is starting): wait for the replacement.
    if (!this.slots.length && this.spawning.size) await Promise.allSettled([...this.spawning]);
    const slot = this.slots.reduce<WorkerSlot | undefined>((best, s) => (!best || s.calls.size < best.calls.size ? s : best), undefined);
    if (!slot) throw new MediaError('no-worker', 'no media worker is running');
    const call = new CallMediaImpl(callId, {
      router: slot.router,
      clock: this.clock,
      ports: this.ports,
      announcedAddress: this.opts.rtp.announcedAddress,
      listenIp: this.opts.rtp.listenIp,
      log: this.log,
    });
    slot.calls.add(call);
    this.callMap.set(callId, call);
    call.on('close', () => {
      slot.calls.delete(call);
      this.callMap.delete(callId);
    });
    return call;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.sweep);
    for (const c of [...this.callMap.values()]) c.close('shutdown');
    await Promise.allSettled([...this.spawning]);
    for (const s of this.slots) s.worker.close();
    this.slots.length = 0;
    this.clock.stop();
    this.removeAllListeners();
  }
}

export function createMediaEngine(options: MediaOptions): Promise<MediaEngineImpl> {
  return MediaEngineImpl.create(options);
}
