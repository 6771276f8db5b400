/**
 * One inbound call from answer to hang-up, as the voice connector sees it:
 *
 *   IVR (gateway/ivr, the hub's flows) → outcome
 *     queue     → a voice conversation (ingest: caller identity, called number, IVR path, tags,
 *                 priority), hold music and announcements until an agent joins
 *     callback  → a conversation tagged `callback` with the number; the call ends
 *     voicemail → a conversation with the recording; the call ends
 *   agent joins (from the console, checked by the hub) → music stops, agent leg bridged, recording
 *   either side hangs up → BYE; the recording is stored on the conversation; the agent is told
 *   (`call.ended`) and wraps up. A caller who hangs up before any agent joined is an abandoned call:
 *   the conversation is resolved `abandoned` and its routing task released (ctx.conversations.abandon).
 */
import type { AgentLeg, Recorder } from '../../media/contract.js';
import type { Call, EndReason } from '../../gateway/call/call.js';
import { runIvrOnCall } from '../../gateway/ivr/on-call.js';
import type { CallControl, PathStep } from '../../gateway/ivr/session.js';
import { badRequest, conflict } from '../../lib/errors.js';
import type { AttachmentRef, ConnectorContext, InboundMessage } from '../contract.js';
import { HoldAudio, announcementText } from './hold.js';

type QueueReq = Parameters<CallControl['queue']>[0];
type CallbackReq = Parameters<CallControl['callback']>[0];
type VoicemailReq = Parameters<CallControl['voicemail']>[0];

export interface SessionHost {
  ctx: ConnectorContext;
  holdMusic: string;
  /** The session holds a conversation now (agentCall and the hooks find it by its id). */
  attach(conversationId: string, s: CallSession): void;
  detach(conversationId: string): void;
}

/** The IVR path in a line, for the conversation's first message: "welcome → main(2) → toCards". */
export const pathLine = (path: PathStep[]) => path.map((s) => `${s.node}${s.digits ? `(${s.digits})` : ''}`).join(' → ');

const mmss = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

export class CallSession {
  conversationId?: string;
  private hold?: HoldAudio;
  private leg?: AgentLeg;
  private recorder?: Recorder;
  private agentId?: string;
  private joinedAt?: number;
  private queuedAt?: number;
  private path: PathStep[] = [];
  private ending?: Promise<void>;
  /** We hung up because the conversation was resolved elsewhere: nothing is abandoned then. */
  private closedByHub = false;
  private hungUpByAgent = false;

  constructor(
    readonly call: Call,
    private readonly host: SessionHost,
  ) {}

  /** The caller hears the hold music (queued, no agent on the call). */
  get onHold(): boolean {
    return this.hold?.playing ?? false;
  }

  /** Position/wait announcements the caller heard so far. */
  get announcements(): number {
    return this.hold?.announcements ?? 0;
  }

  private get ctx() {
    return this.host.ctx;
  }

  private get externalId() {
    return `${this.call.info.trunk}:${this.call.info.sipCallId}`;
  }

  /** Runs the IVR; the queue/callback/voicemail outcomes come back here. Resolves when the IVR is done. */
  async run(): Promise<void> {
    this.call.onEnd(({ reason }) => void this.ended(reason));
    const ivr = this.ctx.ivr;
    if (!ivr) throw new Error('the voice connector needs the hub IVR (ctx.ivr)');
    await runIvrOnCall(ivr, this.call, { queue: (r) => this.queued(r), callback: (r) => this.callback(r), voicemail: (r) => this.voicemail(r) }, this.ctx.log);
  }

  private base(req: { customerId?: string; tags: string[]; path: PathStep[] }, suffix = ''): Omit<InboundMessage, 'text'> {
    const { caller, called, trunk, sipCallId } = this.call.info;
    this.path = req.path.map((s) => ({ ...s }));
    return {
      channel: 'voice',
      externalId: this.externalId + suffix,
      // The IVR's lookup (a card number) may know the customer better than the number calling.
      customer: req.customerId ? { id: req.customerId } : { identity: { channel: 'voice', address: caller } },
      from: caller,
      to: called,
      // One conversation per call: a customer calling twice is two contacts.
      threadKey: `call:${this.externalId}`,
      tags: req.tags,
      channelData: { callId: this.call.id, sipCallId, trunk, caller, called, ivrPath: this.path },
    };
  }

  private async queued(req: QueueReq): Promise<void> {
    const r = await this.ctx.ingest({ ...this.base(req), queue: req.queue, priority: Math.min(100, Math.max(0, req.priority)), text: `Call from ${this.call.info.caller} to ${this.call.info.called}. IVR: ${pathLine(req.path)}` });
    this.conversationId = r.conversation.id;
    this.queuedAt = Date.now();
    this.host.attach(r.conversation.id, this);
    const media = this.call.media;
    if (this.call.state === 'ended' || !media) return void this.ended(this.call.endReason ?? 'caller-hangup');
    this.hold = new HoldAudio(media, this.host.holdMusic, (pos, ewt) => this.ctx.ivr!.prompt(announcementText(pos, ewt), 'zh'), this.ctx.log);
    this.hold.start();
  }

  private async callback(req: CallbackReq): Promise<void> {
    await this.ctx.ingest({
      ...this.base({ ...req, tags: [...new Set([...req.tags, 'callback'])] }),
      queue: req.queue,
      priority: Math.min(100, Math.max(0, req.priority)),
      text: `Callback requested to ${req.number}. IVR: ${pathLine(req.path)}`,
      channelData: { ...this.base(req).channelData, callback: req.number },
    });
    await this.call.hangup('hangup');
  }

  private async voicemail(req: VoicemailReq): Promise<void> {
    const file = await this.ctx.storeFile(req.recording.wav, { name: `voicemail-${this.call.info.caller}.wav`, contentType: 'audio/wav' });
    await this.ctx.ingest({
      ...this.base({ ...req, tags: [...new Set([...req.tags, 'voicemail'])] }),
      queue: req.queue,
      attachments: [file],
      text: `Voicemail from ${this.call.info.caller} (${mmss(req.recording.durationMs)}). IVR: ${pathLine(req.path)}`,
    });
    await this.call.hangup('hangup');
  }

  // --- the agent's console (ChannelConnector.agentCall; the hub checked the assignment) -----------

  async join(agentId: string) {
    const media = this.call.media;
    if (this.call.state === 'ended' || !media || this.ending) throw conflict('no_call', 'the call has ended');
    // A reload, or the call moved to another agent: the old leg goes, the new one takes over.
    this.leg?.close();
    this.leg = await media.createAgentLeg(agentId);
    this.agentId = agentId;
    this.hold?.stop();
    this.recorder ??= media.record();
    this.joinedAt ??= Date.now();
    return {
      conversationId: this.conversationId,
      caller: this.call.info.caller,
      called: this.call.info.called,
      ivrPath: this.path,
      answeredAt: new Date(this.call.answeredAt ?? Date.now()).toISOString(),
      joinedAt: new Date(this.joinedAt).toISOString(),
      routerRtpCapabilities: this.leg.routerRtpCapabilities,
      transportParams: this.leg.transportParams,
    };
  }

  private legOf(agentId: string): AgentLeg {
    if (this.call.state === 'ended' || this.ending) throw conflict('no_call', 'the call has ended');
    if (!this.leg || this.leg.agentId !== agentId) throw conflict('not_joined', 'join the call first');
    return this.leg;
  }

  async media(agentId: string, op: 'connect' | 'produce' | 'consume', data: unknown): Promise<unknown> {
    const leg = this.legOf(agentId);
    const d = (data ?? {}) as { rtpParameters?: unknown; rtpCapabilities?: unknown };
    try {
      if (op === 'connect') return await leg.connect(data);
      if (op === 'produce') return await leg.produce('audio', d.rtpParameters);
      return await leg.consume(d.rtpCapabilities);
    } catch (e) {
      // mediasoup refuses parameters it cannot use: the console sent something wrong.
      throw badRequest(`media refused: ${(e as Error).message}`.slice(0, 300), 'bad_media');
    }
  }

  /** The agent hangs up: BYE to the caller; resolves once the recording is stored. */
  async hangupByAgent(agentId: string): Promise<void> {
    this.legOf(agentId);
    this.hungUpByAgent = true;
    await this.call.hangup('hangup');
    await this.ending;
  }

  // --- hooks -------------------------------------------------------------------------------------

  announce(position: number, ewtSec: number): void {
    void this.hold?.announce(position, ewtSec);
  }

  /** The conversation was resolved (by an agent, a supervisor) while the call is up: it ends. */
  resolvedElsewhere(): void {
    if (this.call.state === 'ended') return;
    this.closedByHub = true;
    void this.call.hangup('hangup');
  }

  /** The conversation went back to the queue (RONA, the agent logged out): music again until the next agent. */
  requeued(): void {
    if (!this.leg || this.call.state === 'ended') return;
    this.leg.close();
    this.leg = undefined;
    this.recorder?.pause('requeued');
    this.hold?.start();
  }

  // ---

  private ended(reason: EndReason): Promise<void> {
    if (!this.conversationId) return Promise.resolve(); // ended in the IVR: no contact was made
    this.ending ??= this.finish(reason).catch((e) => this.ctx.log.error({ err: e, call: this.call.id }, 'voice call wrap-up failed'));
    return this.ending;
  }

  private async finish(reason: EndReason): Promise<void> {
    const id = this.conversationId!;
    this.hold?.stop();
    this.host.detach(id);
    if (!this.joinedAt) {
      if (this.closedByHub) return;
      const waited = Math.round((Date.now() - (this.queuedAt ?? Date.now())) / 1000);
      await this.ctx.conversations.abandon(id, 'abandoned', `caller hung up after ${waited} s in the queue (${reason})`);
      return;
    }
    let recording: AttachmentRef | undefined;
    if (this.recorder) {
      const rec = await this.recorder.stop();
      recording = await this.ctx.storeFile(rec.wav, { name: `call-${this.call.info.caller}-${new Date(this.joinedAt).toISOString().slice(0, 19).replace(/[:T]/g, '')}.wav`, contentType: 'audio/wav', metadata: { conversationId: id } });
      // Resolved already (that is why the call ended): a message in its thread would reopen it, so the
      // file stays bound to the conversation without one.
      if (this.closedByHub) await this.ctx.files.bindToConversation([recording.id], id);
      else await this.ctx.ingest({
        ...this.base({ tags: [], path: this.path }, ':recording'),
        attachments: [recording],
        text: `Call recording (${mmss(rec.durationMs)}), ${this.hungUpByAgent ? 'agent' : reason === 'caller-hangup' ? 'caller' : reason} hung up`,
      });
    }
    if (this.agentId) {
      this.ctx.notifyAgent(this.agentId, 'call.ended', { conversationId: id, reason: this.hungUpByAgent ? 'agent-hangup' : reason, recording: recording ?? null, updatedAt: new Date().toISOString() });
    }
  }
}
