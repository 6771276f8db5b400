/**
 * One inbound call: the state machine trying → ringing → answered → ended (with the reason), owning
 * its CallMedia (created through MediaEngine.createCall when answered, closed when the call ends).
 *
 * This is the API the IVR drives:
 *   call.ring()                       180 Ringing
 *   await call.answer()               media + SDP answer + 200, resolves once answered (throws CallError otherwise)
 *   call.play(files) → Player         prompts (media/contract.ts Player; a new play stops the current one)
 *   call.onDtmf(({digit}) => ...)     RFC 4733 digits from the caller
 *   call.hangup(reason?)              BYE (answered) or 480 (not yet answered)
 *   call.reject(486)                  a final answer instead of answering
 *   call.onEnd(({reason}) => ...)     once, whatever ended it
 *   call.media                        the CallMedia itself (record, agent legs) once answered
 *
 * Events from the SIP side come in through CallSignals (CANCEL, BYE, re-INVITE). A listener that
 * throws never breaks the call (SafeEmitter).
 */
import { randomUUID } from 'node:crypto';
import { MediaError, type CallMedia, type MediaEngine, type Player, type TrunkAnswer } from '../../media/contract.js';
import { SafeEmitter } from './emitter.js';
import type { CallLeg, CallSignals } from './leg.js';
import { buildAnswer, parseOffer, type ParsedOffer } from './sdp.js';

export type CallState = 'trying' | 'ringing' | 'answered' | 'ended';

export type EndReason =
  | 'caller-hangup' // BYE from the trunk
  | 'cancelled' // CANCEL before answer
  | 'hangup' // we hung up (IVR, agent)
  | 'rejected' // we answered a final non-2xx
  | 'no-ack' // our 200 was never acknowledged (64·T1)
  | 'media-stalled' // no RTP from the trunk for the stall time
  | 'media-closed' // the media went away (worker died)
  | 'no-common-codec' // 488
  | 'bad-sdp' // 488: no offer we can read
  | 'no-worker' // 503
  | 'no-media' // 503: no media engine configured
  | 'media-error' // 500
  | 'unanswered' // neither answered nor refused in time (480)
  | 'stopped'; // the gateway shut down

export interface CallInfo {
  /** The trunk (config voice.trunks[].name) it came in on. */
  trunk: string;
  /** Caller number as the trunk sent it (From user part), unverified. */
  caller: string;
  /** Called number (Request-URI user part), one of the trunk's numbers. */
  called: string;
  /** The SIP Call-ID (for logs and correlation with the carrier). */
  sipCallId: string;
}

export interface CallEvents extends Record<string, unknown[]> {
  state: [CallState];
  dtmf: [{ digit: string; durationMs: number }];
  end: [{ reason: EndReason }];
}

/** Raised by answer()/play() when the call cannot do it (ended, not answered, media refused). */
export class CallError extends Error {
  constructor(
    readonly code: 'invalid-state' | EndReason,
    message: string,
  ) {
    super(message);
  }
}

export class Call implements CallSignals {
  readonly id = randomUUID();
  readonly startedAt = Date.now();
  answeredAt?: number;
  endedAt?: number;
  endReason?: EndReason;
  private _state: CallState = 'trying';
  private _media?: CallMedia;
  private readonly events: SafeEmitter<CallEvents>;
  private sdpVersion = 1;
  private readonly sessionId = Math.floor(Math.random() * 1e9);

  constructor(
    readonly info: CallInfo,
    private readonly leg: CallLeg,
    private readonly engine: MediaEngine | undefined,
    onListenerError?: (e: unknown) => void,
  ) {
    this.events = new SafeEmitter(onListenerError);
  }

  get state(): CallState {
    return this._state;
  }
  get media(): CallMedia | undefined {
    return this._media;
  }

  on<E extends keyof CallEvents>(event: E, listener: (...args: CallEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }
  onDtmf(listener: (d: { digit: string; durationMs: number }) => void) {
    return this.on('dtmf', listener);
  }
  onEnd(listener: (e: { reason: EndReason }) => void) {
    return this.on('end', listener);
  }

  ring(): void {
    if (this._state !== 'trying') return;
    this.leg.provisional(180);
    this.setState('ringing');
  }

  /** Allocates media, answers the offer and sends 200; resolves when the call is answered. */
  async answer(): Promise<void> {
    if (this._state !== 'trying' && this._state !== 'ringing') throw new CallError('invalid-state', `cannot answer a call that is ${this._state}`);
    if (!this.engine) return this.refuse(503, 'no-media');
    const offer = parseOffer(this.leg.offer);
    if (!offer) return this.refuse(488, 'bad-sdp');
    let media: CallMedia;
    try {
      media = await this.engine.createCall(this.id);
    } catch (e) {
      return this.refuse(e instanceof MediaError && e.code === 'no-worker' ? 503 : 500, e instanceof MediaError && e.code === 'no-worker' ? 'no-worker' : 'media-error');
    }
    // A CANCEL may have ended the call while the engine worked (TypeScript cannot see that across the await).
    if ((this._state as CallState) === 'ended') {
      media.close('cancelled');
      throw new CallError('invalid-state', 'the call ended while answering');
    }
    this._media = media;
    let answer: TrunkAnswer;
    try {
      answer = await media.answerTrunk(offer.trunk);
    } catch (e) {
      const codec = e instanceof MediaError && e.code === 'no-common-codec';
      return this.refuse(codec ? 488 : 500, codec ? 'no-common-codec' : 'media-error');
    }
    if ((this._state as CallState) === 'ended') throw new CallError('invalid-state', 'the call ended while answering');
    media.on('dtmf', (d) => this.events.emit('dtmf', d));
    media.on('stalled', () => void this.hangup('media-stalled'));
    media.on('close', () => void this.hangup('media-closed'));
    const sdp = buildAnswer(offer, answer, this.sessionId, this.sdpVersion);
    this.answeredAt = Date.now();
    this.setState('answered');
    void this.leg.accept(sdp).then((r) => {
      if (r === 'no-ack') void this.hangup('no-ack');
    });
  }

  /** A final non-2xx answer instead of answering (486 busy by default). */
  reject(status = 486): void {
    if (this._state !== 'trying' && this._state !== 'ringing') return;
    this.leg.reject(status);
    this.end('rejected');
  }

  /** Ends the call from our side: BYE once answered, 480 before. */
  async hangup(reason: EndReason = 'hangup'): Promise<void> {
    if (this._state === 'ended') return;
    if (this._state !== 'answered') {
      this.leg.reject(480);
      this.end(reason);
      return;
    }
    this.end(reason);
    await this.leg.bye();
  }

  play(files: string | string[], opts?: { loop?: boolean }): Player {
    if (this._state !== 'answered' || !this._media) throw new CallError('invalid-state', `cannot play on a call that is ${this._state}`);
    return this._media.play(files, opts);
  }

  // --- CallSignals (from gateway/sip) ---

  cancelled(): void {
    this.end('cancelled');
  }

  remoteBye(): void {
    this.end('caller-hangup');
  }

  async reinvite(body: string): Promise<{ status: number; sdp?: string }> {
    if (this._state !== 'answered' || !this._media) return { status: 491 };
    const offer = parseOffer(body);
    if (!offer) return { status: 488 };
    try {
      const answer = await this._media.updateTrunk(offer.trunk);
      return { status: 200, sdp: buildAnswer(offer, answer, this.sessionId, ++this.sdpVersion, offer.trunk.direction) };
    } catch (e) {
      return { status: e instanceof MediaError && e.code === 'no-common-codec' ? 488 : 500 };
    }
  }

  // ---

  private async refuse(status: number, reason: EndReason): Promise<never> {
    if (this._state !== 'ended') {
      this.leg.reject(status);
      this.end(reason);
    }
    throw new CallError(reason, `call refused: ${reason} (${status})`);
  }

  private setState(s: CallState): void {
    this._state = s;
    this.events.emit('state', s);
  }

  private end(reason: EndReason): void {
    if (this._state === 'ended') return;
    this.endReason = reason;
    this.endedAt = Date.now();
    this.setState('ended');
    const media = this._media;
    if (media && !media.closed) media.close(reason);
    this.events.emit('end', { reason });
  }
}
