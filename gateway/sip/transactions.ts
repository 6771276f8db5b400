/**
 * The transaction layer (RFC 3261 §17, with RFC 6026's Accepted state). Server transactions absorb
 * retransmitted requests and resend the last response; over UDP a final non-2xx answer to INVITE is
 * retransmitted (timer G) until ACK or timer H. Client non-INVITE transactions (BYE, OPTIONS towards
 * the trunk) retransmit over UDP (timer E) and give up at timer F with a 408.
 *
 * Matching is by branch, sent-by and method (§17.2.3); a request whose top Via has no branch never
 * gets here (the gateway answers it 400), so the RFC 2543 fallback is not needed.
 */
import type { Peer } from './transport.js';
import type { SipRequest, SipResponse, Via } from './message.js';

export interface Timers {
  t1: number;
  t2: number;
  t4: number;
}

export type SendFn = (buf: Buffer, peer: Peer) => void;

type ServerState = 'trying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

function sentBy(v: Via): string {
  return `${v.host.toLowerCase()}:${v.port ?? (v.transport === 'TLS' ? 5061 : 5060)}`;
}

export function serverKey(req: SipRequest): string {
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  return `${req.via[0].branch}|${sentBy(req.via[0])}|${method}`;
}

export class ServerTransaction {
  state: ServerState;
  private last?: Buffer;
  private timers: NodeJS.Timeout[] = [];
  /** Set by the gateway: called once when the transaction ends without the ACK it waited for (timer H). */
  onTimeout?: () => void;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly peer: Peer,
    private readonly layer: TransactionLayer,
  ) {
    this.state = request.method === 'INVITE' ? 'proceeding' : 'trying';
  }

  get isInvite() {
    return this.request.method === 'INVITE';
  }
  /** True until a final response went out. */
  get pending() {
    return this.state === 'trying' || this.state === 'proceeding';
  }

  respond(status: number, buf: Buffer): void {
    if (!this.pending) return;
    const { t1, t2 } = this.layer.timers;
    const udp = this.peer.transport === 'udp';
    this.last = buf;
    this.layer.send(buf, this.peer);
    if (status < 200) {
      this.state = 'proceeding';
      return;
    }
    if (!this.isInvite) {
      this.state = 'completed';
      this.after(udp ? 64 * t1 : 0, () => this.terminate()); // timer J
      return;
    }
    if (status < 300) {
      // RFC 6026: absorb INVITE retransmissions for timer L; the call retransmits the 2xx itself.
      this.state = 'accepted';
      this.after(64 * t1, () => this.terminate());
      return;
    }
    this.state = 'completed';
    if (udp) {
      const g = (interval: number) =>
        this.after(interval, () => {
          if (this.state !== 'completed') return;
          this.layer.send(buf, this.peer);
          g(Math.min(2 * interval, t2));
        });
      g(t1); // timer G
    }
    this.after(64 * t1, () => {
      // timer H: no ACK came
      if (this.state !== 'completed') return;
      this.terminate();
      this.onTimeout?.();
    });
  }

  /** A retransmission of our request, or the ACK of a non-2xx final. */
  absorb(req: SipRequest): void {
    if (req.method === 'ACK') {
      if (this.state !== 'completed') return;
      this.state = 'confirmed';
      this.clear();
      this.after(this.peer.transport === 'udp' ? this.layer.timers.t4 : 0, () => this.terminate()); // timer I
      return;
    }
    if (this.last && (this.state === 'proceeding' || this.state === 'completed')) this.layer.send(this.last, this.peer);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  terminate(): void {
    this.state = 'terminated';
    this.clear();
    this.layer.forget(this);
  }
}

interface ClientTx {
  resolve: (r: SipResponse) => void;
  timers: NodeJS.Timeout[];
  done: boolean;
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTx>();

  constructor(
    readonly timers: Timers,
    readonly send: SendFn,
  ) {}

  get size() {
    return { server: this.servers.size, client: this.clients.size };
  }

  /**
   * An inbound request. Returns the new server transaction for the core to answer, or undefined when
   * the request belonged to an existing one (a retransmission, or the ACK of a non-2xx final) and was
   * handled here. An ACK matching no transaction (the ACK of a 2xx) also returns undefined with
   * `ackFor2xx` true, for the dialog.
   */
  receive(req: SipRequest, peer: Peer, limit = Infinity): { tx?: ServerTransaction; ackFor2xx?: boolean; overloaded?: boolean } {
    const key = serverKey(req);
    const existing = this.servers.get(key);
    if (existing) {
      existing.absorb(req);
      // An ACK on the INVITE's branch after a 2xx is not ours to take (RFC 6026 §8.6).
      return { ackFor2xx: req.method === 'ACK' && existing.state === 'accepted' };
    }
    if (req.method === 'ACK') return { ackFor2xx: true };
    // Every transaction is held up to 64·T1: a flood of new branches must not grow memory without bound.
    if (this.servers.size >= limit) return { overloaded: true };
    const tx = new ServerTransaction(key, req, peer, this);
    this.servers.set(key, tx);
    return { tx };
  }

  /** The INVITE server transaction a CANCEL refers to (same branch and sent-by, §9.2). */
  inviteFor(cancel: SipRequest): ServerTransaction | undefined {
    return this.servers.get(`${cancel.via[0].branch}|${sentBy(cancel.via[0])}|INVITE`);
  }

  forget(tx: ServerTransaction): void {
    if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
  }

  /**
   * Sends a non-INVITE request (BYE, OPTIONS) and resolves with its final response, or a synthetic
   * 408 at timer F. `branch` and `method` are those of the request's top Via and CSeq.
   */
  request(buf: Buffer, branch: string, method: string, peer: Peer): Promise<SipResponse> {
    const key = `${branch}|${method}`;
    const { t1, t2 } = this.timers;
    return new Promise((resolve) => {
      const tx: ClientTx = { resolve, timers: [], done: false };
      this.clients.set(key, tx);
      const after = (ms: number, fn: () => void) => {
        const t = setTimeout(fn, ms);
        t.unref();
        tx.timers.push(t);
      };
      this.send(buf, peer);
      if (peer.transport === 'udp') {
        const e = (interval: number) =>
          after(interval, () => {
            if (tx.done) return;
            this.send(buf, peer);
            e(Math.min(2 * interval, t2));
          });
        e(t1); // timer E
      }
      after(64 * t1, () => {
        // timer F
        if (tx.done) return;
        tx.done = true;
        this.clients.delete(key);
        resolve({ kind: 'response', status: 408, reason: 'Request Timeout' } as SipResponse);
      });
    });
  }

  /** An inbound response: true when it matched a client transaction (others are dropped, §18.1.2). */
  receiveResponse(res: SipResponse): boolean {
    const key = `${res.via[0].branch}|${res.cseq.method}`;
    const tx = this.clients.get(key);
    if (!tx) return false;
    if (res.status < 200 || tx.done) return true;
    tx.done = true;
    for (const t of tx.timers) clearTimeout(t);
    // Timer K: keep absorbing retransmitted finals for T4 (UDP) before forgetting the branch.
    const k = setTimeout(() => this.clients.delete(key), this.timers.t4);
    k.unref();
    tx.resolve(res);
    return true;
  }

  close(): void {
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of this.clients.values()) {
      for (const t of tx.timers) clearTimeout(t);
      // Whoever awaits a request must not wait forever on a layer that is gone.
      if (!tx.done) tx.resolve({ kind: 'response', status: 408, reason: 'Request Timeout' } as SipResponse);
      tx.done = true;
    }
    this.clients.clear();
  }
}
