/**
 * One caller in the IVR: runs a flow's nodes as verbs in a loop (jambonz's call session, small), over
 * the call's media (media/contract.ts CallMedia: play → Player.done, barge-in by stopping the player
 * on a digit, `dtmf` events) and a call-control object the call layer implements (below).
 *
 * It records the path (node, type, digits — masked —, result, start offset and duration) and returns
 * it with the outcome, for the call layer to store on the voice conversation.
 */
import type { Readable } from 'node:stream';
import type { CallMedia, CallMediaEvents } from '../../media/contract.js';
import type { BankCore, BankCustomer } from './bank-core.js';
import { callerProfile, type ProfileModels } from './caller-profile.js';
import { DigitBuffer } from './digits.js';
import type { Flow, FlowNode, PromptRef } from './flow-schema.js';
import type { PromptFiles } from './prompts/store.js';
import { isVip, type CallerProfile } from './ranking.js';
import { Killed, makeVerb, type Verb } from './verbs/index.js';

/**
 * What the IVR needs from the call (gateway/call implements it). The IVR decides; the call layer
 * acts: each outcome method is called once, at the end of the run, and the run resolves after it.
 * If the caller hangs up, the call layer calls `IvrSession.hangup()` (or the media closes) and no
 * outcome method is called (the outcome is `abandoned`).
 */
export interface CallControl {
  readonly callId: string;
  /** Calling number (E.164) and called number (DNIS), as the trunk gave them. */
  readonly caller: string;
  readonly called: string;
  /** Leave the IVR for a queue: the call becomes a voice conversation in the ACD with these tags and priority. */
  queue(req: { queue: string; skill?: string; tags: string[]; priority: number; customerId?: string; path: PathStep[] }): Promise<void>;
  /** The caller asked to be called back (keeps the place in `queue`); the call then ends. */
  callback(req: { queue: string; number: string; tags: string[]; priority: number; customerId?: string; path: PathStep[] }): Promise<void>;
  /** A message was left: store it as a conversation with the recording in `queue`; the call then ends. */
  voicemail(req: { queue: string; recording: { wav: Readable; durationMs: number }; tags: string[]; customerId?: string; path: PathStep[] }): Promise<void>;
  /** Blind transfer (SIP REFER or a new outbound leg: the call layer's choice). */
  transfer(req: { to: string; path: PathStep[] }): Promise<void>;
  hangup(req: { reason: string; path: PathStep[] }): Promise<void>;
}

export interface PathStep {
  node: string;
  type: FlowNode['type'];
  /** ms from the answer. */
  at: number;
  durationMs: number;
  /** Digits the caller pressed in this node; collected numbers are masked (last four kept). */
  digits?: string;
  /** What came of it: the option's intent, 'timeout', 'invalid', 'found', 'then', a queue... */
  result?: string;
}

export type IvrOutcome =
  | { kind: 'queue'; queue: string; skill?: string }
  | { kind: 'callback'; queue: string }
  | { kind: 'voicemail'; queue: string; durationMs: number }
  | { kind: 'transfer'; to: string }
  | { kind: 'hangup'; reason: string }
  | { kind: 'abandoned' };

export interface IvrResult {
  flowId: string;
  flowVersion: number;
  outcome: IvrOutcome;
  customer?: { id: string; name: string; tier?: string; segment?: string };
  vip: boolean;
  tags: string[];
  priority: number;
  path: PathStep[];
  /** True when the maximum time in IVR ended the run. */
  maxTimeReached: boolean;
  durationMs: number;
}

export interface SessionDeps {
  flow: Flow;
  flowId: string;
  flowVersion: number;
  call: CallControl;
  media: CallMedia;
  prompts: PromptFiles;
  bank: BankCore;
  models: ProfileModels;
  now?: () => Date;
  log?: { warn: (o: object, m: string) => void };
}

/** Ends a verb: the caller hung up, or the time in IVR is over. */
type KillReason = 'hangup' | 'max-time';

export class IvrSession {
  readonly digits = new DigitBuffer();
  readonly vars: Record<string, string> = {};
  tags: string[] = [];
  priority = 0;
  customer: BankCustomer | null = null;
  profile: CallerProfile | null = null;
  private readonly startedAt = Date.now();
  private current: Verb | null = null;
  private ended: KillReason | null = null;
  private readonly path: PathStep[] = [];
  private readonly byId: Map<string, FlowNode>;

  constructor(readonly d: SessionDeps) {
    this.byId = new Map(d.flow.nodes.map((n) => [n.id, n]));
  }

  get call() {
    return this.d.call;
  }
  get media() {
    return this.d.media;
  }
  now(): Date {
    return this.d.now?.() ?? new Date();
  }

  /** The caller hung up (the call layer says so): the running verb stops, the run ends `abandoned`. */
  hangup(): void {
    this.end('hangup');
  }

  async run(): Promise<IvrResult> {
    const { flow, media } = this.d;
    const offDtmf = onEvent(media, 'dtmf', (e) => this.digits.push(e.digit));
    const offClose = onEvent(media, 'close', () => this.end('hangup'));
    const maxTimer = setTimeout(() => this.end('max-time'), flow.maxIvrSec * 1000);
    let vip = false;
    try {
      if (flow.vip) {
        // VIP lines and numbers skip the menus, greeted by name when the caller is known.
        await this.identify({ by: 'caller' });
        if (isVip(flow.vip, this.call, this.profile ?? { openCases: [], recentContacts: [], campaigns: [] })) {
          vip = true;
          const greet = flow.vip.greeting && this.customer ? flow.vip.greeting : undefined;
          return await this.finish({ id: 'vip', type: 'queue', queue: flow.vip.queue, ...(greet ? { prompt: greet } : {}) }, vip);
        }
      }
      let id: string | undefined = flow.start;
      // A validated flow cannot loop without input; this bound guards a flow stored by other means.
      for (let steps = 0; id !== undefined && steps < 10_000 && !this.ended; steps++) {
        const node = this.byId.get(id)!;
        if (isTerminal(node)) return await this.finish(node, vip);
        const r = await this.step(node);
        if (this.ended) break;
        id = r.next;
      }
      if (this.ended === 'max-time') {
        const after = flow.onMaxTime ? this.byId.get(flow.onMaxTime) : undefined;
        return await this.finish(after && isTerminal(after) ? after : { id: 'max-time', type: 'hangup' }, vip, true);
      }
      if (this.ended === 'hangup') return this.result({ kind: 'abandoned' }, vip);
      return await this.finish({ id: 'guard', type: 'hangup' }, vip);
    } finally {
      clearTimeout(maxTimer);
      offDtmf();
      offClose();
    }
  }

  /** Runs one non-terminal node; killed verbs (hang-up, time over) end with no next. */
  private async step(node: FlowNode): Promise<{ next?: string }> {
    const verb = makeVerb(node);
    this.current = verb;
    if (this.ended) verb.kill(this.ended);
    const at = Date.now() - this.startedAt;
    try {
      const r = await verb.exec(this);
      this.path.push({ node: node.id, type: node.type, at, durationMs: Date.now() - this.startedAt - at, ...(r.digits ? { digits: r.digits } : {}), ...(r.result ? { result: r.result } : {}) });
      return { next: r.next };
    } catch (e) {
      if (!(e instanceof Killed)) throw e;
      this.path.push({ node: node.id, type: node.type, at, durationMs: Date.now() - this.startedAt - at, result: e.reason });
      return {};
    } finally {
      this.current = null;
    }
  }

  /** A terminal node: say its prompt (unless the caller is gone), then hand the outcome to the call layer. */
  private async finish(node: FlowNode, vip: boolean, maxTimeReached = false): Promise<IvrResult> {
    const verb = makeVerb(node);
    this.current = verb;
    const at = Date.now() - this.startedAt;
    const wasEnded = this.ended;
    // The last node runs even after the time ran out: it is how the caller leaves.
    if (this.ended === 'max-time') this.ended = null;
    if (this.ended) verb.kill(this.ended);
    let outcome: IvrOutcome;
    try {
      const r = await verb.exec(this);
      outcome = r.outcome ?? { kind: 'hangup', reason: 'no-outcome' };
    } catch (e) {
      if (!(e instanceof Killed)) throw e;
      outcome = { kind: 'abandoned' };
    } finally {
      this.current = null;
    }
    this.path.push({ node: node.id, type: node.type, at, durationMs: Date.now() - this.startedAt - at, result: outcome.kind === 'queue' ? `queue:${outcome.queue}` : outcome.kind });
    const res = this.result(outcome, vip, maxTimeReached || wasEnded === 'max-time');
    await this.act(outcome, verb);
    return res;
  }

  private async act(o: IvrOutcome, verb: Verb): Promise<void> {
    const base = { tags: this.tags, customerId: this.customer?.id, path: this.path };
    const c = this.call;
    switch (o.kind) {
      case 'queue':
        return c.queue({ ...base, queue: o.queue, ...(o.skill ? { skill: o.skill } : {}), priority: this.priority });
      case 'callback':
        return c.callback({ ...base, queue: o.queue, number: c.caller, priority: this.priority });
      case 'voicemail':
        return c.voicemail({ ...base, queue: o.queue, recording: verb.recording!() });
      case 'transfer':
        return c.transfer({ to: o.to, path: this.path });
      case 'hangup':
        return c.hangup({ reason: o.reason, path: this.path });
      case 'abandoned':
        return;
    }
  }

  private result(outcome: IvrOutcome, vip: boolean, maxTimeReached = false): IvrResult {
    const c = this.customer;
    return {
      flowId: this.d.flowId,
      flowVersion: this.d.flowVersion,
      outcome,
      ...(c ? { customer: { id: c.id, name: c.name, tier: c.tier, segment: c.segment } } : {}),
      vip,
      tags: this.tags,
      priority: this.priority,
      path: this.path,
      maxTimeReached,
      durationMs: Date.now() - this.startedAt,
    };
  }

  private end(reason: KillReason): void {
    if (this.ended === 'hangup') return;
    this.ended = reason;
    this.current?.kill(reason);
  }

  /** Set by verbs that were killed (read by verbs to stop waiting). */
  get killedBy(): KillReason | null {
    return this.ended;
  }

  // ---- services for verbs ------------------------------------------------------------------

  /** Files for prompts, text ones with the caller's name filled in. */
  async files(refs: (PromptRef | undefined)[]): Promise<string[]> {
    const vars = { name: this.customer?.name ?? '' };
    return Promise.all(refs.filter((r): r is PromptRef => !!r).map((r) => this.d.prompts.path(r, vars)));
  }

  /**
   * Plays prompts; with barge-in a digit (already waiting, or pressed while it plays) stops it and
   * stays in the buffer for the node to read. Resolves when done, stopped, or the signal aborts.
   */
  async say(refs: (PromptRef | undefined)[], opts: { bargeIn: boolean; signal: AbortSignal }): Promise<{ stopped: boolean }> {
    if (opts.bargeIn && this.digits.pending) return { stopped: true };
    let files: string[];
    try {
      files = await this.files(refs);
    } catch (e) {
      // A prompt that cannot be produced (espeak-ng missing, an upload deleted) is skipped, not the call.
      this.d.log?.warn({ err: e, callId: this.call.callId }, 'IVR prompt unavailable; going on without it');
      return { stopped: false };
    }
    if (!files.length || opts.signal.aborted || this.media.closed) return { stopped: false };
    if (opts.bargeIn && this.digits.pending) return { stopped: true };
    let player;
    try {
      player = this.media.play(files);
    } catch (e) {
      if (this.media.closed) return { stopped: true }; // hung up in between: the verb's kill follows
      throw e;
    }
    const off = opts.bargeIn ? this.digits.onDigit(() => player.stop()) : () => undefined;
    const onAbort = () => player.stop();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await player.done;
    } finally {
      off();
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  async identify(how: { by: 'caller' | 'card' | 'account'; value?: string }): Promise<boolean> {
    const b = this.d.bank;
    const c = how.by === 'caller' ? await b.byPhone(this.call.caller) : how.value ? await (how.by === 'card' ? b.byCard(how.value) : b.byAccount(how.value)) : null;
    if (!c) return false;
    this.customer = c;
    this.profile = await callerProfile(this.d.models, c);
    return true;
  }
}

const isTerminal = (n: FlowNode) => n.type === 'queue' || n.type === 'callback' || n.type === 'voicemail' || n.type === 'transfer' || n.type === 'hangup';

function onEvent<E extends keyof CallMediaEvents>(media: CallMedia, event: E, fn: (...a: CallMediaEvents[E]) => void): () => void {
  media.on(event, fn);
  // The contract's emitter type has on() only; remove through off() when the implementation has it.
  return () => (media as unknown as { off?: (e: string, f: unknown) => void }).off?.(event, fn);
}
