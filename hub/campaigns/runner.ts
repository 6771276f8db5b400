/**
 * Sending a running campaign, on every hub process at once, exactly once per recipient.
 *
 * Work is BullMQ jobs on Redis (queue `cchub-campaigns`): one `materialise` job per campaign, then one
 * `lane` job per lane (job ids fixed per campaign and lane, so a lane runs on one process at a time;
 * a process that dies holding one loses its lock and BullMQ's stalled-job check hands the lane to
 * another process, or to this one restarted). A lane reads its recipients (a disjoint share of the
 * audience) and, for each, CLAIMS it with one conditional write (pending → sending, with a lease and
 * attempts + 1): the store serialises writes, so of two processes only one claim succeeds.
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
import type { Consent } from './consent.js';
import { render, type Content } from './content.js';
import type { CampaignDoc, CampaignModels, RecipientDoc } from './models.js';
import { FrequencyCap, quietUntil, validTimeZone } from './rules.js';
import type { UnsubscribeTokens } from './unsubscribe.js';
import type { Replies } from './replies.js';

const QUEUE = 'cchub-campaigns';
/** A send that keeps failing (retryable errors: the channel down or throttling) is given up after this many claims. */
const MAX_ATTEMPTS = 12;

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
    const current = async () => {
      // The campaign's state is re-read at most every 250 ms: a pause stops sends within that.
      if (Date.now() - readAt > 250) {
        c = await this.campaign(id);
        readAt = Date.now();
      }
      return !this.closing && c?.state === 'running' ? c : null;
    };
    for (;;) {
      if (!(await current())) return;
      let sentAny = false;
      const cursor = this.cm.Recipient.find({ campaignId: new Types.ObjectId(id), lane, state: 'pending' }, { _id: 1 }).lean().cursor({ batchSize: 200 });
      try {
        for await (const row of cursor) {
          const live = await current();
          if (!live) return;
          const r = await this.claim(String(row._id), 'pending');
          if (!r) continue; // another process has it
          sentAny = true;
          await this.sendOne(live, r);
        }
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

  /** pending (or an expired sending) → sending under this process's lease; null when someone else won. */
  private async claim(id: string, from: 'pending' | { owner: string; until: Date }): Promise<RecipientDoc | null> {
    const filter = from === 'pending' ? { _id: id, state: 'pending' } : { _id: id, state: 'sending', 'lease.owner': from.owner, 'lease.until': from.until };
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
      await this.sendOne(c, r);
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

  private async settle(r: RecipientDoc, set: Record<string, unknown>, unset: Record<string, 1> = {}): Promise<boolean> {
    const res = await this.cm.Recipient.updateOne({ _id: r._id, state: 'sending', 'lease.owner': this.owner }, { $set: { ...set, updatedAt: new Date() }, $unset: { lease: 1, ...unset } });
    this.events.changed(String(r.campaignId));
    return res.modifiedCount > 0;
  }

  private async sendOne(c: CampaignDoc, r: RecipientDoc): Promise<void> {
    const cfg = this.hub.config.campaigns;
    const customer = await this.hub.m.Customer.findById(r.customerId, { name: 1, language: 1, timeZone: 1, cardLast4: 1 }).lean();
    if (!customer || !r.address) return void (await this.settle(r, { state: 'skipped', reason: 'no_address' }));
    const refusal = await this.consent.refusal(r.customerId, c.channel, r.address);
    if (refusal) return void (await this.settle(r, { state: 'skipped', reason: refusal }));
    const now = this.clock.now();
    const tz = validTimeZone(customer.timeZone) ? customer.timeZone! : cfg.defaultTimeZone;
    const until = quietUntil(now, tz, cfg.quietHours);
    if (until) return void (await this.settle(r, { state: 'waiting', notBefore: until, reason: 'quiet_hours' }));
    if (!(await this.cap.reserve(String(r.customerId), r._id, now))) return void (await this.settle(r, { state: 'skipped', reason: 'frequency_cap' }));
    const connector = this.hub.connectors.get(c.channel);
    if (!connector) return void (await this.retryLater(r, `no ${c.channel} connector on this hub`));
    await this.takeThrottle(c.channel);
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
        return void (await this.settle(r, { state: 'failed', error: e.message.slice(0, 500), statusAt: new Date() }));
      }
      return void (await this.retryLater(r, (e as Error).message));
    }
    const sentId = typeof res.externalId === 'string' ? res.externalId.slice(0, 512) : undefined;
    await this.settle(r, { state: res.status === 'failed' ? 'failed' : 'sent', sentAt: now, statusAt: new Date(), ...(sentId ? { sentId } : {}) }, { reason: 1 });
    // Replies within the window belong to this campaign (hub/campaigns/replies.ts).
    await this.replies.remember(c.channel, String(r.customerId), String(c._id));
    if (sentId) await this.applyEarlyReceipts(c.channel, sentId);
  }

  /** A transient failure: back to pending for another try (a later claim), failed after MAX_ATTEMPTS. */
  private async retryLater(r: RecipientDoc, why: string): Promise<void> {
    if (r.attempts >= MAX_ATTEMPTS) {
      await this.cap.release(String(r.customerId), r._id);
      await this.settle(r, { state: 'failed', error: why.slice(0, 500), statusAt: new Date() });
      return;
    }
    await this.settle(r, { state: 'pending', error: why.slice(0, 500) });
    // Not at once: the channel is down or busy.
    await new Promise((res) => setTimeout(res, Math.min(10_000, 250 * 2 ** r.attempts)));
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
