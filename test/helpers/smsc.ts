/**
 * A scriptable SMSC for tests: real SMPP v3.4 over TCP on loopback, built on the smpp package's
 * server mode. It checks binds, answers enquire_link and unknown PDUs, keeps every submit_sm, sends
 * receipts (after, before or twice around the submit_sm_resp), MO messages (single or concatenated, in
 * any order), and can misbehave on demand: throttle (0x58), delay resps, drop connections, write raw
 * (malformed) bytes.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import smpp, { type PDU, type Server, type Session } from 'smpp';

// The simulator checks what the ESME put on the wire, so short_message stays raw octets: the package's
// decode filter (shared by submit_sm and deliver_sm) would guess an encoding and strip the UDH.
const defs = createRequire(import.meta.url)('smpp/lib/defs.js') as { filters: { message: { decode: (v: unknown) => unknown } } };
defs.filters.message.decode = (v) => v;

export interface Submitted {
  id: string;
  dest: string;
  source: string;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  /** short_message as sent (UDH included). */
  raw: Buffer;
  session: Session;
}

export type ReceiptMode = 'after' | 'before' | 'twice' | 'none';

export class Smsc extends EventEmitter {
  server!: Server;
  port = 0;
  readonly accounts = new Map<string, string>();
  readonly submitted: Submitted[] = [];
  /** Bind attempts, accepted or not (a hot loop shows here). */
  bindAttempts = 0;
  readonly sessions = new Set<Session>();
  /** Outstanding submit_sm per session right now, and the most ever seen. */
  maxOutstanding = 0;
  private outstanding = new Map<Session, number>();
  /** Script: the next N submit_sm get this status. */
  failNext: { count: number; status: number } = { count: 0, status: 0 };
  respDelayMs = 0;
  receipts: ReceiptMode = 'after';
  receiptStat = 'DELIVRD';
  /** enquire_link requests from the ESME that we answered. */
  enquireLinks = 0;
  private nextId = 1;

  constructor(accounts: Record<string, string> = { esme: 'secret' }) {
    super();
    for (const [k, v] of Object.entries(accounts)) this.accounts.set(k, v);
  }

  async listen(): Promise<number> {
    this.server = smpp.createServer({}, (s) => this.onSession(s));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  private onSession(s: Session): void {
    s.socket.setNoDelay(true);
    let bound = false;
    this.outstanding.set(s, 0);
    s.on('error', () => s.destroy());
    s.socket.on('close', () => {
      this.sessions.delete(s);
      this.outstanding.delete(s);
    });
    s.on('pdu', (pdu: PDU) => {
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_transmitter':
        case 'bind_receiver': {
          this.bindAttempts++;
          const ok = this.accounts.get(String(pdu.system_id)) === String(pdu.password);
          s.send(pdu.response({ command_status: ok ? 0 : 0x0e, system_id: 'sim' }));
          if (ok) {
            bound = true;
            this.sessions.add(s);
            this.emit('bound', s);
          }
          return;
        }
        case 'enquire_link':
          this.enquireLinks++;
          s.send(pdu.response());
          return;
        case 'unbind':
          s.send(pdu.response());
          s.close();
          return;
        case 'submit_sm':
          if (!bound) return void s.send(pdu.response({ command_status: 0x04 }));
          return void this.onSubmit(s, pdu);
        case 'unknown':
          s.send(pdu.response());
          return;
        default:
          if (pdu.isResponse && (pdu as unknown as { isResponse(): boolean }).isResponse()) return;
      }
    });
  }

  private onSubmit(s: Session, pdu: PDU): void {
    const n = this.outstanding.get(s)! + 1;
    this.outstanding.set(s, n);
    this.maxOutstanding = Math.max(this.maxOutstanding, n);
    const respond = () => {
      this.outstanding.set(s, (this.outstanding.get(s) ?? 1) - 1);
      if (this.failNext.count > 0) {
        this.failNext.count--;
        s.send(pdu.response({ command_status: this.failNext.status }));
        return;
      }
      const id = `sim${this.nextId++}`;
      const sub: Submitted = {
        id,
        dest: String(pdu.destination_addr),
        source: String(pdu.source_addr),
        dataCoding: Number(pdu.data_coding),
        esmClass: Number(pdu.esm_class),
        registeredDelivery: Number(pdu.registered_delivery),
        raw: pdu.short_message as Buffer,
        session: s,
      };
      this.submitted.push(sub);
      const receipt = () => this.sendReceipt(s, id, this.receiptStat);
      if (this.receipts === 'before') receipt();
      s.send(pdu.response({ message_id: id }));
      this.emit('submit', sub);
      if (this.receipts === 'after') receipt();
      if (this.receipts === 'twice') {
        receipt();
        receipt();
      }
    };
    if (this.respDelayMs) setTimeout(respond, this.respDelayMs);
    else respond();
  }

  /** A delivery receipt for an SMSC message id, in the customary text form plus the TLVs. */
  sendReceipt(s: Session, id: string, stat: string, err = '000'): Promise<number> {
    const now = '2612031200';
    const text = `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${now} done date:${now} stat:${stat} err:${err} text:`;
    return this.deliver(s, { source_addr: '8613800138000', destination_addr: '95588', esm_class: 0x04, data_coding: 0, short_message: Buffer.from(text, 'latin1') });
  }

  /** Send a deliver_sm; resolves with the ESME's command_status once it answers. */
  deliver(s: Session | undefined, fields: Record<string, unknown>): Promise<number> {
    const session = s ?? this.anySession();
    return new Promise((resolve, reject) => {
      const onClose = () => reject(new Error('session closed before deliver_sm_resp'));
      session.socket.once('close', onClose);
      const ok = session.send(new smpp.PDU('deliver_sm', { source_addr_ton: 1, source_addr_npi: 1, dest_addr_ton: 0, dest_addr_npi: 1, data_coding: 0, ...fields }), (resp: PDU) => {
        session.socket.off('close', onClose);
        resolve(resp.command_status);
      });
      if (!ok) reject(new Error('session not writable'));
    });
  }

  /** An MO text from a number (GSM if it fits in ASCII, else UCS-2). */
  mo(from: string, text: string, s?: Session): Promise<number> {
    const ascii = /^[\x20-\x7e]*$/.test(text);
    const body = ascii ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf16le').swap16();
    return this.deliver(s, { source_addr: from, destination_addr: '95588', data_coding: ascii ? 0 : 8, short_message: body });
  }

  /** The parts of a long UCS-2 MO with an 8-bit concatenation UDH, each resolved when acked. */
  moPartsUcs2(from: string, text: string, ref: number, per = 67): { seq: number; send: () => Promise<number> }[] {
    const units = Buffer.from(text, 'utf16le').swap16();
    const chunks: Buffer[] = [];
    for (let o = 0; o < units.length; o += per * 2) chunks.push(units.subarray(o, o + per * 2));
    return chunks.map((c, i) => ({
      seq: i + 1,
      send: () => this.deliver(undefined, { source_addr: from, destination_addr: '95588', esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([Buffer.from([5, 0, 3, ref, chunks.length, i + 1]), c]) }),
    }));
  }

  /** Write bytes as they are to a session (malformed PDUs). */
  writeRaw(buf: Buffer, s?: Session): void {
    (s ?? this.anySession()).socket.write(buf);
  }

  anySession(): Session {
    const s = [...this.sessions][0];
    if (!s) throw new Error('no bound session');
    return s;
  }

  /** Cut every connection (as a network drop does). */
  dropAll(): void {
    for (const s of this.sessions) s.socket.destroy();
    this.sessions.clear();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
