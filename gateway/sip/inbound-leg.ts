/**
 * The SIP side of one inbound call (gateway/call/leg.ts CallLeg): answers its INVITE transaction,
 * holds the dialog once answered, retransmits the 2xx until the ACK (RFC 3261 §13.3.1.4, UDP only:
 * a reliable transport carries it once), sends BYE, and passes CANCEL, BYE and re-INVITE on to the
 * call.
 */
import type { CallLeg, CallSignals } from '../call/leg.js';
import { ALLOW, buildResponse, newTag } from './build.js';
import { Dialog, type LocalAddress } from './dialog.js';
import { getHeaders, type SipRequest } from './message.js';
import type { ServerTransaction, TransactionLayer } from './transactions.js';

export interface LegHost {
  readonly transactions: TransactionLayer;
  /** Our address on the transport the INVITE came on (Via, Contact). */
  local(transport: 'udp' | 'tcp'): LocalAddress;
  addDialog(key: string, leg: InboundLeg): void;
  removeDialog(key: string): void;
}

export class InboundLeg implements CallLeg {
  readonly localTag = newTag();
  readonly offer: string;
  signals?: CallSignals;
  private dialog?: Dialog;
  private ackWait?: { resolve: (r: 'acked' | 'no-ack') => void; timers: NodeJS.Timeout[] };
  private ended = false;

  constructor(
    private readonly host: LegHost,
    readonly tx: ServerTransaction,
  ) {
    const ct = tx.request.contentType?.split(';')[0].trim().toLowerCase();
    this.offer = ct === 'application/sdp' ? tx.request.body.toString('utf8') : '';
  }

  private contact(): { name: string; value: string } {
    const l = this.host.local(this.tx.peer.transport);
    return { name: 'Contact', value: `<sip:cchub@${l.host}:${l.port}${this.tx.peer.transport === 'tcp' ? ';transport=tcp' : ''}>` };
  }

  /** Record-Route copied into responses that create the dialog, so the trunk's proxy stays on the path (RFC 3261 §12.1.1). */
  private recordRoute(): { name: string; value: string }[] {
    return getHeaders(this.tx.request, 'Record-Route').map((value) => ({ name: 'Record-Route', value }));
  }

  provisional(status: 180 | 183): void {
    this.tx.respond(status, buildResponse(this.tx.request, status, { toTag: this.localTag, headers: [...this.recordRoute(), this.contact()] }));
  }

  reject(status: number): void {
    this.tx.respond(status, buildResponse(this.tx.request, status, { toTag: this.localTag }));
    this.finish();
  }

  accept(sdp: string): Promise<'acked' | 'no-ack'> {
    if (!this.tx.pending) return Promise.resolve('no-ack');
    const dialog = new Dialog(this.tx.request, this.localTag, this.tx.peer, this.host.local(this.tx.peer.transport));
    this.dialog = dialog;
    this.host.addDialog(dialog.key, this);
    return this.sendFinal(this.tx, buildResponse(this.tx.request, 200, {
      toTag: this.localTag,
      headers: [...this.recordRoute(), this.contact(), { name: 'Allow', value: ALLOW }],
      body: Buffer.from(sdp),
      contentType: 'application/sdp',
    }));
  }

  /** Sends a 2xx and retransmits it (UDP: T1 doubling to T2) until the ACK, giving up at 64·T1. */
  private sendFinal(tx: ServerTransaction, buf: Buffer): Promise<'acked' | 'no-ack'> {
    const { t1, t2 } = this.host.transactions.timers;
    tx.respond(200, buf);
    return new Promise((resolve) => {
      const wait = { resolve, timers: [] as NodeJS.Timeout[] };
      this.ackWait = wait;
      const after = (ms: number, fn: () => void) => {
        const t = setTimeout(fn, ms);
        t.unref();
        wait.timers.push(t);
      };
      if (tx.peer.transport === 'udp') {
        const again = (interval: number) =>
          after(interval, () => {
            if (this.ackWait !== wait) return;
            this.host.transactions.send(buf, tx.peer);
            again(Math.min(2 * interval, t2));
          });
        again(t1);
      }
      after(64 * t1, () => this.settleAck('no-ack'));
    });
  }

  private settleAck(r: 'acked' | 'no-ack'): void {
    const wait = this.ackWait;
    if (!wait) return;
    this.ackWait = undefined;
    for (const t of wait.timers) clearTimeout(t);
    wait.resolve(r);
  }

  // --- from the gateway ---

  ack(): void {
    this.settleAck('acked');
  }

  cancel(): void {
    if (!this.tx.pending) return;
    this.reject(487);
    this.signals?.cancelled();
  }

  byeReceived(req: SipRequest, tx: ServerTransaction): void {
    tx.respond(200, buildResponse(req, 200));
    this.settleAck('acked');
    this.finish();
    this.signals?.remoteBye();
  }

  async reinviteReceived(req: SipRequest, tx: ServerTransaction): Promise<void> {
    if (this.ackWait) {
      // Our 2xx is still waiting for its ACK: a second offer now would cross it (RFC 3261 §14.2).
      tx.respond(491, buildResponse(req, 491));
      return;
    }
    const body = req.contentType?.split(';')[0].trim().toLowerCase() === 'application/sdp' ? req.body.toString('utf8') : '';
    const answer = (await this.signals?.reinvite(body)) ?? { status: 500 };
    if (answer.status !== 200 || !answer.sdp) {
      tx.respond(answer.status, buildResponse(req, answer.status));
      return;
    }
    this.dialog?.refresh(req);
    void this.sendFinal(tx, buildResponse(req, 200, { headers: [this.contact()], body: Buffer.from(answer.sdp), contentType: 'application/sdp' }));
  }

  async bye(): Promise<number> {
    const d = this.dialog;
    if (!d || this.ended) return 481;
    this.settleAck('no-ack');
    this.finish();
    const { buf, branch, peer } = d.request('BYE');
    const res = await this.host.transactions.request(buf, branch, 'BYE', peer);
    return res.status;
  }

  /** Forgets the dialog (after BYE either way, or a final non-2xx). */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.dialog) this.host.removeDialog(this.dialog.key);
  }

  /** The dialog's CSeq rule for requests from the trunk (RFC 3261 §12.2.2). */
  inOrder(req: SipRequest): boolean {
    if (!this.dialog) return true;
    if (req.cseq.seq < this.dialog.remoteSeq) return false;
    this.dialog.remoteSeq = req.cseq.seq;
    return true;
  }
}
