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
import type { Logger } from 'pino';
import type { IngestOptions, IngestResult, InboundMessage } from '../hub/ingest/ingest.js';
import type { Channel, DeliveryStatus } from '../hub/models/types.js';
import type { MessageView } from '../hub/views.js';

export interface OutboundMessage {
  message: MessageView;
  /** The conversation's channel-specific part (e.g. webchat visitorId, email thread ids). */
  channelData: Record<string, unknown>;
  /** The customer's address on this channel. */
  to?: string;
}

export interface SendResult {
  /** The channel's id for the sent message, if it has one. */
  externalId?: string;
  status: DeliveryStatus;
}

export interface ConnectorContext {
  ingest(msg: InboundMessage, opts?: IngestOptions): Promise<IngestResult>;
  /** A delivery receipt or read report for one of our outbound messages. */
  reportStatus(messageId: string, status: DeliveryStatus, detail?: string): Promise<void>;
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
