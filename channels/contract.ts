/**
 * What a channel connector is. Every connector (webchat, email, fax, sms, voice) implements this and
 * passes the shared conformance suite in test/channels/conformance.ts.
 *
 * Inbound: the connector turns its protocol into an InboundMessage, calls ctx.ingest, and acknowledges
 * to its channel (SMPP resp, IMAP checkpoint, chat ack, SIP 200) only after ingest resolves: the message
 * is durably stored by then. Ingest is idempotent on (channel, externalId), so a redelivery after a crash
 * is harmless.
 *
 * Outbound: the hub stores an outbound message and enqueues a BullMQ job; the job calls send(). Throw
 * RetryableError for transient failures (retried with backoff) and UnrecoverableSendError for permanent
 * ones (not retried; the message is marked failed).
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { IngestOptions, IngestResult, InboundMessage } from '../hub/ingest/ingest.js';
import type { AttachmentRef, Channel, DeliveryStatus } from '../hub/models/types.js';
import type { MessageView } from '../hub/views.js';

export interface OutboundAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  /** A fresh stream of the file's bytes from GridFS (call again for a retry: each starts at byte 0). */
  stream(): Readable;
}

/** Everything the hub knows about one outbound message, handed to send(). */
export interface OutboundMessage {
  /** The stored message as consoles see it (id, text, html — sanitised —, subject, author, attachments refs). */
  message: MessageView;
  /** The attachments with their bytes. */
  attachments: OutboundAttachment[];
  /** The conversation's channel-specific part (e.g. webchat visitorId, email thread ids). */
  channelData: Record<string, unknown>;
  /** The customer's address on this channel (the message's own `to`, else the customer's identity on this channel). */
  to?: string;
  /** The conversation's thread on this channel, if it has one (hub/ingest/threads.ts). */
  threadKey?: string;
  /**
   * Which call of send() this is for this message (1 the first time). More than 1 means an earlier
   * call may have reached the channel while its result was never recorded (the process died, the
   * store was down): a channel that can tell (a Message-ID derived from message.id, an API with an
   * idempotency key) should make the resend harmless. See docs/API.md, "Outbound".
   */
  attempt: number;
}

export interface SendResult {
  /** The channel's id for the sent message, if it has one: recorded, and receipts find the message by it. */
  externalId?: string;
  /** Usually `sent`; `queued` leaves the status as it is (the channel took it and will report later). */
  status: DeliveryStatus;
}

export interface StoreFileMeta {
  name: string;
  contentType: string;
  /** A smaller limit than the hub's files.maxBytes for this file. */
  maxBytes?: number;
  /** Narrower allowed types than the hub's files.allowedTypes (type/subtype or type/*). */
  allowedTypes?: readonly string[];
  /** Kept with the file (strings only), e.g. who may read it. */
  metadata?: Record<string, string | undefined>;
}

/** What became of a receipt: applied, ignored (not forward, or a duplicate), or kept until its send's result lands. */
export type ReceiptOutcome = 'applied' | 'ignored' | 'pending';

export interface ConnectorContext {
  /**
   * Store one inbound message, exactly once per (channel, externalId). With `threadKey`, the message
   * joins its thread's conversation (reopened within the reopen window, else a new one linked to it);
   * without, the customer's live conversation on this channel. Attachments are references returned by
   * storeFile.
   */
  ingest(msg: InboundMessage, opts?: IngestOptions): Promise<IngestResult>;
  /**
   * Stream a file into the hub's file store. Limits are enforced while it streams: past the size limit
   * the upload is aborted and nothing stays stored (rejects with AppError 413; 415 for a type not
   * allowed or content that contradicts it). Resolves with a reference for a message's attachments.
   */
  storeFile(stream: Readable, meta: StoreFileMeta): Promise<AttachmentRef>;
  /**
   * A delivery receipt by the channel's own id (SendResult.externalId): applied only when it moves the
   * status forward (queued → sent → delivered → read; failed keeps its reason). A receipt that arrives
   * before the send's result is kept and applied when the result lands. Duplicates are harmless.
   */
  statusByExternalId(externalId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<ReceiptOutcome>;
  /** A receipt by our message id (same forward-only rule). */
  reportStatus(messageId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<ReceiptOutcome>;
  log: Logger;
}

export interface ChannelConnector {
  readonly kind: Channel;
  start(ctx: ConnectorContext): Promise<void>;
  /** Stop taking new inbound work and close connections; in-flight ingests finish first. */
  stop(): Promise<void>;
  send(out: OutboundMessage): Promise<SendResult>;
  /** Map the channel's own delivery state names to ours. */
  mapStatus(native: string): DeliveryStatus | undefined;
}
