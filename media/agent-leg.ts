/**
 * The agent's browser leg: a mediasoup WebRtcTransport (ICE, DTLS-SRTP) bridged to the trunk leg
 * through Node. Node ↔ worker runs over loopback PlainTransports with an SSRC we choose:
 *   caller → Node (G.711 from the trunk, as PCMU) → plainIn (comedia) → producer → browser consumer
 *   browser producer → plainOut consumer → Node → trunk (PCMU↔PCMA as the trunk needs) + recording
 * The router offers PCMU only (router.ts): mediasoup does not transcode, and Node can turn PCMU
 * into PCMA and into the recording's PCM, but not Opus.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { Consumer, PlainTransport, Producer, RtpCapabilities, RtpParameters, WebRtcTransport } from 'mediasoup/types';
import { MediaError, type AgentLeg, type G711 } from './contract.js';
import type { CallContext } from './call.js';
import { decodeG711, transcodeG711 } from './rtp/g711.js';
import { buildRtp, parseRtp } from './rtp/packet.js';

export interface AgentLegHooks {
  /** Agent audio for the caller (G.711 payload in `codec`). */
  toCaller(payload: Buffer, codec: G711): void;
  /** Agent audio, decoded, for the recording's right channel. */
  agentAudio(samples: Int16Array): void;
}

const PCMU_PT = 0;

export class AgentLegImpl implements AgentLeg {
  private isClosed = false;
  private readonly closeHandlers: (() => void)[] = [];
  private agentProducer?: Producer;
  private plainOut?: PlainTransport;
  private plainOutConsumer?: Consumer;
  private seq = (Math.random() * 0xffff) | 0;
  private ts = (Math.random() * 0xffffffff) >>> 0;

  private constructor(
    readonly agentId: string,
    private readonly ctx: CallContext,
    private readonly hooks: AgentLegHooks,
    private readonly upstream: WebRtcTransport,
    private readonly downstream: WebRtcTransport,
    private readonly plainIn: PlainTransport,
    private readonly callerProducer: Producer,
    private readonly socket: dgram.Socket,
    private readonly ssrc: number,
  ) {
    socket.on('message', (msg) => this.fromAgent(msg));
    socket.on('error', (err) => ctx.log.warn({ err }, 'media: agent bridge socket error'));
  }

  static async create(agentId: string, ctx: CallContext, hooks: AgentLegHooks): Promise<AgentLegImpl> {
    const announced = ctx.announcedAddress !== ctx.listenIp ? { announcedAddress: ctx.announcedAddress } : {};
    // Two transports, as mediasoup-client wants them: one the browser sends on, one it receives on.
    const webrtcOptions = { listenInfos: [{ protocol: 'udp' as const, ip: ctx.listenIp, ...announced }] };
    const upstream = await ctx.router.createWebRtcTransport(webrtcOptions);
    const downstream = await ctx.router.createWebRtcTransport(webrtcOptions);
    const socket = dgram.createSocket('udp4');
    try {
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      const plainIn = await ctx.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
      const ssrc = ((Math.random() * 0xfffffff0) >>> 0) + 1;
      const producer = await plainIn.produce({
        kind: 'audio',
        rtpParameters: { codecs: [{ mimeType: 'audio/PCMU', payloadType: PCMU_PT, clockRate: 8000, channels: 1 }], encodings: [{ ssrc }] },
      });
      const leg = new AgentLegImpl(agentId, ctx, hooks, upstream, downstream, plainIn, producer, socket, ssrc);
      return leg;
    } catch (e) {
      upstream.close();
      downstream.close();
      socket.close();
      throw e;
    }
  }

  /**
   * `{ send, recv }`, each `{ id, iceParameters, iceCandidates, dtlsParameters }`: the browser makes
   * its send transport from `send` (device.createSendTransport) and its receive transport from
   * `recv` — a mediasoup-client transport is one direction only.
   */
  get transportParams(): unknown {
    const p = (t: WebRtcTransport) => ({ id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters });
    return { send: p(this.upstream), recv: p(this.downstream) };
  }

  get routerRtpCapabilities(): unknown {
    return this.ctx.router.rtpCapabilities;
  }

  private guard(): void {
    if (this.isClosed) throw new MediaError('closed', `agent leg ${this.agentId} is closed`);
  }

  /** `{ transportId, dtlsParameters }` from the browser transport's 'connect' event. */
  async connect(params: unknown): Promise<void> {
    this.guard();
    const { transportId, dtlsParameters } = (params ?? {}) as { transportId?: string; dtlsParameters?: unknown };
    const t = [this.upstream, this.downstream].find((x) => x.id === transportId);
    if (!t || !dtlsParameters) throw new Error('media: connect wants { transportId, dtlsParameters } of this leg');
    await t.connect({ dtlsParameters: dtlsParameters as never });
  }

  /** The browser's microphone → the caller (and the recording's right channel). */
  async produce(kind: 'audio', rtpParameters: unknown): Promise<{ id: string }> {
    this.guard();
    if (kind !== 'audio') throw new MediaError('no-common-codec', 'an agent leg carries audio only');
    this.agentProducer?.close();
    const producer = await this.upstream.produce({ kind, rtpParameters: rtpParameters as RtpParameters });
    this.agentProducer = producer;
    if (!this.plainOut) {
      this.plainOut = await this.ctx.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
      const addr = this.socket.address();
      await this.plainOut.connect({ ip: addr.address, port: addr.port });
    }
    const caps: RtpCapabilities = {
      codecs: [{ kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, preferredPayloadType: PCMU_PT }],
    };
    this.plainOutConsumer?.close();
    this.plainOutConsumer = await this.plainOut.consume({ producerId: producer.id, rtpCapabilities: caps });
    return { id: producer.id };
  }

  /** The caller → the browser's speaker. */
  async consume(rtpCapabilities: unknown): Promise<{ id: string; producerId: string; kind: 'audio'; rtpParameters: unknown }> {
    this.guard();
    const consumer = await this.downstream.consume({ producerId: this.callerProducer.id, rtpCapabilities: rtpCapabilities as RtpCapabilities });
    return { id: consumer.id, producerId: this.callerProducer.id, kind: 'audio', rtpParameters: consumer.rtpParameters };
  }

  /** Caller audio from the trunk leg, into the worker as PCMU. */
  fromCaller(payload: Buffer, codec: G711): void {
    if (this.isClosed) return;
    const pcmu = transcodeG711(codec, 'PCMU', payload);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + pcmu.length) >>> 0;
    const port = this.plainIn.tuple.localPort;
    this.socket.send(buildRtp({ payloadType: PCMU_PT, marker: false, sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc, payload: pcmu }), port, '127.0.0.1');
  }

  private fromAgent(msg: Buffer): void {
    if (this.isClosed) return;
    const pkt = parseRtp(msg);
    if (!pkt || pkt.payloadType !== PCMU_PT) return;
    this.hooks.toCaller(pkt.payload, 'PCMU');
    this.hooks.agentAudio(decodeG711('PCMU', pkt.payload));
  }

  onClose(fn: () => void): void {
    this.closeHandlers.push(fn);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // Closing a transport closes its producers and consumers (mediasoup's own cascade).
    this.upstream.close();
    this.downstream.close();
    this.plainIn.close();
    this.plainOut?.close();
    this.socket.close();
    for (const fn of this.closeHandlers) {
      try {
        fn();
      } catch (err) {
        this.ctx.log.error({ err }, 'media: agent leg close handler threw');
      }
    }
  }
}
