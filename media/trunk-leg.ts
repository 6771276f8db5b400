/**
 * The trunk leg: the carrier's RTP on one UDP port of ours. G.711 (the offer's first PCMU or PCMA)
 * and RFC 4733 telephone-events. Comedia (RFC 4961 symmetric RTP): we send to where the carrier's RTP
 * really comes from, not to its SDP address, so a caller behind NAT hears us; until the first packet
 * we send to the SDP address.
 *
 * Why Node holds this socket and not a mediasoup PlainTransport: a mediasoup Producer routes RTP by
 * SSRC (or MID/RID), and a SIP trunk announces none of them in its SDP (and may change SSRC on a
 * re-INVITE or send telephone-events on another SSRC). The G.711 plane (prompts, DTMF, recording,
 * PCMU↔PCMA) is all in Node anyway; mediasoup carries the WebRTC agent legs (agent-leg.ts).
 */
import type dgram from 'node:dgram';
import { MediaError, type G711, type RtpEndpoint, type TrunkAnswer, type TrunkSdp } from './contract.js';
import { SafeEmitter, type MediaLogger } from './emitter.js';
import { FRAME_SAMPLES } from './clock.js';
import { DtmfDetector, dtmfPacketPlan } from './rtp/dtmf.js';
import { decodeG711 } from './rtp/g711.js';
import { buildRtp, parseRtp } from './rtp/packet.js';

export interface Negotiated {
  codec: { name: G711; payloadType: number };
  telephoneEventPayloadType?: number;
}

/** The offer's first G.711 codec, and its 8 kHz telephone-event if any (RFC 3264 §6.1: answer in the offer's order). */
export function negotiate(offer: TrunkSdp): Negotiated {
  const g711 = offer.codecs.find((c) => /^(PCMU|PCMA)$/i.test(c.name) && c.clockRate === 8000);
  if (!g711) throw new MediaError('no-common-codec', `no PCMU or PCMA in the offer (${offer.codecs.map((c) => c.name).join(', ') || 'no codecs'})`);
  const te = offer.codecs.find((c) => c.name.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
  return { codec: { name: g711.name.toUpperCase() as G711, payloadType: g711.payloadType }, telephoneEventPayloadType: te?.payloadType };
}

export interface TrunkLegEvents {
  /** One received G.711 frame, decoded (for the recorder and the agent bridge). */
  audio: [samples: Int16Array, payload: Buffer, codec: G711];
  dtmf: [{ digit: string; durationMs: number }];
  stalled: [];
}

export class TrunkLeg extends SafeEmitter<TrunkLegEvents> {
  private negotiated: Negotiated;
  private remote: RtpEndpoint;
  private latched?: RtpEndpoint;
  private direction: NonNullable<TrunkSdp['direction']>;
  private readonly detector = new DtmfDetector();
  private closed = false;
  // Our outbound stream (RFC 3550 §5.1: random initial SSRC, sequence number and timestamp).
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private seq = (Math.random() * 0xffff) | 0;
  private ts = (Math.random() * 0xffffffff) >>> 0;
  private lastSentAt?: number;
  private lastRtpAt = performance.now();
  private isStalled = false;
  /** Counters for stats and tests. */
  readonly counters = { received: 0, sent: 0, dropped: 0 };

  constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
    private readonly announced: string,
    offer: TrunkSdp,
    log: MediaLogger,
  ) {
    super(log);
    this.negotiated = negotiate(offer);
    this.remote = offer.remote;
    this.direction = offer.direction ?? 'sendrecv';
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', (err) => log.warn({ err, port }, 'media: trunk socket error'));
  }

  get answer(): TrunkAnswer {
    return {
      local: { address: this.announced, port: this.port },
      codec: { ...this.negotiated.codec },
      ...(this.negotiated.telephoneEventPayloadType !== undefined ? { telephoneEventPayloadType: this.negotiated.telephoneEventPayloadType } : {}),
    };
  }

  get codec(): G711 {
    return this.negotiated.codec.name;
  }

  /** Where we send now (the latched source once RTP arrived). */
  get sendingTo(): RtpEndpoint {
    return this.latched ?? this.remote;
  }

  /** A re-INVITE: new codec order, address or direction. Throws no-common-codec and keeps the old state. */
  update(offer: TrunkSdp): TrunkAnswer {
    const n = negotiate(offer);
    this.negotiated = n;
    if (offer.remote.address !== this.remote.address || offer.remote.port !== this.remote.port) {
      // The far end moved: latch again on what comes next.
      this.remote = offer.remote;
      this.latched = undefined;
    }
    this.direction = offer.direction ?? 'sendrecv';
    this.lastRtpAt = performance.now();
    this.isStalled = false;
    return this.answer;
  }

  /** Sends one 20 ms G.711 frame (already in this leg's codec). */
  sendAudio(payload: Buffer): void {
    if (this.closed || !this.mayWeSend()) return;
    const now = performance.now();
    let marker = false;
    if (this.lastSentAt === undefined || now - this.lastSentAt > 60) {
      // A new talk spurt (RFC 3551 §4.1): the timestamp follows the wall clock across the gap.
      marker = true;
      if (this.lastSentAt !== undefined) this.ts += Math.round(((now - this.lastSentAt) * 8) / FRAME_SAMPLES) * FRAME_SAMPLES;
    } else this.ts += FRAME_SAMPLES;
    this.lastSentAt = now;
    this.send(this.negotiated.codec.payloadType, marker, this.ts, payload);
  }

  /** RFC 4733 digit towards the trunk; resolves after the last end packet. Without a negotiated telephone-event: throws. */
  async sendDigit(digit: string, durationMs = 100): Promise<void> {
    const pt = this.negotiated.telephoneEventPayloadType;
    if (pt === undefined) throw new Error('media: the trunk did not offer telephone-event');
    const plan = dtmfPacketPlan(digit, durationMs);
    // Each event gets its own timestamp (the receiver tells events apart by it, RFC 4733 §2.5.1.2);
    // the stream's clock then moves past the event, so audio and the next digit follow it.
    const eventTs = (this.ts + FRAME_SAMPLES) >>> 0;
    this.ts = (eventTs + durationMs * 8) >>> 0;
    const start = performance.now();
    for (const p of plan) {
      const due = start + p.atMs - performance.now();
      // Pacing of the event's packets (RFC 4733 §2.5.1.2), not synchronisation.
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      if (this.closed) return;
      if (this.mayWeSend()) this.send(pt, p.marker, eventTs, p.payload);
    }
    this.lastSentAt = performance.now();
  }

  /** Called by the engine's sweep: `stalled` once per silence longer than `stallMs`. */
  checkStall(now: number, stallMs: number): void {
    // A far end on hold towards us (recvonly/inactive) sends nothing on purpose.
    if (this.closed || this.isStalled || this.direction === 'recvonly' || this.direction === 'inactive') return;
    if (now - this.lastRtpAt >= stallMs) {
      this.isStalled = true;
      this.emit('stalled');
    }
  }

  private mayWeSend(): boolean {
    // The far end's a=sendonly/inactive is hold: it wants nothing from us (RFC 3264 §8.4).
    return this.direction !== 'sendonly' && this.direction !== 'inactive';
  }

  private send(pt: number, marker: boolean, timestamp: number, payload: Buffer): void {
    this.seq = (this.seq + 1) & 0xffff;
    const to = this.sendingTo;
    this.counters.sent++;
    this.socket.send(buildRtp({ payloadType: pt, marker, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc, payload }), to.port, to.address);
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const pkt = parseRtp(msg);
    if (!pkt) return; // RTCP (muxed) and garbage
    if (this.latched) {
      // After latching, another source is not our caller (RTP bleed): drop it.
      if (rinfo.address !== this.latched.address || rinfo.port !== this.latched.port) {
        this.counters.dropped++;
        return;
      }
    } else {
      this.latched = { address: rinfo.address, port: rinfo.port };
    }
    this.counters.received++;
    this.lastRtpAt = performance.now();
    this.isStalled = false;
    if (pkt.payloadType === this.negotiated.codec.payloadType) {
      this.emit('audio', decodeG711(this.codec, pkt.payload), pkt.payload, this.codec);
    } else if (pkt.payloadType === this.negotiated.telephoneEventPayloadType) {
      for (const d of this.detector.feed(pkt)) this.emit('dtmf', d);
    } else {
      this.counters.dropped++;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeAllListeners();
    this.socket.close();
  }
}
