/**
 * The SMS connector: an SMPP v3.4 ESME per configured account (bind.ts), MT sends with our own
 * encoding and concatenation (encoding.ts), MO into conversations keyed by the sender's number, long
 * MO reassembled before it is stored (concat.ts), delivery receipts applied to the message they
 * report on (receipt.ts) and opt-out keywords. Imports the contract and lib/ only.
 */
import { createHash, randomInt } from 'node:crypto';
import type { ChannelConnector, ConnectorContext, DeliveryStatus, Limiter, OutboundMessage, SendResult } from '../contract.js';
import { RetryableError, UnrecoverableSendError } from '../../lib/errors.js';
import { SmppBind, type BindKind } from './bind.js';
import { Reassembler } from './concat.js';
import type { SmsAccount, SmsConfig } from './config.js';
import { decodeText, encodeSms, ESM_UDHI, readUdh } from './encoding.js';
import { STATUS, TLV, type DeliverSm } from './pdu.js';
import { isReceipt, mapSmscState, parseReceipt } from './receipt.js';

/** SMSC statuses worth another try later: throttled, queue full, system error. */
const TEMPORARY = new Set<number>([STATUS.RTHROTTLED, STATUS.RMSGQFUL, STATUS.RSYSERR, STATUS.RX_T_APPN]);

/** MO redeliveries of the same text from the same number within this bucket are one message (SMPP gives MO no id). */
const MO_DEDUP_BUCKET_MS = 10 * 60_000;

interface Account {
  cfg: SmsAccount;
  binds: SmppBind[];
  next: number;
  limiter?: Limiter;
}

export class SmsConnector implements ChannelConnector {
  readonly kind = 'sms' as const;
  private ctx?: ConnectorContext;
  readonly accounts = new Map<string, Account>();
  private readonly reassembler: Reassembler;
  /** SMSC message id → our message id, for receipts (until context v2's statusByExternalId lands). */
  private readonly sentIds = new Map<string, string>();
  /** Receipts that arrived before their submit_sm_resp: applied (and acked) when the id is known. */
  private readonly early = new Map<string, { status: DeliveryStatus; detail: string; done: () => void }[]>();
  private upReported = false;

  constructor(readonly config: SmsConfig) {
    this.reassembler = new Reassembler(config.concatTimeoutSec * 1000, async (a) => {
      const text = a.texts.map((t) => t ?? '').join('');
      const [from, to, ref] = a.key.split('|');
      await this.ingest(from!, to!, text, `concat:${ref}:${a.total}`, a.complete);
    });
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
    for (const cfg of this.config.accounts) {
      const kinds: BindKind[] = cfg.mode === 'transceiver' ? ['transceiver'] : ['transmitter', 'receiver'];
      const binds: SmppBind[] = [];
      for (let i = 0; i < cfg.binds; i++)
        for (const k of kinds)
          binds.push(
            new SmppBind(cfg, k, `${cfg.name}#${i + 1}${kinds.length > 1 ? `/${k}` : ''}`, {
              enquireLinkSec: this.config.enquireLinkSec,
              responseTimeoutSec: this.config.responseTimeoutSec,
              log: ctx.log,
              onDeliver: (d) => this.onDeliver(cfg, d),
            }),
          );
      // The operator's TPS holds for the account, across binds and hub processes: a window in Redis.
      const limiter = ctx.limiter(`tps:${cfg.name}`, cfg.tps, 1);
      const acc: Account = { cfg, binds, next: 0, limiter };
      this.accounts.set(cfg.name, acc);
      for (const b of binds) {
        b.on('state', () => this.reportState());
        b.start();
      }
    }
    if (!this.accounts.size) ctx.lifecycle({ type: 'started' });
  }

  /** Lifecycle from the binds: up when all are bound, degraded (with every bind's reason) otherwise. */
  private reportState(): void {
    const all = [...this.accounts.values()].flatMap((a) => a.binds);
    const down = all.filter((b) => b.state !== 'bound');
    if (!down.length) {
      this.ctx?.lifecycle({ type: this.upReported ? 'reconnected' : 'started' });
      this.upReported = true;
    } else this.ctx?.lifecycle({ type: 'degraded', reason: down.map((b) => b.reason).join('; ') });
  }

  /** Each bind's state, for the admin view and tests. */
  bindStates(): { bind: string; state: string; reason: string }[] {
    return [...this.accounts.values()].flatMap((a) => a.binds.map((b) => ({ bind: b.label, state: b.state, reason: b.reason })));
  }

  async stop(): Promise<void> {
    this.reassembler.clear();
    await Promise.all([...this.accounts.values()].flatMap((a) => a.binds.map((b) => b.stop())));
  }

  mapStatus(native: string): DeliveryStatus | undefined {
    return mapSmscState(native);
  }

  // ---------------------------------------------------------------------------------------------
  // MT

  async send(out: OutboundMessage): Promise<SendResult> {
    const to = out.to ?? (out.channelData.msisdn as string | undefined);
    if (!to || !/^\+?\d{3,20}$/.test(to)) throw new UnrecoverableSendError('no valid phone number for this conversation');
    const acc = this.accounts.get(String(out.channelData.account ?? '')) ?? this.accounts.values().next().value;
    if (!acc) throw new UnrecoverableSendError('no SMS account configured');
    const enc = encodeSms(out.message.text, randomInt(256));
    const ids: string[] = [];
    for (const part of enc.parts) {
      const bind = this.pickBind(acc);
      if (!bind) throw new RetryableError(`no SMSC bind of ${acc.cfg.name} is up`);
      await this.takeTps(acc);
      let r;
      try {
        r = await bind.submit({
          source_addr_ton: acc.cfg.sourceTon,
          source_addr_npi: acc.cfg.sourceNpi,
          source_addr: acc.cfg.sourceAddr,
          dest_addr_ton: to.startsWith('+') ? 1 : 0,
          dest_addr_npi: 1,
          destination_addr: to.replace(/^\+/, ''),
          esm_class: enc.udh ? ESM_UDHI : 0,
          registered_delivery: 1,
          data_coding: enc.dataCoding,
          short_message: part,
        });
      } catch (e) {
        throw new RetryableError(`SMSC: ${(e as Error).message}`);
      }
      if (r.status !== 0) {
        const why = `SMSC refused the message (command_status 0x${r.status.toString(16)})`;
        if (TEMPORARY.has(r.status)) throw new RetryableError(why);
        throw new UnrecoverableSendError(why);
      }
      ids.push(r.messageId!);
      this.rememberSent(r.messageId!, out.message.id);
    }
    return { externalId: ids[0], status: 'sent' };
  }

  private pickBind(acc: Account): SmppBind | undefined {
    for (let i = 0; i < acc.binds.length; i++) {
      const b = acc.binds[(acc.next + i) % acc.binds.length]!;
      if (b.canSend) {
        acc.next = (acc.next + i + 1) % acc.binds.length;
        return b;
      }
    }
    return undefined;
  }

  /** Wait for a point of the account's TPS (Redis fixed window): refused → try at the next second. */
  private async takeTps(acc: Account): Promise<void> {
    for (;;) {
      try {
        await acc.limiter!.consume('all');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + randomInt(20)));
      }
    }
  }

  private rememberSent(smscId: string, messageId: string): void {
    this.sentIds.set(smscId, messageId);
    if (this.sentIds.size > 200_000) this.sentIds.delete(this.sentIds.keys().next().value!);
    for (const r of this.early.get(smscId) ?? []) void this.applyReceipt(messageId, r.status, r.detail).finally(r.done);
    this.early.delete(smscId);
  }

  private async applyReceipt(messageId: string, status: DeliveryStatus, detail: string): Promise<void> {
    await this.ctx!.reportStatus(messageId, status, detail);
  }

  // ---------------------------------------------------------------------------------------------
  // MO and receipts

  private async onDeliver(cfg: SmsAccount, d: DeliverSm): Promise<number> {
    if (isReceipt(d)) return this.onReceipt(d);
    let body = d.shortMessage;
    const payload = d.tlvs.get(TLV.message_payload);
    if (!body.length && payload) body = payload;
    let concat: { ref: number; total: number; seq: number } | undefined;
    if (d.esmClass & ESM_UDHI) {
      const u = readUdh(body);
      if (!u) return STATUS.RINVMSGLEN;
      concat = u.concat;
      body = u.payload;
    } else if (d.tlvs.has(TLV.sar_msg_ref_num) && d.tlvs.has(TLV.sar_total_segments) && d.tlvs.has(TLV.sar_segment_seqnum)) {
      const ref = d.tlvs.get(TLV.sar_msg_ref_num)!;
      concat = { ref: ref.length === 2 ? ref.readUInt16BE(0) : ref[0] ?? 0, total: d.tlvs.get(TLV.sar_total_segments)![0] ?? 1, seq: d.tlvs.get(TLV.sar_segment_seqnum)![0] ?? 1 };
    }
    const text = decodeText(body, d.dataCoding);
    const from = d.sourceAddr;
    if (!/^\+?\d{3,20}$/.test(from)) return STATUS.RINVMSGLEN; // not a phone number we could answer
    if (concat && concat.total > 1) {
      if (concat.seq < 1 || concat.seq > concat.total) return STATUS.RINVMSGLEN;
      return new Promise<number>((ack) => this.reassembler.add(`${from}|${cfg.name}|${concat.ref}`, concat.total, { seq: concat.seq, text, ack }));
    }
    await this.ingest(from, cfg.name, text, '', true);
    return 0;
  }

  private async ingest(from: string, account: string, text: string, extra: string, complete: boolean): Promise<void> {
    const ctx = this.ctx!;
    const cfg = this.accounts.get(account)!.cfg;
    const msisdn = from.startsWith('+') ? from : `+${from}`;
    const bucket = Math.floor(Date.now() / MO_DEDUP_BUCKET_MS);
    const externalId = createHash('sha256').update(`${msisdn}|${account}|${extra}|${text}|${bucket}`).digest('hex').slice(0, 32);
    await ctx.ingest({
      channel: 'sms',
      externalId,
      customer: { identity: { channel: 'sms', address: msisdn } },
      from: msisdn,
      to: cfg.sourceAddr,
      text: complete ? text : `${text} [incomplete: parts missing]`,
      queue: cfg.queue,
      channelData: { msisdn, account, ...(complete ? {} : { incomplete: true }) },
    });
    // Opt-out keywords are recorded with the message (the consent store lands with the identities work).
    if (this.config.optOutKeywords.some((k) => k.toLowerCase() === text.trim().toLowerCase())) ctx.log.info({ account }, 'sms opt-out keyword received');
  }

  private onReceipt(d: DeliverSm): Promise<number> {
    const r = parseReceipt(d);
    if (!r) return Promise.resolve(0); // unreadable receipt: acked, nothing to apply
    const status = mapSmscState(r.stat);
    if (!status || status === 'sent') return Promise.resolve(0); // intermediate states say nothing new
    const detail = status === 'failed' ? `${r.stat}${r.err ? ` err:${r.err}` : ''}` : r.stat;
    const messageId = this.sentIds.get(r.messageId);
    if (messageId) return this.applyReceipt(messageId, status, detail).then(() => 0);
    // Before its submit_sm_resp was processed: hold the ack until the id is known, or give up after the response timeout.
    return new Promise<number>((resolve) => {
      const list = this.early.get(r.messageId) ?? [];
      const entry = { status, detail, done: () => resolve(0) };
      list.push(entry);
      this.early.set(r.messageId, list);
      setTimeout(() => {
        const l = this.early.get(r.messageId);
        if (l?.includes(entry)) {
          l.splice(l.indexOf(entry), 1);
          if (!l.length) this.early.delete(r.messageId);
          this.ctx?.log.warn({ smscId: r.messageId }, 'receipt for an unknown message id');
          resolve(0);
        }
      }, this.config.responseTimeoutSec * 1000).unref();
    });
  }
}
