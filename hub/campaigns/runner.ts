/**
 * Sending a running campaign, on every hub process at once, exactly once per recipient.
 *
 * Work is BullMQ jobs on Redis (queue `cchub-campaigns`): one `materialise` job per campaign, then one
 * `lane` job per lane (job ids fixed per campaign and lane, so a lane runs on one process at a time;
 * a process that dies holding one loses its lock and BullMQ's stalled-job check hands the lane to
 * another process, or to this one restarted). A lane reads its recipients (a disjoint share of the
 * audience) in batches of BATCH and CLAIMS each batch with one conditional write (pending → sending,
 * with a lease naming the claim and attempts + 1): the store serialises writes, so of two processes
 * only one claims a given recipient. The batch's customers and suppressions are read in one query each,
 * its sends go out SEND_CONCURRENCY at a time (the channel's window fills), and their outcomes are
 * written in one bulk write: two writes per batch instead of two per recipient, which is what bounded
 * throughput behind the store's serialised writes.
 *
 * The window that remains is between the channel accepting a message and the recipient being marked
 * sent. Every send of a recipient carries the same message id (recipientMessageId) and its attempt
 * number: after a crash the claim's lease expires, the recipient is claimed again with attempt > 1,
 * and the connector uses the id to not send again what it already sent (the SMS connector keeps the
 * SMSC's id of every part under the message id and sends only missing parts; an e-mail carries a
 * Message-ID made from it). What is left is the time between the SMSC's submit_sm_resp and that
 * record: milliseconds, and no protocol can close it.
 *
 * Rules are checked at send time, not when the audience was chosen: consent and suppression (a
 * customer who opted out a minute ago is skipped), quiet hours in the customer's time zone (the
 * recipient waits, `waiting` with notBefore), the frequency cap (one Redis script across campaigns
 * and processes), and the channel's campaign throttle (campaigns.tps, below the channel's own limit,
 * so agents' replies always find room).
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { OutboundMessage } from '../../channels/contract.js';
import { UnrecoverableSendError } from '../../lib/errors.js';
import type { Hub } from '../hub.js';
import { logRedisErrors } from '../redis-errors.js';
import { within } from '../within.js';
import { materialise, type Audience } from './audience.js';
import type { Clock } from './clock.js';
import type { Consent, ConsentEntry } from './consent.js';
import { render, type Content } from './content.js';
import type { CampaignDoc, CampaignModels, RecipientDoc } from './models.js';
import { FrequencyCap, quietUntil, validTimeZone } from './rules.js';
import type { UnsubscribeTokens } from './unsubscribe.js';
import type { Replies } from './replies.js';

const QUEUE = 'cchub-campaigns';
/** A send that keeps failing (retryable errors: the channel down or throttling) is given up after this many claims. */
const MAX_ATTEMPTS = 12;
/** Recipients claimed together, and sends in flight at once within a lane's batch. */
const BATCH = 50;
const SEND_CONCURRENCY = 16;
const SETTLE_EVERY = 10;

/** What happened to one claimed recipient, written with the rest of its batch. */
interface Outcome {
  r: RecipientDoc;
  set: Record<string, unknown>;
  unset?: Record<string, 1>;
  /** A transient failure: the lane waits a little before its next batch. */
  retry?: boolean;
  /** Sent: remembered for replies, early receipts applied once written. */
  sentId?: string;
  sent?: boolean;
}

/** The customer fields a send reads (one query per batch). */
type CustomerRow = Awaited<ReturnType<CampaignRunner['readCustomers']>>[number];

type JobData = { kind: 'start' | 'materialise' | 'lane'; campaignId: string; lane?: number };

export interface RunnerEvents {
  /** Something moved (sent, skipped, state): progress listeners re-read the counts. */
  changed(campaignId: string): void;
}

export class CampaignRunner {
  private readonly queue: Queue<JobData>;
  private readonly worker: Worker<JobData>;
  private readonly cap: FrequencyCap;
  /** This process's claims carry it (a lease is released only by its owner). */
  private readonly owner = randomUUID();
  private readonly log: Logger;
  private closing = false;

  constructor(
    private readonly hub: Hub,
    private readonly cm: CampaignModels,
    private readonly consent: Consent,
    private readonly unsubscribe: UnsubscribeTokens,
    /** The clock rules decide by (quiet hours, frequency window); a test sets it. */
    public clock: Clock,
    private readonly events: RunnerEvents,
    private readonly replies: Replies,
  ) {
    const cfg = hub.config;
    this.log = hub.log.child({ mod: 'campaigns' });
    const conn = () => logRedisErrors(hub.redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false }), this.log, 'campaign queue');
    this.queue = new Queue(QUEUE, { connection: conn(), prefix: `${cfg.redisPrefix}:bull` });
    // A short lock: a killed process's lanes move to another within seconds (stalled-job check).
    this.worker = new Worker(QUEUE, (job) => this.process(job), { connection: conn(), prefix: `${cfg.redisPrefix}:bull`, concurrency: 16, autorun: false, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 1000 });
    this.worker.on('error', (err) => this.log.error({ err }, 'campaign worker error'));
    this.worker.on('failed', (job, err) => this.log.warn({ campaignId: job?.data?.campaignId, kind: job?.data?.kind, err: err.message }, 'campaign job failed'));
    this.cap = new FrequencyCap(hub.redis, cfg.redisPrefix, cfg.campaigns.frequencyCap);
  }

  /** Start working, and make sure every running campaign has its jobs (lost with a Redis that was flushed). */
  async start(): Promise<void> {
    void this.worker.run().catch((e) => this.log.error({ err: e }, 'campaign worker stopped'));
    const running = (await this.cm.Campaign.find({ state: 'running' }).lean()) as unknown as CampaignDoc[];
    for (const c of running) await this.kick(c);
  }

  /** Queue the work a running campaign needs now (idempotent: fixed job ids). */
  async kick(c: Pick<CampaignDoc, '_id' | 'materialised' | 'lanes'>, delayMs = 0): Promise<void> {
    const id = String(c._id);
    if (!c.materialised) {
      await this.queue.add('materialise', { kind: 'materialise', campaignId: id }, { jobId: `${id}-materialise`, removeOnComplete: true, removeOnFail: true, attempts: 20, backoff: { type: 'exponential', delay: 1000 } });
      return;
    }
    const lanes = c.lanes ?? 1;
    for (let lane = 0; lane < lanes; lane++) {
      // A delayed kick (quiet hours ending) has its own id: a lane running now must not swallow it.
      const jobId = delayMs > 0 ? `${id}-lane-${lane}-at-${Date.now() + delayMs}` : `${id}-lane-${lane}`;
      await this.queue.add('lane', { kind: 'lane', campaignId: id, lane }, { jobId, delay: Math.max(0, delayMs), removeOnComplete: true, removeOnFail: true, attempts: 20, backoff: { type: 'exponential', delay: 1000 } });
    }
  }

  /** A scheduled campaign starts at its time (a delayed job; any process runs it once). */
  async schedule(id: string, at: Date): Promise<void> {
    await this.queue.add('start', { kind: 'start', campaignId: id }, { jobId: `${id}-start-${at.getTime()}`, delay: Math.max(0, at.getTime() - Date.now()), removeOnComplete: true, removeOnFail: true, attempts: 20, backoff: { type: 'exponential', delay: 1000 } });
  }

  private async process(job: Job<JobData>): Promise<void> {
    if (job.data.kind === 'start') {
      const c = (await this.cm.Campaign.findOneAndUpdate({ _id: job.data.campaignId, state: 'scheduled' }, { $set: { state: 'running', startedAt: new Date(), updatedAt: new Date() } }, { new: true }).lean()) as unknown as CampaignDoc | null;
      if (c) {
        this.events.changed(String(c._id));
        await this.kick(c);
      }
      return;
    }
    if (job.data.kind === 'materialise') return this.runMaterialise(job.data.campaignId);
    return this.runLane(job.data.campaignId, job.data.lane ?? 0);
  }

  private campaign(id: string): Promise<CampaignDoc | null> {
    return this.cm.Campaign.findById(id).lean() as unknown as Promise<CampaignDoc | null>;
  }

  private async runMaterialise(id: string): Promise<void> {
    const c = await this.campaign(id);
    if (!c || c.materialised || !['running', 'paused'].includes(c.state)) return;
    const lanes = c.lanes ?? this.hub.config.campaigns.lanes;
    if (!c.lanes) await this.cm.Campaign.updateOne({ _id: c._id, lanes: null }, { $set: { lanes } });
    const fixed = ((await this.campaign(id)) ?? c).lanes ?? lanes;
    await materialise(
      this.hub.m,
      this.cm,
      { _id: c._id, channel: c.channel, audience: c.audience as Audience },
      fixed,
      (c.materialisedUpTo as Types.ObjectId | null) ?? null,
      async (last) => {
        await this.cm.Campaign.updateOne({ _id: c._id }, { $set: { materialisedUpTo: last } });
        this.events.changed(id);
      },
      async () => !this.closing && ['running', 'paused'].includes((await this.campaign(id))?.state ?? ''),
    );
    if (this.closing) throw new Error('shutting down: materialisation resumes elsewhere');
    const done = (await this.cm.Campaign.findOneAndUpdate({ _id: c._id, materialised: false }, { $set: { materialised: true, updatedAt: new Date() } }, { new: true }).lean()) as unknown as CampaignDoc | null;
    this.events.changed(id);
    if (done?.state === 'running') await this.kick(done);
  }

  // -------------------------------------------------------------------------------------------
  // Lanes

  private async runLane(id: string, lane: number): Promise<void> {
    let c = await this.campaign(id);
    let readAt = Date.now();
    let reading: Promise<void> | null = null;
    const current = async () => {
      // The campaign's state is re-read at most every 250 ms (one read for all the lane's sends in
      // flight): a pause stops sends within that.
      if (Date.now() - readAt > 250) {
        reading ??= this.campaign(id)
          .then((x) => {
            c = x;
            readAt = Date.now();
          })
          .finally(() => (reading = null));
        await reading;
      }
      return !this.closing && c?.state === 'running' ? c : null;
    };
    for (;;) {
      if (!(await current())) return;
      let sentAny = false;
      const cursor = this.cm.Recipient.find({ campaignId: new Types.ObjectId(id), lane, state: 'pending' }, { _id: 1 }).lean().cursor({ batchSize: 200 });
      try {
        let ids: string[] = [];
        const flush = async (): Promise<boolean> => {
          const live = await current();
          if (!live) return false;
          const claimed = await this.claimBatch(ids);
          ids = [];
          if (claimed.length) {
            sentAny = true;
            await this.sendBatch(live, claimed, async () => !!(await current()));
          }
          return true;
        };
        for await (const row of cursor) {
          ids.push(String(row._id));
          if (ids.length >= BATCH && !(await flush())) return;
        }
        if (ids.length && !(await flush())) return;
      } finally {
        await cursor.close().catch(() => undefined);
      }
      // Claims a dead process held past their lease, then the recipients quiet hours released.
      const live = await current();
      if (!live) return;
      if (await this.takeOverExpired(live, lane)) continue;
      if (await this.releaseDue(live, lane)) continue;
      if (!sentAny) return this.finishOrWait(live, lane);
    }
  }

  /** pending → sending under this process's lease, many at once; the ones another process won are not returned. */
  private async claimBatch(ids: string[]): Promise<RecipientDoc[]> {
    if (!ids.length) return [];
    const batch = randomUUID();
    const until = new Date(Date.now() + this.hub.config.campaigns.leaseSeconds * 1000);
    await this.cm.Recipient.updateMany({ _id: { $in: ids }, state: 'pending' }, { $set: { state: 'sending', lease: { owner: this.owner, until, batch }, updatedAt: new Date() }, $inc: { attempts: 1 } });
    return (await this.cm.Recipient.find({ _id: { $in: ids }, state: 'sending', 'lease.batch': batch }).lean()) as unknown as RecipientDoc[];
  }

  /** An expired sending → sending under this process's lease; null when someone else won. */
  private async claim(id: string, from: { owner: string; until: Date }): Promise<RecipientDoc | null> {
    const filter = { _id: id, state: 'sending', 'lease.owner': from.owner, 'lease.until': from.until };
    const until = new Date(Date.now() + this.hub.config.campaigns.leaseSeconds * 1000);
    return (await this.cm.Recipient.findOneAndUpdate(filter, { $set: { state: 'sending', lease: { owner: this.owner, until }, updatedAt: new Date() }, $inc: { attempts: 1 } }, { new: true }).lean()) as unknown as RecipientDoc | null;
  }

  private async takeOverExpired(c: CampaignDoc, lane: number): Promise<boolean> {
    const held = (await this.cm.Recipient.find({ campaignId: c._id, lane, state: 'sending' }, { _id: 1, lease: 1 }).limit(500).lean()) as unknown as RecipientDoc[];
    let any = false;
    const now = Date.now();
    for (const h of held) {
      if (!h.lease?.until || new Date(h.lease.until).getTime() > now) continue;
      const r = await this.claim(h._id, { owner: h.lease.owner ?? '', until: h.lease.until });
      if (!r) continue;
      this.log.info({ campaignId: String(c._id), attempt: r.attempts }, 'took over a recipient whose claim expired');
      any = true;
      await this.sendBatch(c, [r]);
    }
    return any;
  }

  /** Recipients whose quiet hours are over go back to pending. */
  private async releaseDue(c: CampaignDoc, lane: number): Promise<boolean> {
    const waiting = (await this.cm.Recipient.find({ campaignId: c._id, lane, state: 'waiting' }, { _id: 1, notBefore: 1 }).lean()) as unknown as RecipientDoc[];
    const now = this.clock.now().getTime();
    const due = waiting.filter((w) => !w.notBefore || new Date(w.notBefore).getTime() <= now).map((w) => w._id);
    if (!due.length) return false;
    await this.cm.Recipient.updateMany({ _id: { $in: due }, state: 'waiting' }, { $set: { state: 'pending', updatedAt: new Date() }, $unset: { notBefore: 1 } });
    return true;
  }

  /** Nothing left to send in this lane now: completed when no lane has anything left, else come back when quiet hours end. */
  private async finishOrWait(c: CampaignDoc, lane: number): Promise<void> {
    const waiting = (await this.cm.Recipient.find({ campaignId: c._id, lane, state: 'waiting' }, { notBefore: 1 }).lean()) as unknown as RecipientDoc[];
    if (waiting.length) {
      const next = Math.min(...waiting.map((w) => new Date(w.notBefore ?? 0).getTime()));
      await this.kickLane(c, lane, Math.max(1000, next - this.clock.now().getTime()));
      return;
    }
    const open = await this.cm.Recipient.countDocuments({ campaignId: c._id, state: { $in: ['pending', 'sending', 'waiting'] } });
    if (open) return; // another lane (or a claim of a dead process, taken over by its lane) is still at work
    const done = await this.cm.Campaign.findOneAndUpdate({ _id: c._id, state: 'running', materialised: true }, { $set: { state: 'completed', finishedAt: new Date(), updatedAt: new Date() } }, { new: true }).lean();
    if (done) {
      await this.hub.audit.record({ type: 'system', id: 'campaigns' }, 'campaign.completed', { type: 'campaign', id: String(c._id) });
      this.events.changed(String(c._id));
    }
  }

  private async kickLane(c: CampaignDoc, lane: number, delayMs: number): Promise<void> {
    const id = String(c._id);
    await this.queue.add('lane', { kind: 'lane', campaignId: id, lane }, { jobId: `${id}-lane-${lane}-at-${Math.round((Date.now() + delayMs) / 1000)}`, delay: delayMs, removeOnComplete: true, removeOnFail: true });
  }

  // -------------------------------------------------------------------------------------------
  // One recipient

  /** A batch's outcomes in one bulk write (each only while this process still holds its claim), then what follows a send. */
  private async settle(c: CampaignDoc, outcomes: Outcome[]): Promise<void> {
    if (!outcomes.length) return;
    const now = new Date();
    await this.cm.Recipient.bulkWrite(
      outcomes.map((o) => ({ updateOne: { filter: { _id: o.r._id, state: 'sending', 'lease.owner': this.owner }, update: { $set: { ...o.set, updatedAt: now }, $unset: { lease: 1, ...(o.unset ?? {}) } } } })) as never,
      { ordered: false },
    );
    this.events.changed(String(c._id));
    for (const o of outcomes) {
      if (!o.sent) continue;
      // Replies within the window belong to this campaign (hub/campaigns/replies.ts).
      await this.replies.remember(c.channel, String(o.r.customerId), String(c._id));
      if (o.sentId) await this.applyEarlyReceipts(c.channel, o.sentId);
    }
  }

  private readCustomers(claimed: RecipientDoc[]) {
    return this.hub.m.Customer.find({ _id: { $in: [...new Set(claimed.map((r) => String(r.customerId)))] } }, { name: 1, language: 1, timeZone: 1, cardLast4: 1, consents: 1 }).lean();
  }

  /**
   * Claimed recipients: rules checked now, sends out a few at a time, outcomes written SETTLE_EVERY at a
   * time (progress moves while a batch is out). `live` is asked before each send: once the campaign is
   * paused (or this process is closing) the rest of the batch goes back to pending, unsent.
   */
  private async sendBatch(c: CampaignDoc, claimed: RecipientDoc[], live: () => Promise<boolean> = async () => !this.closing): Promise<void> {
    // Read now, not when the audience was chosen: an opt-out a minute ago counts.
    const customers = await this.readCustomers(claimed);
    const byId = new Map<string, CustomerRow>(customers.map((x) => [String(x._id), x]));
    const suppressed = await this.consent.suppressedAmong(c.channel, claimed.flatMap((r) => (r.address ? [r.address] : [])));
    const done: Outcome[] = [];
    let written: Promise<void> = Promise.resolve();
    const write = () => {
      const take = done.splice(0);
      if (take.length) written = written.then(() => this.settle(c, take));
    };
    let retried = Infinity;
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const r = claimed[next++];
        const o = await this.sendOne(c, r, byId.get(String(r.customerId)), !!r.address && suppressed.has(r.address), live);
        if (o.retry) retried = Math.min(retried, r.attempts);
        done.push(o);
        if (done.length >= SETTLE_EVERY) write();
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, claimed.length) }, worker));
    write();
    await written;
    // Not at once after a transient failure: the channel is down or busy.
    if (retried !== Infinity) await new Promise((res) => setTimeout(res, Math.min(10_000, 250 * 2 ** retried)));
  }

  private async sendOne(c: CampaignDoc, r: RecipientDoc, customer: CustomerRow | undefined, suppressed: boolean, live: () => Promise<boolean>): Promise<Outcome> {
    const cfg = this.hub.config.campaigns;
    if (!customer || !r.address) return { r, set: { state: 'skipped', reason: 'no_address' } };
    const refusal = await this.consent.refusal(r.customerId, c.channel, null, (customer.consents ?? {}) as Record<string, ConsentEntry>);
    if (refusal) return { r, set: { state: 'skipped', reason: refusal } };
    if (suppressed) return { r, set: { state: 'skipped', reason: 'suppressed' } };
    const now = this.clock.now();
    const tz = validTimeZone(customer.timeZone) ? customer.timeZone! : cfg.defaultTimeZone;
    const until = quietUntil(now, tz, cfg.quietHours);
    if (until) return { r, set: { state: 'waiting', notBefore: until, reason: 'quiet_hours' } };
    if (!(await this.cap.reserve(String(r.customerId), r._id, now))) return { r, set: { state: 'skipped', reason: 'frequency_cap' } };
    const connector = this.hub.connectors.get(c.channel);
    if (!connector) return this.retryLater(r, `no ${c.channel} connector on this hub`);
    await this.takeThrottle(c.channel);
    // Paused (or closing) while this send waited its turn: given back as it was claimed, never tried.
    if (!(await live())) {
      await this.cap.release(String(r.customerId), r._id);
      return { r, set: { state: 'pending', attempts: Math.max(0, r.attempts - 1) } };
    }
    const content = render(c.content as Content, c.channel, customer, {
      smsSuffix: cfg.smsOptOutSuffix,
      unsubscribeUrl: c.channel === 'email' ? `${this.hub.config.publicUrl ?? `http://${this.hub.config.host}:${this.hub.port}`}/unsubscribe/${this.unsubscribe.sign({ customerId: String(r.customerId), channel: 'email', campaignId: String(c._id) })}` : undefined,
    });
    const at = new Date().toISOString();
    const out: OutboundMessage = {
      message: { id: r.messageId, conversationId: '', direction: 'out', channel: c.channel, author: { type: 'system', name: 'campaign' }, text: content.text, ...(content.html ? { html: content.html } : {}), ...(content.subject ? { subject: content.subject } : {}), attachments: [], status: 'queued', createdAt: at, updatedAt: at },
      attachments: [],
      channelData: {},
      to: r.address,
      attempt: r.attempts,
      ...(content.headers ? { headers: content.headers } : {}),
    };
    let res;
    try {
      res = await connector.send(out);
    } catch (e) {
      if (e instanceof UnrecoverableSendError) {
        await this.cap.release(String(r.customerId), r._id);
        return { r, set: { state: 'failed', error: e.message.slice(0, 500), statusAt: new Date() } };
      }
      return this.retryLater(r, (e as Error).message);
    }
    const sentId = typeof res.externalId === 'string' ? res.externalId.slice(0, 512) : undefined;
    return { r, set: { state: res.status === 'failed' ? 'failed' : 'sent', sentAt: now, statusAt: new Date(), ...(sentId ? { sentId } : {}) }, unset: { reason: 1 }, sent: true, ...(sentId ? { sentId } : {}) };
  }

  /** A transient failure: back to pending for another try (a later claim), failed after MAX_ATTEMPTS. */
  private async retryLater(r: RecipientDoc, why: string): Promise<Outcome> {
    if (r.attempts >= MAX_ATTEMPTS) {
      await this.cap.release(String(r.customerId), r._id);
      return { r, set: { state: 'failed', error: why.slice(0, 500), statusAt: new Date() } };
    }
    return { r, set: { state: 'pending', error: why.slice(0, 500) }, retry: true };
  }

  /** One of the channel's campaign sends for this second (campaigns.tps, across processes); waits for the next second when spent. */
  private async takeThrottle(channel: 'sms' | 'email'): Promise<void> {
    const tps = this.hub.config.campaigns.tps[channel];
    for (;;) {
      const key = `${this.hub.config.redisPrefix}:cmp:tps:${channel}:${Math.floor(Date.now() / 1000)}`;
      const res = await this.hub.redis.multi().incr(key).expire(key, 5).exec();
      if (Number(res?.[0]?.[1]) <= tps) return;
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    }
  }

  /** Receipts that came before the send's result was recorded (hub/receipts.ts kept them). */
  private async applyEarlyReceipts(channel: 'sms' | 'email', sentId: string): Promise<void> {
    for (const r of await this.hub.receipts.takePending(channel, sentId)) await this.receipt(channel, sentId, r.status, r.detail);
  }

  /** A delivery receipt for a campaign message; false when the id is not a campaign send. */
  async receipt(channel: 'sms' | 'email', sentId: string, status: string, detail?: string): Promise<boolean> {
    const r = (await this.cm.Recipient.findOne({ channel, sentId }, { _id: 1, campaignId: 1, state: 1 }).lean()) as unknown as RecipientDoc | null;
    if (!r) return false;
    if (status === 'delivered' || status === 'read') await this.cm.Recipient.updateOne({ _id: r._id, state: 'sent' }, { $set: { state: 'delivered', statusAt: new Date() } });
    if (status === 'failed') await this.cm.Recipient.updateOne({ _id: r._id, state: { $in: ['sent', 'delivered'] } }, { $set: { state: 'failed', error: (detail ?? 'failed').slice(0, 500), statusAt: new Date() } });
    this.events.changed(String(r.campaignId));
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (await within(Promise.all([this.worker.close(), this.queue.close()]), 5000)) return;
    await within(Promise.allSettled([this.worker.disconnect(), this.queue.disconnect()]), 2000);
  }
}
