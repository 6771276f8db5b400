/**
 * The SMS connector: an SMPP v3.4 ESME per configured account (bind.ts), MT sends with our own
 * encoding and concatenation (encoding.ts), MO into conversations keyed by the sender's number, long
 * MO reassembled before it is stored (concat.ts), delivery receipts applied to the message they
 * report on (receipt.ts). Imports the contract and lib/ only.
 */
import { createHash, randomInt } from 'node:crypto';
import type { ChannelConnector, ConnectorContext, ConnectorPart, DeliveryStatus, Limiter, OutboundMessage, SendResult } from '../contract.js';
import { RetryableError, UnrecoverableSendError } from '../../lib/errors.js';
import { SmppBind, type BindKind } from './bind.js';
import { Reassembler } from './concat.js';
import type { SmsAccount, SmsConfig } from './config.js';
import { decodeText, encodeSms, ESM_UDHI, readUdh } from './encoding.js';
import { STATUS, TLV, type DeliverSm } from './pdu.js';
import { isReceipt, mapSmscState, parseReceipt } from './receipt.js';

/** SMSC statuses worth another try later: throttled, queue full, system error. */
const TEMPORARY = new Set<number>([STATUS.RTHROTTLED, STATUS.RMSGQFUL, STATUS.RSYSERR, STATUS.RX_T_APPN]);

/**
 * MO redeliveries of the same text from the same number within this window are one message (SMPP gives
 * MO no id). The window starts at the first delivery (kept in Redis), not on a clock boundary: a fixed
 * 10-minute bucket stored a redelivery twice when it straddled a boundary (first at :59:59, again at :00:01).
 */
const MO_DEDUP_WINDOW_MS = 10 * 60_000;

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
  private upReported = false;
  /** When each bind entered its current state, for the Administration view. */
  private readonly since = new Map<SmppBind, string>();

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
        this.since.set(b, new Date().toISOString());
        b.on('state', () => {
          this.since.set(b, new Date().toISOString());
          this.reportState();
        });
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

  /** Each bind as administrators see it: bound, reconnecting (dropped, retried) or error (refused: fix the account). */
  parts(): ConnectorPart[] {
    return [...this.accounts.values()].flatMap((a) =>
      a.binds.map((b) => ({
        name: b.label,
        state: b.state === 'bound' ? 'bound' : b.state === 'stopped' ? 'stopped' : b.refused ? 'error' : 'reconnecting',
        reason: b.reason || undefined,
        since: this.since.get(b),
      })),
    );
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
    const to = (out.to ?? (out.channelData.msisdn as string | undefined))?.replace(/[\s-]/g, '');
    if (!to || !/^\+?\d{3,20}$/.test(to)) throw new UnrecoverableSendError('no valid phone number for this conversation');
    const acc = this.accounts.get(String(out.channelData.account ?? '')) ?? this.accounts.values().next().value;
    if (!acc) throw new UnrecoverableSendError('no SMS account configured');
    // The same reference on every attempt: a resend of a half-sent message completes the same long SMS.
    const ref = createHash('sha256').update(out.message.id).digest()[0]!;
    const enc = encodeSms(out.message.text, ref);
    const redis = this.ctx!.redis;
    // Parts already accepted by the SMSC on an earlier attempt (the process died or the job was retried
    // midway) are not sent again: a retry of a half-sent long SMS sends only what is missing.
    const doneKey = `${this.ctx!.keyPrefix}:sent:${out.message.id}`;
    const done = out.attempt > 1 ? await redis.hgetall(doneKey) : {};
    const ids: string[] = enc.parts.map((_, i) => done[String(i)] ?? '');
    for (const [i, part] of enc.parts.entries()) {
      if (ids[i]) continue;
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
      ids[i] = r.messageId!;
      const m = redis.multi().hset(doneKey, String(i), r.messageId!).expire(doneKey, 3 * 86400);
      // Receipts come per part; every part's id leads to the first part's, the message's external id.
      if (i > 0 && ids[0]) m.set(`${this.ctx!.keyPrefix}:part:${r.messageId}`, ids[0], 'EX', 3 * 86400);
      await m.exec();
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
    const content = createHash('sha256').update(`${msisdn}|${account}|${extra}|${text}`).digest('hex').slice(0, 32);
    // When this content was first delivered: set once (NX), read back in the same command (GET), so
    // concurrent and later redeliveries within the window all name the first one.
    const now = String(Date.now());
    const earlier = (await ctx.redis.call('SET', `${ctx.keyPrefix}:mo:${content}`, now, 'PX', String(MO_DEDUP_WINDOW_MS), 'NX', 'GET')) as string | null;
    const externalId = createHash('sha256').update(`${content}|${earlier ?? now}`).digest('hex').slice(0, 32);
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
    // Opt-out keywords are the hub's (campaigns.optOutKeywords, checked on ingest for every channel:
    // consent on the customer), not the connector's.
  }

  /**
   * A receipt goes to the message by the SMSC's id (a later part's id leads to the first part's). The
   * hub applies it forward-only, keeps one that beats the submit_sm_resp until the send is recorded,
   * and ignores a duplicate; the deliver_sm is answered after that.
   */
  private async onReceipt(d: DeliverSm): Promise<number> {
    const r = parseReceipt(d);
    if (!r) return 0; // unreadable receipt: acked, nothing to apply
    const status = mapSmscState(r.stat);
    if (!status || status === 'sent') return 0; // intermediate states say nothing new
    const detail = status === 'failed' ? `${r.stat}${r.err ? ` err:${r.err}` : ''}` : r.stat;
    const first = await this.ctx!.redis.get(`${this.ctx!.keyPrefix}:part:${r.messageId}`);
    await this.ctx!.statusByExternalId(first ?? r.messageId, status, detail);
    return 0;
  }
}
