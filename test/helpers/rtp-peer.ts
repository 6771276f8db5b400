/**
 * A real UDP RTP peer for tests: the far end of a trunk call (what a carrier's media gateway or sipp
 * does). Sends G.711 frames from a WAV, a tone or silence at 20 ms pacing and RFC 4733 digits (with
 * the three redundant end packets); receives and measures packets, loss, interarrival jitter (RFC
 * 3550 §6.4.1), audio energy per second and the telephone-events it gets.
 *
 *   const peer = await RtpPeer.open();
 *   const answer = await call.answerTrunk(peer.offer());
 *   peer.useAnswer(answer);
 *   await peer.sendTone(440, 1000);
 *   await peer.waitFor(() => peer.stats().packets >= 50);
 */
import dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import type { G711, OfferedCodec, TrunkAnswer, TrunkSdp } from '../../media/contract.js';
import { decodeG711, encodeG711, G711_STATIC_PT } from '../../media/rtp/g711.js';
import { buildRtp, parseRtp, type RtpPacket } from '../../media/rtp/packet.js';
import { DtmfDetector, dtmfPacketPlan } from '../../media/rtp/dtmf.js';
import { readWav8kMono } from '../../media/rtp/wav.js';

const FRAME = 160; // 20 ms at 8 kHz

export interface RtpPeerStats {
  packets: number;
  /** Expected minus received over the sequence range seen (RFC 3550 §6.4.1); negative means duplicates. */
  lost: number;
  /** Interarrival jitter in ms (RFC 3550 §6.4.1, over audio packets). */
  jitterMs: number;
  /** RMS of the received audio, per second since the first audio packet. */
  energyPerSecond: number[];
  /** Digits received as RFC 4733 events (once per event). */
  digits: { digit: string; durationMs: number }[];
  /** Where the packets came from (comedia tests: the engine must answer from its announced port). */
  sources: string[];
}

export class RtpPeer extends EventEmitter {
  readonly socket: dgram.Socket;
  remote?: { address: string; port: number };
  codec: G711 = 'PCMU';
  payloadType = 0;
  telephoneEventPayloadType = 101;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private seq = (Math.random() * 0xffff) | 0;
  private ts = (Math.random() * 0xffffffff) >>> 0;
  private closed = false;
  // receive side
  private packets = 0;
  private firstSeq?: number;
  private maxExtSeq = 0;
  private cycles = 0;
  private lastSeq?: number;
  private jitter = 0;
  private lastTransit?: number;
  private firstAudioAt?: number;
  private readonly energy: { sumSq: number; n: number }[] = [];
  private readonly digits: { digit: string; durationMs: number }[] = [];
  private readonly sources = new Set<string>();
  private readonly detector = new DtmfDetector();
  private readonly audio: Int16Array[] = [];

  private constructor(socket: dgram.Socket) {
    super();
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, `${rinfo.address}:${rinfo.port}`));
  }

  static async open(opts: { host?: string; port?: number } = {}): Promise<RtpPeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(opts.port ?? 0, opts.host ?? '127.0.0.1');
    await once(socket, 'listening');
    return new RtpPeer(socket);
  }

  get local(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** An SDP offer as gateway/ would reduce it: PCMU, PCMA and telephone-event, in `codecs` order. */
  offer(codecs: (G711 | 'telephone-event' | 'G722' | 'opus')[] = ['PCMU', 'PCMA', 'telephone-event'], remote = this.local): TrunkSdp {
    const list: OfferedCodec[] = codecs.map((name) => {
      if (name === 'PCMU' || name === 'PCMA') return { payloadType: G711_STATIC_PT[name], name, clockRate: 8000 };
      if (name === 'telephone-event') return { payloadType: this.telephoneEventPayloadType, name, clockRate: 8000 };
      if (name === 'G722') return { payloadType: 9, name, clockRate: 8000 };
      return { payloadType: 111, name, clockRate: 48000 };
    });
    return { remote, codecs: list, direction: 'sendrecv' };
  }

  /** Takes the engine's answer: where to send, which codec, which telephone-event payload type. */
  useAnswer(answer: TrunkAnswer): void {
    this.remote = answer.local;
    this.codec = answer.codec.name;
    this.payloadType = answer.codec.payloadType;
    if (answer.telephoneEventPayloadType !== undefined) this.telephoneEventPayloadType = answer.telephoneEventPayloadType;
  }

  /** Sends linear samples as G.711 frames paced at 20 ms (real time, as a phone would). */
  async sendSamples(samples: Int16Array): Promise<void> {
    const start = performance.now();
    for (let i = 0, n = 0; i < samples.length; i += FRAME, n++) {
      if (this.closed) return;
      const frame = new Int16Array(FRAME);
      frame.set(samples.subarray(i, Math.min(i + FRAME, samples.length)));
      this.sendRtp({ payloadType: this.payloadType, marker: n === 0, payload: encodeG711(this.codec, frame) });
      this.ts += FRAME;
      // Pacing, not synchronisation: RTP is sent in real time.
      const due = start + (n + 1) * 20 - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
  }

  sendTone(frequencyHz: number, durationMs: number, amplitude = 8000): Promise<void> {
    return this.sendSamples(tone(frequencyHz, durationMs, amplitude));
  }

  sendSilence(durationMs: number): Promise<void> {
    return this.sendSamples(new Int16Array((durationMs * 8) | 0));
  }

  async sendWav(path: string): Promise<void> {
    await this.sendSamples(await readWav8kMono(path));
  }

  /** One RFC 4733 digit: start (marker), updates every 50 ms, three end packets; one timestamp. */
  async sendDigit(digit: string, durationMs = 100): Promise<void> {
    const start = performance.now();
    const eventTs = this.ts;
    for (const p of dtmfPacketPlan(digit, durationMs)) {
      const due = start + p.atMs - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      this.sendRtp({ payloadType: this.telephoneEventPayloadType, marker: p.marker, payload: p.payload }, eventTs);
    }
    this.ts += durationMs * 8;
  }

  /** Sends raw bytes (garbage, RTCP, hostile input). */
  sendRaw(buf: Buffer, to = this.remote): void {
    if (!to) throw new Error('RtpPeer: no remote yet (useAnswer first)');
    this.socket.send(buf, to.port, to.address);
  }

  private sendRtp(p: { payloadType: number; marker: boolean; payload: Buffer }, timestamp = this.ts): void {
    if (!this.remote) throw new Error('RtpPeer: no remote yet (useAnswer first)');
    this.seq = (this.seq + 1) & 0xffff;
    this.socket.send(buildRtp({ ...p, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc }), this.remote.port, this.remote.address);
  }

  private onMessage(msg: Buffer, from: string): void {
    const pkt = parseRtp(msg);
    if (!pkt) return;
    this.sources.add(from);
    this.packets++;
    this.trackSequence(pkt);
    if (pkt.payloadType === this.telephoneEventPayloadType) {
      for (const d of this.detector.feed(pkt)) {
        this.digits.push(d);
        this.emit('digit', d);
      }
    } else if (pkt.payloadType === this.payloadType) {
      this.onAudio(pkt);
    }
    this.emit('packet', pkt);
  }

  private trackSequence(pkt: RtpPacket): void {
    const seq = pkt.sequenceNumber;
    if (this.firstSeq === undefined) {
      this.firstSeq = seq;
      this.maxExtSeq = seq;
    } else if (this.lastSeq !== undefined) {
      if (seq < 0x1000 && this.lastSeq > 0xf000) this.cycles += 0x10000;
      this.maxExtSeq = Math.max(this.maxExtSeq, this.cycles + seq);
    }
    this.lastSeq = seq;
  }

  private onAudio(pkt: RtpPacket): void {
    const now = performance.now();
    // Jitter over the audio stream, in timestamp units then ms (RFC 3550 §6.4.1 / A.8).
    const transit = (now * 8) - pkt.timestamp;
    if (this.lastTransit !== undefined) {
      let d = transit - this.lastTransit;
      if (d < 0) d = -d;
      // A new talk spurt or source (marker) restarts the estimate's reference, not its value.
      if (!pkt.marker && d < 8000) this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
    this.firstAudioAt ??= now;
    const second = Math.floor((now - this.firstAudioAt) / 1000);
    while (this.energy.length <= second) this.energy.push({ sumSq: 0, n: 0 });
    const samples = decodeG711(this.codec, pkt.payload);
    const bucket = this.energy[second];
    for (const s of samples) bucket.sumSq += s * s;
    bucket.n += samples.length;
    if (this.audio.length < 50 * 600) this.audio.push(samples);
    this.emit('audio', samples);
  }

  stats(): RtpPeerStats {
    const expected = this.firstSeq === undefined ? 0 : this.maxExtSeq - this.firstSeq + 1;
    return {
      packets: this.packets,
      lost: expected - this.packets,
      jitterMs: this.jitter / 8,
      energyPerSecond: this.energy.map((b) => (b.n ? Math.sqrt(b.sumSq / b.n) : 0)),
      digits: [...this.digits],
      sources: [...this.sources],
    };
  }

  /** All audio received so far, decoded (first 10 minutes). */
  receivedAudio(): Int16Array {
    const n = this.audio.reduce((a, b) => a + b.length, 0);
    const out = new Int16Array(n);
    let o = 0;
    for (const a of this.audio) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  }

  /** Resolves when `check()` holds, re-checked on every received packet (no polling sleeps). */
  waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onPacket = () => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`RtpPeer: timed out waiting for ${what}; stats ${JSON.stringify(this.stats())}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('packet', onPacket);
      };
      this.on('packet', onPacket);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

/** A sine tone as 8 kHz linear samples. */
export function tone(frequencyHz: number, durationMs: number, amplitude = 8000): Int16Array {
  const n = Math.round(durationMs * 8);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / 8000));
  return out;
}

/** RMS of linear samples (0 for none). */
export function rms(samples: Int16Array): number {
  if (!samples.length) return 0;
  let s = 0;
  for (const x of samples) s += x * x;
  return Math.sqrt(s / samples.length);
}
