/**
 * The voice connector (issue 20): the SIP trunk gateway (gateway/sip) and the media engine (media/)
 * for the configured addresses; every call runs the hub's IVR and, when it leaves for a queue,
 * becomes a voice conversation in the unified ACD (call-session.ts). The agent takes the call in the
 * browser through the hub's /agent socket (hub/agent-calls.ts → agentCall below).
 *
 * Calls live in this process: the agent's request must reach the hub process that holds the call
 * (one hub with voice enabled, or a sticky SIP front); another process answers 409 no_call.
 */
import type { VoiceConfig } from '../../config/voice.js';
import type { Call } from '../../gateway/call/call.js';
import { SipGateway } from '../../gateway/sip/gateway.js';
import { createMediaEngine, type MediaEngineImpl } from '../../media/engine.js';
import { UnrecoverableSendError, conflict } from '../../lib/errors.js';
import type { AgentCallOp, ChannelConnector, ConnectorContext, ConnectorPart, ConversationStatus, ConversationTarget, DeliveryStatus, SendResult } from '../contract.js';
import { CallSession } from './call-session.js';
import { writeHoldMusic } from './hold-music.js';

export class VoiceConnector implements ChannelConnector {
  readonly kind = 'voice' as const;
  private ctx?: ConnectorContext;
  private engine?: MediaEngineImpl;
  private gateway?: SipGateway;
  private holdMusic = '';
  private since = new Date().toISOString();
  /** Calls that hold a conversation, by conversation id. */
  private readonly sessions = new Map<string, CallSession>();
  /** Every call in progress (IVR included), for stop(). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly config: VoiceConfig) {}

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
    this.holdMusic = writeHoldMusic();
    this.engine = await createMediaEngine({ rtp: this.config.rtp, log: ctx.log.child({ mod: 'media' }) });
    this.gateway = new SipGateway({ config: this.config, media: this.engine, log: ctx.log.child({ mod: 'sip' }) });
    this.gateway.on('call', (call) => this.onCall(call));
    this.engine.on('workerDied', ({ pid, calls }) => ctx.log.error({ pid, calls: calls.length }, 'media worker died; its calls ended'));
    await this.gateway.start();
    this.since = new Date().toISOString();
    ctx.lifecycle({ type: 'started' });
  }

  /** Where the gateway listens (port 0 in config is a real port here): tests and the admin view. */
  get listening() {
    return this.gateway?.listening ?? [];
  }

  /** The session holding a conversation (tests). */
  session(conversationId: string): CallSession | undefined {
    return this.sessions.get(conversationId);
  }

  private onCall(call: Call): void {
    const ctx = this.ctx!;
    call.ring();
    const s = new CallSession(call, {
      ctx,
      holdMusic: this.holdMusic,
      attach: (id, session) => this.sessions.set(id, session),
      detach: (id) => this.sessions.delete(id),
    });
    const p = s.run().catch((e) => {
      // The store refused the conversation, the IVR has no flow...: the caller must not sit in silence.
      ctx.log.error({ err: e, call: call.id }, 'voice call failed; hanging up');
      return call.hangup('hangup');
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  async stop(): Promise<void> {
    await this.gateway?.stop();
    await this.engine?.close();
  }

  async send(): Promise<SendResult> {
    throw new UnrecoverableSendError('a voice conversation takes no written replies');
  }

  mapStatus(): DeliveryStatus | undefined {
    return undefined;
  }

  queuePosition(c: ConversationTarget, position: number, ewtSec: number): void {
    this.sessions.get(c.id)?.announce(position, ewtSec);
  }

  conversationUpdated(c: ConversationTarget, now: { status: ConversationStatus }): void {
    const s = this.sessions.get(c.id);
    if (!s) return;
    if (now.status === 'resolved' || now.status === 'closed') s.resolvedElsewhere();
    else if (now.status === 'queued') s.requeued();
  }

  async agentCall(c: ConversationTarget, agentId: string, op: AgentCallOp, data: unknown): Promise<unknown> {
    const s = this.sessions.get(c.id);
    if (!s) throw conflict('no_call', 'no call is connected to this conversation on this hub');
    if (op === 'join') return s.join(agentId);
    if (op === 'hangup') return s.hangupByAgent(agentId);
    return s.media(agentId, op, data);
  }

  parts(): ConnectorPart[] {
    return this.listening.map((l) => ({ name: `sip ${l.transport} ${l.host}:${l.port}`, state: 'bound' as const, since: this.since }));
  }
}
