/**
 * The SIP trunk gateway: listens on the configured UDP/TCP sockets, parses strictly, applies the
 * trunk ACL, runs the transaction layer and turns each new INVITE from a trunk into a Call
 * (gateway/call/call.ts) handed to whoever listens on 'call' (the IVR).
 *
 * Order of checks for a request, each answered once through its transaction:
 *   unparseable → 400 if addressable, else silence · source not a trunk address → 403 (logged,
 *   rate-limited) · SIP version ≠ 2.0 → 505 · top Via without branch → 400 · scheme not sip/sips →
 *   416 · Require we do not support → 420 · retransmission → absorbed · then by method: OPTIONS 200,
 *   INVITE (number not on the trunk → 404, body not SDP → 415, in-dialog → re-INVITE), CANCEL → 200
 *   and 487, BYE → 200, ACK → dialog, methods we know but do not serve → 405, others → 501.
 * Responses that match no client transaction are dropped (RFC 3261 §18.1.2).
 */
import type { TrunkConfig, VoiceConfig } from '../../config/voice.js';
import type { MediaEngine } from '../../media/contract.js';
import { Call } from '../call/call.js';
import { SafeEmitter } from '../call/emitter.js';
import { ALLOW, buildResponse, newBranch, newTag, serialize } from './build.js';
import { Dialog, type LocalAddress } from './dialog.js';
import { InboundLeg, type LegHost } from './inbound-leg.js';
import { getHeaders, type SipRequest, type Transport } from './message.js';
import { parseMessage } from './parse.js';
import { TransactionLayer, type ServerTransaction } from './transactions.js';
import { TcpSocket, UdpSocket, type Peer, type SipSocket } from './transport.js';

export interface GatewayLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface GatewayOptions {
  config: VoiceConfig;
  /** The media engine calls are answered with (media/contract.ts); without one, answer() refuses with 503. */
  media?: MediaEngine;
  log?: GatewayLogger;
  /** TCP: a message must complete within this long (default 10 s). */
  tcpFrameMs?: number;
  /** Calls at once; an INVITE beyond gets 503 with Retry-After (default 1000). */
  maxCalls?: number;
  /** Server transactions at once (each lives up to 64·T1); a new request beyond gets 503 (default 20,000). */
  maxTransactions?: number;
  /** A call neither answered nor refused this long after its INVITE gets 480 (RFC 3261 timer C is 3 min; default 180 s). */
  noAnswerMs?: number;
}

export interface GatewayEvents extends Record<string, unknown[]> {
  call: [Call];
  /** Every request refused by the ACL (after logging), for metrics and tests. */
  refused: [{ address: string; method: string; status: 403 | 404 }];
}

/** Methods we recognise but do not serve as a trunk endpoint: 405 with Allow (RFC 3261 §8.2.1). */
const KNOWN = new Set(['REGISTER', 'PRACK', 'UPDATE', 'INFO', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'PUBLISH']);
const SILENT = { info() {}, warn() {}, debug() {} };

export class SipGateway implements LegHost {
  readonly transactions: TransactionLayer;
  private readonly sockets: SipSocket[] = [];
  private readonly dialogs = new Map<string, InboundLeg>();
  /** Pending INVITE transactions by key, for CANCEL. */
  private readonly pending = new Map<string, InboundLeg>();
  private readonly trunksByAddress = new Map<string, TrunkConfig>();
  private readonly events: SafeEmitter<GatewayEvents>;
  private readonly log: GatewayLogger;
  private readonly calls = new Set<Call>();
  private refusedLogged = { windowStart: 0, count: 0, suppressed: 0 };
  private stopped = false;

  constructor(private readonly opts: GatewayOptions) {
    this.log = opts.log ?? SILENT;
    const t1 = opts.config.sip.t1Ms;
    this.transactions = new TransactionLayer({ t1, t2: 8 * t1, t4: 10 * t1 }, (buf, peer) => this.send(buf, peer));
    for (const t of opts.config.trunks) for (const a of t.addresses) this.trunksByAddress.set(a, t);
    this.events = new SafeEmitter((e) => this.log.warn({ err: String(e) }, 'sip gateway listener threw'));
  }

  on<E extends keyof GatewayEvents>(event: E, listener: (...args: GatewayEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Calls not yet ended. */
  get activeCalls(): ReadonlySet<Call> {
    return this.calls;
  }

  /** Where each socket really listens (port 0 in config becomes a real port). */
  get listening(): { transport: Transport; host: string; port: number }[] {
    return this.sockets.map((s) => ({ transport: s.transport, host: s.address, port: s.port }));
  }

  async start(): Promise<void> {
    const onFrame = (frame: Buffer, peer: Peer) => {
      try {
        this.frame(frame, peer);
      } catch (e) {
        // A bug must cost one message, never the gateway.
        this.log.warn({ err: String(e), address: peer.address }, 'sip message handling failed');
      }
    };
    for (const l of this.opts.config.sip.listen) {
      if (l.transport === 'udp') this.sockets.push(await UdpSocket.listen(l.host, l.port, onFrame));
      else
        this.sockets.push(
          await TcpSocket.listen(l.host, l.port, { idleMs: this.opts.config.sip.tcpIdleSeconds * 1000, frameMs: this.opts.tcpFrameMs ?? 10_000, maxConnections: 1000 }, onFrame),
        );
    }
    this.log.info({ listen: this.listening }, 'sip gateway listening');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // BYE (or 480) goes out now; its answer is not waited for: closing the transactions settles it with 408.
    for (const c of [...this.calls]) void c.hangup('stopped').catch(() => {});
    this.transactions.close();
    await Promise.all(this.sockets.map((s) => s.close()));
    this.sockets.length = 0;
  }

  /**
   * OPTIONS to a trunk's `outbound` address (a keep-alive, or a health check before sending calls):
   * resolves with the final status, 408 when nothing answered by timer F (64·T1), retransmitted over
   * UDP on timer E meanwhile.
   */
  ping(trunkName: string): Promise<number> {
    const trunk = this.opts.config.trunks.find((t) => t.name === trunkName);
    if (!trunk?.outbound) return Promise.reject(new Error(`trunk ${trunkName} has no outbound address`));
    const { host, port, transport } = trunk.outbound;
    const local = this.local(transport);
    const branch = newBranch();
    const buf = serialize(`OPTIONS sip:${host}:${port} SIP/2.0`, [
      { name: 'Via', value: `SIP/2.0/${transport.toUpperCase()} ${local.host}:${local.port};branch=${branch};rport` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:cchub@${local.host}:${local.port}>;tag=${newTag()}` },
      { name: 'To', value: `<sip:${host}:${port}>` },
      { name: 'Call-ID', value: `${newTag()}${newTag()}@${local.host}` },
      { name: 'CSeq', value: '1 OPTIONS' },
    ]);
    return this.transactions.request(buf, branch, 'OPTIONS', { transport, address: host, port }).then((r) => r.status);
  }

  // --- LegHost ---

  local(transport: Transport): LocalAddress {
    const s = this.sockets.find((x) => x.transport === transport) ?? this.sockets[0];
    return { host: s.address, port: s.port };
  }
  addDialog(key: string, leg: InboundLeg): void {
    this.dialogs.set(key, leg);
  }
  removeDialog(key: string): void {
    this.dialogs.delete(key);
  }

  // ---

  private send(buf: Buffer, peer: Peer): void {
    const s = this.sockets.find((x) => x.transport === peer.transport);
    s?.send(buf, peer);
  }

  /**
   * Responses go back to where the request came from, always (RFC 3581 symmetric response routing,
   * whether or not the Via asks for rport): a trunk behind NAT or with a wrong Via still gets its
   * answer, and no one can point our answers at a third party by writing its address in a Via.
   */
  private replyPeer(_req: unknown, peer: Peer): Peer {
    return peer;
  }

  private frame(frame: Buffer, peer: Peer): void {
    if (this.stopped) return;
    const parsed = parseMessage(frame, peer.transport === 'tcp');
    if (!parsed.ok) {
      this.log.debug({ address: peer.address, reason: parsed.reason }, 'sip message refused');
      if (parsed.reply) this.send(buildResponse(parsed.reply, this.trunksByAddress.has(peer.address) ? 400 : 403, { reason: this.trunksByAddress.has(peer.address) ? `Bad Request (${parsed.reason})` : undefined }), this.replyPeer(parsed.reply, peer));
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'response') {
      if (this.trunksByAddress.has(peer.address)) this.transactions.receiveResponse(msg);
      return;
    }
    this.request(msg, peer);
  }

  private request(req: SipRequest, peer: Peer): void {
    const to = this.replyPeer(req, peer);
    const answer = (status: number, headers: { name: string; value: string }[] = []) => {
      if (req.method !== 'ACK') this.send(buildResponse(req, status, { headers }), to);
    };
    const trunk = this.trunksByAddress.get(peer.address);
    if (!trunk) {
      this.refuse(peer.address, req.method, 403);
      return answer(403);
    }
    if (req.version !== '2.0') return answer(505);
    if (!req.via[0].branch) return answer(400);
    if (!req.requestUri) return answer(416);
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      const required = getHeaders(req, 'Require').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
      if (required.length) return answer(420, [{ name: 'Unsupported', value: required.join(', ') }]);
    }

    const { tx, ackFor2xx, overloaded } = this.transactions.receive(req, to, this.opts.maxTransactions ?? 20_000);
    if (overloaded) return answer(503, [{ name: 'Retry-After', value: '5' }]);
    if (!tx) {
      if (ackFor2xx) this.dialogOf(req)?.ack();
      return;
    }
    const respond = (status: number, headers: { name: string; value: string }[] = []) => tx.respond(status, buildResponse(req, status, { headers }));
    switch (req.method) {
      case 'OPTIONS':
        return respond(200, [
          { name: 'Allow', value: ALLOW },
          { name: 'Accept', value: 'application/sdp' },
        ]);
      case 'INVITE':
        return req.to.tag ? this.reinvite(req, tx) : this.invite(req, tx, trunk);
      case 'CANCEL': {
        // RFC 3261 §9.2: 481 only when no INVITE transaction matches; one already answered gets 200 and no effect.
        const invite = this.transactions.inviteFor(req);
        if (!invite) return respond(481);
        respond(200);
        return this.pending.get(invite.key)?.cancel();
      }
      case 'BYE': {
        const leg = this.dialogOf(req);
        if (!leg) return respond(481);
        if (!leg.inOrder(req)) return respond(500);
        return leg.byeReceived(req, tx);
      }
      default:
        return KNOWN.has(req.method) ? respond(405, [{ name: 'Allow', value: ALLOW }]) : respond(501);
    }
  }

  private dialogOf(req: SipRequest): InboundLeg | undefined {
    return this.dialogs.get(Dialog.key(req.callId, req.from.tag ?? '', req.to.tag ?? ''));
  }

  private invite(req: SipRequest, tx: ServerTransaction, trunk: TrunkConfig): void {
    const reject = (status: number) => tx.respond(status, buildResponse(req, status));
    tx.respond(100, buildResponse(req, 100));
    const called = calledNumber(req);
    if (!called || !trunk.numbers.includes(called)) {
      this.refuse(tx.peer.address, 'INVITE', 404, called);
      return reject(404);
    }
    const ct = req.contentType?.split(';')[0].trim().toLowerCase();
    if (req.body.length && ct !== 'application/sdp') return tx.respond(415, buildResponse(req, 415, { headers: [{ name: 'Accept', value: 'application/sdp' }] }));
    if (this.events.count('call') === 0) return reject(480);
    if (this.calls.size >= (this.opts.maxCalls ?? 1000)) return tx.respond(503, buildResponse(req, 503, { headers: [{ name: 'Retry-After', value: '5' }] }));

    const leg = new InboundLeg(this, tx);
    this.pending.set(tx.key, leg);
    const call = new Call({ trunk: trunk.name, caller: callerNumber(req), called, sipCallId: req.callId }, leg, this.opts.media, (e) =>
      this.log.warn({ err: String(e) }, 'call listener threw'),
    );
    leg.signals = call;
    this.calls.add(call);
    call.on('state', (s) => {
      if (s !== 'trying' && s !== 'ringing') this.pending.delete(tx.key);
    });
    // Whoever took the call may never answer it (a listener that threw, a stuck IVR): do not ring forever.
    const noAnswer = setTimeout(() => {
      if (call.state === 'trying' || call.state === 'ringing') void call.hangup('unanswered');
    }, this.opts.noAnswerMs ?? 180_000);
    noAnswer.unref();
    call.onEnd(({ reason }) => {
      clearTimeout(noAnswer);
      this.calls.delete(call);
      this.pending.delete(tx.key);
      this.log.info({ call: call.id, trunk: trunk.name, reason }, 'call ended');
    });
    this.log.info({ call: call.id, trunk: trunk.name, sipCallId: req.callId }, 'call arrived');
    this.events.emit('call', call);
  }

  private reinvite(req: SipRequest, tx: ServerTransaction): void {
    const leg = this.dialogOf(req);
    if (!leg) return tx.respond(481, buildResponse(req, 481));
    if (!leg.inOrder(req)) return tx.respond(500, buildResponse(req, 500));
    tx.respond(100, buildResponse(req, 100));
    void leg.reinviteReceived(req, tx).catch(() => tx.respond(500, buildResponse(req, 500)));
  }

  /** 403/404 are logged at most 10 times a minute, with a count of what was left out (a scan must not flood the log). */
  private refuse(address: string, method: string, status: 403 | 404, called?: string): void {
    const now = Date.now();
    const w = this.refusedLogged;
    if (now - w.windowStart > 60_000) {
      if (w.suppressed) this.log.warn({ suppressed: w.suppressed }, 'sip requests refused (not logged one by one)');
      this.refusedLogged = { windowStart: now, count: 0, suppressed: 0 };
    }
    if (this.refusedLogged.count++ < 10) this.log.warn({ address, method, status, called }, status === 403 ? 'sip request from an address on no trunk' : 'sip call to a number not on its trunk');
    else this.refusedLogged.suppressed++;
    this.events.emit('refused', { address, method, status });
  }
}

/** The called number: the Request-URI's user part without user parameters or visual separators. */
function calledNumber(req: SipRequest): string | undefined {
  const user = req.requestUri?.user;
  if (!user) return undefined;
  return decodeURIComponentSafe(user.split(';')[0]).replace(/[-.() ]/g, '');
}

function callerNumber(req: SipRequest): string {
  const m = /^sips?:([^@;]+)@/i.exec(req.from.uri);
  return m ? decodeURIComponentSafe(m[1]) : '';
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
