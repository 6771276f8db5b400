/**
 * The real media engine and RTP peer for the IVR engine tests, when they are on this branch
 * (voice-media's media/ engine and test/helpers/rtp-peer.ts). Until then the engine tests are
 * skipped rather than run against fake media. Loaded by path at run time so this file typechecks
 * before they exist.
 */
import type { MediaEngine } from '../../media/contract.js';

export interface RtpPeerLike {
  offer(): import('../../media/contract.js').TrunkSdp;
  useAnswer(a: import('../../media/contract.js').TrunkAnswer): void;
  sendDigit(digit: string, durationMs?: number): Promise<void>;
  sendSilence(ms: number): Promise<void>;
  stats(): { packets: number; energyPerSecond: number[] };
  waitFor(check: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): void;
}

export interface RealMedia {
  engine: MediaEngine;
  peer(): Promise<RtpPeerLike>;
}

async function tryImport(path: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(/* @vite-ignore */ path)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The engine factory: `createMediaEngine(options)` or a class with a static `create(options)`. */
export async function loadRealMedia(): Promise<RealMedia | null> {
  const rtp = await tryImport(new URL('../helpers/rtp-peer.ts', import.meta.url).pathname);
  if (!rtp?.RtpPeer) return null;
  for (const file of ['../../media/index.ts', '../../media/engine.ts']) {
    const mod = await tryImport(new URL(file, import.meta.url).pathname);
    if (!mod) continue;
    const opts = { rtp: { minPort: 41000 + ((process.pid * 7) % 4000), maxPort: 45999, announcedAddress: '127.0.0.1', stallSeconds: 60 }, workers: 1 };
    for (const [name, v] of Object.entries(mod)) {
      let engine: MediaEngine | undefined;
      if (typeof v === 'function' && /^create.*Engine$/i.test(name)) engine = await (v as (o: unknown) => Promise<MediaEngine>)(opts);
      else if (typeof v === 'function' && typeof (v as { create?: unknown }).create === 'function' && /Engine/.test(name)) engine = await (v as unknown as { create: (o: unknown) => Promise<MediaEngine> }).create(opts);
      if (engine) {
        const Peer = rtp.RtpPeer as { open(): Promise<RtpPeerLike> };
        return { engine, peer: () => Peer.open() };
      }
    }
  }
  return null;
}
