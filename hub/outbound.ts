/**
 * Outbound sending through BullMQ: one job per stored outbound message (jobId = message id, so a retry
 * of the API call never enqueues twice). Transient failures retry with backoff; UnrecoverableSendError
 * fails at once. The worker never sends an inbound message.
 *
 * The connector gets the whole message (OutboundMessage in channels/contract.ts). What send() returns
 * is recorded: the channel's id (`sentId`, which receipts look up) and the status, moved forward only
 * (hub/receipts.ts). The one window where a message can go out twice: send() reached the channel, then
 * the process died (or the store failed) before `sentId`/status were written; BullMQ retries the job
 * (stalled-job check) and send() runs again with `attempt` > 1. Channels that can tell (a Message-ID
 * made from the message id, web chat's merge by message id) make that resend harmless; SMPP cannot.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ChannelConnector, OutboundMessage } from '../channels/contract.js';
import { UnrecoverableSendError } from '../lib/errors.js';
import type { FileStore } from './files.js';
import type { Receipts } from './receipts.js';
import type { ConversationDoc } from './models/conversation.js';
import type { MessageDoc } from './models/message.js';
import { STATUS_FROM, type Channel, type Models } from './models/index.js';
import { messageView } from './views.js';
import { within } from './within.js';
import { logRedisErrors } from './redis-errors.js';

const QUEUE = 'cchub-outbound';

export class Outbound {
  private queue: Queue;
  private worker: Worker;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly m: Models,
    private readonly connectors: Map<Channel, ChannelConnector>,
    private readonly log: Logger,
    private readonly onStatus: (message: MessageDoc) => void,
    private readonly files: FileStore,
    private readonly receipts: Receipts,
  ) {
    const connection = logRedisErrors(redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false }), log, 'outbound queue');
    this.queue = new Queue(QUEUE, { connection, prefix: `${prefix}:bull` });
    this.worker = new Worker(QUEUE, (job) => this.process(job), { connection: logRedisErrors(redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false }), log, 'outbound worker'), prefix: `${prefix}:bull`, concurrency: 20, autorun: false });
    this.worker.on('failed', (job, err) => void this.failed(job, err).catch((e) => this.log.error({ err: e, messageId: job?.data?.messageId }, 'could not mark a failed send')));
    this.worker.on('error', (err) => this.log.error({ err }, 'outbound worker error'));
  }

  /** Start sending, once the connectors are started (a send before that would find none ready). */
  start(): void {
    void this.worker.run().catch((e) => this.log.error({ err: e }, 'outbound worker stopped'));
  }

  async enqueue(message: MessageDoc): Promise<void> {
    await this.queue.add('send', { messageId: String(message._id) }, { jobId: String(message._id), attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 });
  }

  /**
   * Outbound messages stored but never handed to the queue (the process died between the two) go to
   * the queue now; those that were are not added twice (the job id is the message id). Run at start-up.
   */
  async resumeStored(maxAgeMs = 24 * 3600_000): Promise<number> {
    const rows = (await this.m.Message.find({ direction: 'out', status: 'queued', createdAt: { $gte: new Date(Date.now() - maxAgeMs) } }, { _id: 1 }).lean()) as unknown as MessageDoc[];
    for (const r of rows) await this.enqueue(r);
    return rows.length;
  }

  private async process(job: Job<{ messageId: string }>): Promise<void> {
    const msg = (await this.m.Message.findById(job.data.messageId).lean()) as MessageDoc | null;
    if (!msg) throw new UnrecoverableError('message not found');
    if (msg.direction !== 'out') throw new UnrecoverableError('refusing to send an inbound message');
    // An internal note is for colleagues: whatever queued it, it never reaches the customer.
    if ((msg as { internal?: boolean }).internal) throw new UnrecoverableError('refusing to send an internal note');
    if (msg.status !== 'queued') return; // already sent by an earlier attempt
    const connector = this.connectors.get(msg.channel as Channel);
    if (!connector) throw new UnrecoverableError(`no connector for channel ${msg.channel}`);
    const out = await this.outboundMessage(msg);
    // Counted before the call, so a retry after a send whose result was lost says so (attempt > 1).
    const counted = (await this.m.Message.findOneAndUpdate({ _id: msg._id, status: 'queued' }, { $inc: { sendAttempts: 1 } }, { new: true }).lean()) as MessageDoc | null;
    if (!counted) return; // moved on meanwhile (sent by another worker, failed)
    out.attempt = counted.sendAttempts ?? 1;
    let res;
    try {
      res = await connector.send(out);
    } catch (e) {
      if (e instanceof UnrecoverableSendError) throw new UnrecoverableError(e.message);
      throw e;
    }
    await this.recordResult(msg, res);
  }

  /** The message as the connector gets it: attachments as streams, the address, the conversation's channel part. */
  private async outboundMessage(msg: MessageDoc): Promise<OutboundMessage> {
    const conv = (await this.m.Conversation.findById(msg.conversationId, { channelData: 1, threadKey: 1 }).lean()) as ConversationDoc | null;
    let to = msg.to ?? undefined;
    if (!to) {
      const customer = await this.m.Customer.findById(msg.customerId, { identities: 1 }).lean();
      to = customer?.identities?.find((i) => i.channel === msg.channel)?.address ?? undefined;
    }
    return {
      message: messageView(msg),
      attachments: (msg.attachments ?? []).map((a) => ({ ...a, stream: () => this.files.open(a.id) })),
      channelData: (conv?.channelData as Record<string, unknown>) ?? {},
      to,
      threadKey: conv?.threadKey ?? undefined,
      attempt: (msg.sendAttempts ?? 0) + 1,
    };
  }

  /** The channel's id first (receipts wait for it), then the status forward, then receipts that came first. */
  private async recordResult(msg: MessageDoc, res: { externalId?: string; status: MessageDoc['status'] }): Promise<void> {
    const sentId = typeof res.externalId === 'string' && res.externalId ? res.externalId.slice(0, 512) : undefined;
    if (sentId) await this.m.Message.updateOne({ _id: msg._id }, { $set: { sentId } });
    // `queued`: the channel took it and reports later. Anything a send cannot move to counts as sent.
    if (res.status !== 'queued') await this.receipts.transition({ _id: msg._id }, STATUS_FROM[res.status]?.length ? res.status : 'sent');
    if (sentId) await this.receipts.applyPending(msg.channel as Channel, sentId);
  }

  private async failed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    this.log.warn({ messageId: job.data?.messageId, attempt: job.attemptsMade, final, err: err.message }, 'outbound send failed');
    if (!final) return;
    // Only from queued: a job that failed after its send went out (recording the result) is not a failed send.
    const upd = (await this.m.Message.findOneAndUpdate({ _id: job.data.messageId, status: 'queued' }, { $set: { status: 'failed', error: err.message, statusDetail: err.message.slice(0, 1000), statusAt: new Date(), updatedAt: new Date() } }, { new: true }).lean()) as MessageDoc | null;
    if (upd) this.onStatus(upd);
  }

  /**
   * Graceful: in-flight sends finish. When Redis restarted under it, BullMQ's close can wait for ever
   * on a blocking read; after 5 s the connections are dropped (a send cut short is retried by another
   * process: BullMQ's stalled-job check, and the message's status keeps it from going out twice).
   */
  async close(): Promise<void> {
    if (await within(Promise.all([this.worker.close(), this.queue.close()]), 5000)) return;
    this.log.warn('outbound queue did not close within 5 s; dropping its connections');
    await within(Promise.allSettled([this.worker.disconnect(), this.queue.disconnect()]), 2000);
  }
}
