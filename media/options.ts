/**
 * What the media engine is told. gateway/ builds it from the `voice.rtp` config section
 * (config/voice.ts); tests pass it directly.
 */
import { availableParallelism } from 'node:os';
import type { MediaLogger } from './emitter.js';

export interface MediaOptions {
  rtp: {
    /** Ports for trunk legs (one UDP port each, RTP and RTCP multiplexed), inclusive. */
    minPort: number;
    maxPort: number;
    /** The address in our SDP's c= line: what the carrier sends RTP to. */
    announcedAddress: string;
    /** Interface the trunk sockets bind; default: the announced address when it is local, else 0.0.0.0. */
    listenIp?: string;
    /** No RTP from the trunk for this long → the call's `stalled` event (default 30). */
    stallSeconds?: number;
  };
  /** mediasoup workers (default: one per core). */
  workers?: number;
  /** The worker binary (default: the one scripts/build-mediasoup.sh cached, media/worker-bin.ts). */
  workerBin?: string;
  log?: MediaLogger;
}

export function resolveOptions(o: MediaOptions) {
  const stallSeconds = o.rtp.stallSeconds ?? 30;
  if (!(o.rtp.minPort > 0 && o.rtp.minPort <= o.rtp.maxPort && o.rtp.maxPort <= 65535)) {
    throw new RangeError(`media: bad RTP port range ${o.rtp.minPort}-${o.rtp.maxPort}`);
  }
  return {
    ...o,
    // A loopback announced address is also where to listen (tests, one box); otherwise the announced
    // address may be a NAT's public one that no local interface has.
    rtp: { ...o.rtp, stallSeconds, listenIp: o.rtp.listenIp ?? (/^127\./.test(o.rtp.announcedAddress) ? o.rtp.announcedAddress : '0.0.0.0') },
    workers: Math.max(1, o.workers ?? availableParallelism()),
  };
}
export type ResolvedMediaOptions = ReturnType<typeof resolveOptions>;
