/**
 * One call's media: the trunk leg, what plays to the caller, the recording, the agent legs. Created
 * only by the engine (engine.ts), on one mediasoup worker; closing it closes everything it owns.
 */
import type { Router } from 'mediasoup/types';
import {
  MediaError,
  type AgentLeg,
  type CallMedia,
  type CallMediaEvents,
  type Player,
  type Recorder,
  type TrunkAnswer,
  type TrunkSdp,
} from './contract.js';
import { SafeEmitter, type MediaLogger } from './emitter.js';
import type { FrameClock } from './clock.js';
import type { PortPool } from './ports.js';
import { PlayerImpl } from './player.js';
import { RecorderImpl } from './recorder.js';
import { encodeG711, transcodeG711 } from './rtp/g711.js';
import { negotiate, TrunkLeg } from './trunk-leg.js';
import { AgentLegImpl } from './agent-leg.js';

/** What a call needs from its engine. */
export interface CallContext {
  router: Router;
  clock: FrameClock;
  ports: PortPool;
  announcedAddress: string;
  listenIp: string;
  log: MediaLogger;
}

export class CallMediaImpl extends SafeEmitter<CallMediaEvents> implements CallMedia {
  private isClosed = false;
  private trunk?: TrunkLeg;
  private trunkPort?: number;
  private player?: PlayerImpl;
  private recorder?: RecorderImpl;
  private readonly agentLegs = new Set<AgentLegImpl>();

  constructor(
    readonly id: string,
    private readonly ctx: CallContext,
  ) {
    super(ctx.log);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The trunk leg's UDP port (tests, stats). */
  get port(): number | undefined {
    return this.trunkPort;
  }

  private guard(): void {
    if (this.isClosed) throw new MediaError('closed', `call ${this.id} is closed`);
  }

  private needTrunk(): TrunkLeg {
    this.guard();
    if (!this.trunk) throw new Error(`media: call ${this.id} has no trunk leg yet (answerTrunk first)`);
    return this.trunk;
  }

  async answerTrunk(offer: TrunkSdp): Promise<TrunkAnswer> {
    this.guard();
    if (this.trunk) return this.updateTrunk(offer);
    negotiate(offer); // 488 before a port is taken
    const { socket, port } = await this.ctx.ports.bind();
    if (this.isClosed) {
      socket.close();
      this.ctx.ports.release(port);
      throw new MediaError('closed', `call ${this.id} closed while answering`);
    }
    const leg = new TrunkLeg(socket, port, this.ctx.announcedAddress, offer, this.ctx.log);
    this.trunk = leg;
    this.trunkPort = port;
    leg.on('dtmf', (d) => this.emit('dtmf', d));
    leg.on('stalled', () => this.emit('stalled'));
    leg.on('audio', (samples, payload, codec) => {
      this.recorder?.customer(samples);
      for (const a of this.agentLegs) a.fromCaller(payload, codec);
    });
    return leg.answer;
  }

  async updateTrunk(offer: TrunkSdp): Promise<TrunkAnswer> {
    this.guard();
    if (!this.trunk) return this.answerTrunk(offer);
    return this.trunk.update(offer);
  }

  play(files: string | string[], opts: { loop?: boolean } = {}): Player {
    const trunk = this.needTrunk();
    this.player?.stop();
    const list = Array.isArray(files) ? files : [files];
    const player = new PlayerImpl(list, opts.loop ?? false, this.ctx.clock, (frame) => {
      trunk.sendAudio(encodeG711(trunk.codec, frame));
    });
    this.player = player;
    return player;
  }

  sendDtmf(digit: string): Promise<void> {
    return this.needTrunk().sendDigit(digit);
  }

  record(): Recorder {
    this.guard();
    if (this.recorder) throw new Error(`media: call ${this.id} is already being recorded`);
    this.recorder = new RecorderImpl(this.ctx.clock, this.ctx.log);
    return this.recorder;
  }

  async createAgentLeg(agentId: string): Promise<AgentLeg> {
    this.guard();
    const leg = await AgentLegImpl.create(agentId, this.ctx, {
      toCaller: (payload, codec) => {
        const trunk = this.trunk;
        if (!trunk || this.player?.playing) return; // a prompt to the caller wins over the agent
        trunk.sendAudio(transcodeG711(codec, trunk.codec, payload));
      },
      agentAudio: (samples) => this.recorder?.agent(samples),
    });
    if (this.isClosed) {
      leg.close();
      throw new MediaError('closed', `call ${this.id} closed while creating the agent leg`);
    }
    this.agentLegs.add(leg);
    leg.onClose(() => this.agentLegs.delete(leg));
    return leg;
  }

  /** Engine's stall sweep. */
  checkStall(now: number, stallMs: number): void {
    this.trunk?.checkStall(now, stallMs);
  }

  close(reason = 'hangup'): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.player?.stop();
    this.recorder?.halt();
    for (const a of [...this.agentLegs]) a.close();
    this.trunk?.close();
    // The socket's fd is closed synchronously by close(): the port is free now, not a tick later.
    if (this.trunkPort !== undefined) this.ctx.ports.release(this.trunkPort);
    this.emit('close', { reason });
    this.removeAllListeners();
  }
}
