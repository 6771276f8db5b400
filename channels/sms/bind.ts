/**
 * One SMPP session to the SMSC (an ESME bind): connect, bind, enquire_link both ways, submit_sm with
 * a window of outstanding requests that is never exceeded, deliver_sm handed to the connector and
 * answered only when it says so (after the store), and reconnect with exponential backoff and jitter.
 * A refused bind (wrong password, unknown system id) is a clear degraded reason and waits the longest
 * backoff: no hot loop. Frames are read by pdu.ts (see there why not by the smpp package).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from 'pino';
import smpp, { type PDU } from 'smpp';
import type { SmsAccount } from './config.js';
import { CMD, decodeDeliverSm, deliverSmResp, FrameReader, headerPdu, PduError, STATUS, submitSmRespId, type DeliverSm, type Frame } from './pdu.js';

export type BindKind = 'transceiver' | 'transmitter' | 'receiver';
export type BindState = 'connecting' | 'bound' | 'down' | 'stopped';

export interface BindOptions {
  enquireLinkSec: number;
  responseTimeoutSec: number;
  /** Backoff after a drop: from min to max, doubled each failure, with ±50% jitter. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  log: Logger;
  /** A decoded deliver_sm; resolves with the command_status to answer (after the store). */
  onDeliver(d: DeliverSm): Promise<number>;
}

export interface SubmitResult {
  status: number;
  messageId?: string;
}

/** Refused binds that retrying quickly cannot fix. */
const BIND_REFUSALS: Record<number, string> = {
  [STATUS.RINVPASWD]: 'invalid password',
  [STATUS.RINVSYSID]: 'invalid system_id',
  [STATUS.RBINDFAIL]: 'bind failed',
};

export class SmppBind extends EventEmitter {
  state: BindState = 'down';
  /** Why the bind is not up (for /readyz; never a secret). */
  reason = 'not connected yet';
  private socket?: net.Socket;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (f: Frame) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private inWindow = 0;
  private readonly windowWaiters: (() => void)[] = [];
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private enquireTimer?: NodeJS.Timeout;
  private lastRead = Date.now();
  /** Most outstanding submit_sm ever seen (tests check the window). */
  maxInWindow = 0;

  constructor(
    readonly account: SmsAccount,
    readonly kind: BindKind,
    readonly label: string,
    private readonly opts: BindOptions,
  ) {
    super();
  }

  get canSend(): boolean {
    return this.state === 'bound' && this.kind !== 'receiver';
  }

  start(): void {
    if (this.state === 'stopped') return;
    this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.reconnectTimer);
    clearInterval(this.enquireTimer);
    const s = this.socket;
    if (!s || s.destroyed) return;
    // Polite unbind, but never wait long for it.
    await Promise.race([this.request(smppPdu('unbind', {}), 1000).catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    s.destroy();
  }

  private connect(): void {
    this.state = 'connecting';
    const s = net.connect({ host: this.account.host, port: this.account.port });
    this.socket = s;
    // Nagle holds small PDUs back and costs ~4x in throughput with receipts flowing both ways.
    s.setNoDelay(true);
    const reader = new FrameReader();
    s.on('data', (chunk: Buffer) => {
      this.lastRead = Date.now();
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        // No way to find the next PDU boundary: drop the session and bind again.
        this.opts.log.warn({ bind: this.label, err: (e as Error).message }, 'smpp stream unreadable; rebinding');
        s.destroy();
        return;
      }
      for (const f of frames) this.onFrame(f);
    });
    s.on('error', (e) => this.opts.log.debug({ bind: this.label, err: e.message }, 'smpp socket error'));
    s.on('close', () => this.onClose(s));
    s.once('connect', () => void this.bind());
  }

  private async bind(): Promise<void> {
    const a = this.account;
    const cmd = this.kind === 'transceiver' ? 'bind_transceiver' : this.kind === 'transmitter' ? 'bind_transmitter' : 'bind_receiver';
    let resp: Frame;
    try {
      resp = await this.request(smppPdu(cmd, { system_id: a.systemId, password: a.password, system_type: a.systemType, interface_version: 0x34, addr_ton: a.sourceTon, addr_npi: a.sourceNpi }), this.opts.responseTimeoutSec * 1000);
    } catch {
      return; // the socket closed or timed out: onClose reconnects
    }
    if (resp.status !== 0) {
      const why = BIND_REFUSALS[resp.status] ?? 'bind refused';
      this.reason = `${this.label}: ${why} (command_status 0x${resp.status.toString(16)})`;
      this.refused = true;
      this.opts.log.error({ bind: this.label, status: resp.status }, `smpp bind refused: ${why}`);
      this.socket?.destroy();
      return;
    }
    this.failures = 0;
    this.refused = false;
    this.state = 'bound';
    this.reason = '';
    this.opts.log.info({ bind: this.label }, 'smpp bound');
    this.emit('state', this.state);
    clearInterval(this.enquireTimer);
    this.enquireTimer = setInterval(() => this.keepAlive(), this.opts.enquireLinkSec * 1000);
    this.enquireTimer.unref();
  }

  /** The SMSC refused the bind (credentials, system id): an error a person must fix, not a passing drop. */
  refused = false;

  private keepAlive(): void {
    if (Date.now() - this.lastRead < this.opts.enquireLinkSec * 1000) return;
    this.request(smppPdu('enquire_link', {}), this.opts.responseTimeoutSec * 1000).catch(() => {
      this.opts.log.warn({ bind: this.label }, 'enquire_link unanswered; rebinding');
      this.socket?.destroy();
    });
  }

  private onClose(s: net.Socket): void {
    if (s !== this.socket) return;
    clearInterval(this.enquireTimer);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('connection lost'));
    }
    this.pending.clear();
    this.inWindow = 0;
    for (const w of this.windowWaiters.splice(0)) w();
    if (this.state === 'stopped') return;
    if (!this.refused) this.reason = `${this.label}: connection to the SMSC lost`;
    this.state = 'down';
    this.emit('state', this.state);
    this.failures++;
    const min = this.opts.backoffMinMs ?? 500;
    const max = this.opts.backoffMaxMs ?? 30_000;
    // A refused bind will be refused again right away: go straight to the longest wait.
    const base = this.refused ? max : Math.min(max, min * 2 ** (this.failures - 1));
    const delay = base * (0.5 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private write(buf: Buffer): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(buf);
  }

  /** Send a request PDU and wait for its resp (or a generic_nack carrying its sequence number). */
  private request(pdu: PDU, timeoutMs: number): Promise<Frame> {
    const seq = (this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1);
    pdu.sequence_number = seq;
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error('no response from the SMSC'));
      }, timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
      this.write(pdu.toBuffer());
    });
  }

  /** submit_sm within the window: waits for a free slot, never more than `window` outstanding. */
  async submit(params: Record<string, unknown>): Promise<SubmitResult> {
    while (this.inWindow >= this.account.window) {
      if (!this.canSend) throw new Error('connection lost');
      await new Promise<void>((r) => this.windowWaiters.push(r));
    }
    if (!this.canSend) throw new Error('connection lost');
    this.inWindow++;
    this.maxInWindow = Math.max(this.maxInWindow, this.inWindow);
    try {
      const f = await this.request(smppPdu('submit_sm', params), this.opts.responseTimeoutSec * 1000);
      if (f.commandId === CMD.generic_nack) return { status: f.status || STATUS.RSYSERR };
      if (f.status !== 0) return { status: f.status };
      const id = submitSmRespId(f.body);
      return id ? { status: 0, messageId: id } : { status: STATUS.RSYSERR };
    } finally {
      this.inWindow--;
      this.windowWaiters.shift()?.();
    }
  }

  private onFrame(f: Frame): void {
    if (f.commandId & 0x80000000) {
      const p = this.pending.get(f.sequence);
      if (!p) return; // a resp we no longer wait for (timed out): nothing to do
      this.pending.delete(f.sequence);
      clearTimeout(p.timer);
      p.resolve(f);
      return;
    }
    switch (f.commandId) {
      case CMD.enquire_link:
        this.write(headerPdu(CMD.enquire_link_resp, 0, f.sequence));
        return;
      case CMD.unbind:
        this.write(headerPdu(CMD.unbind_resp, 0, f.sequence));
        this.socket?.end();
        return;
      case CMD.deliver_sm:
        void this.deliver(f);
        return;
      default:
        // SMPP 3.4 §3.3: an unknown or unexpected command gets generic_nack with ESME_RINVCMDID.
        this.opts.log.warn({ bind: this.label, commandId: f.commandId }, 'unknown smpp command; generic_nack');
        this.write(headerPdu(CMD.generic_nack, STATUS.RINVCMDID, f.sequence));
    }
  }

  private async deliver(f: Frame): Promise<void> {
    const sock = this.socket;
    let d: DeliverSm;
    try {
      d = decodeDeliverSm(f.body);
    } catch (e) {
      const status = e instanceof PduError ? e.status : STATUS.RSYSERR;
      this.opts.log.warn({ bind: this.label, err: (e as Error).message }, 'malformed deliver_sm refused');
      this.write(deliverSmResp(status, f.sequence));
      return;
    }
    let status: number;
    try {
      status = await this.opts.onDeliver(d);
    } catch (e) {
      // Not stored: a temporary error makes the SMSC deliver it again later.
      this.opts.log.warn({ bind: this.label, err: (e as Error).message }, 'deliver_sm not stored; SMSC will retry');
      status = STATUS.RX_T_APPN;
    }
    // The resp belongs to the session the PDU came on; after a reconnect the SMSC redelivers anyway.
    if (sock === this.socket) this.write(deliverSmResp(status, f.sequence));
  }
}

function smppPdu(command: string, options: Record<string, unknown>): PDU {
  return new smpp.PDU(command, options);
}
