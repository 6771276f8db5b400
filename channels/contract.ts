/**
 * What a channel connector is, and everything the hub offers it. A connector (webchat, email, fax, sms,
 * voice) imports this file and lib/ only — never hub/ — and passes test/channels/conformance.ts.
 * The hub imports the shared types below from here, so there is one definition of each.
 *
 * Inbound: the connector turns its protocol into an InboundMessage, calls ctx.ingest, and acknowledges
 * to its channel (SMPP resp, IMAP checkpoint, chat ack, SIP 200) only after ingest resolves: the message
 * is durably stored by then. Ingest is idempotent on (channel, externalId), so a redelivery after a crash
 * is harmless.
 *
 * Outbound: the hub stores an outbound message and enqueues a BullMQ job; the job calls send(). Throw
 * RetryableError for transient failures (retried with backoff) and UnrecoverableSendError for permanent
 * ones (not retried; the message is marked failed) — both from lib/errors.ts.
 *
 * Registration: channels/index.ts lists every connector's ConnectorDefinition (kind, config section,
 * factory). README.md "Writing a connector" walks through it.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import type { z } from 'zod';
import type { AppError } from '../lib/errors.js';
import type { CallMedia } from '../media/contract.js';
import type { CallControl, IvrResult } from '../gateway/ivr/session.js';

// ---------------------------------------------------------------------------------------------------
// Shared vocabulary (the hub's models use these same definitions)

export const CHANNELS = ['webchat', 'email', 'sms', 'voice', 'fax'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CONVERSATION_STATUSES = ['open', 'queued', 'assigned', 'pending', 'resolved', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
/** Statuses in which a conversation still takes new inbound messages. */
export const LIVE_STATUSES: ConversationStatus[] = ['open', 'queued', 'assigned', 'pending'];
/** Whether a status (as stored, or from a summary) is live. */
export const isLive = (status: string | null | undefined): boolean => !!status && (LIVE_STATUSES as readonly string[]).includes(status);
export const DELIVERY_STATUSES = ['received', 'queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A stored file (GridFS bucket `attachments`) referenced by a message. */
export interface AttachmentRef {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

/** A message as every client (console, widget, connector) sees it; docs/API.md "Message". */
export interface MessageView {
  id: string;
  conversationId: string;
  direction: 'in' | 'out';
  channel: Channel;
  author: { type: 'customer' | 'agent' | 'system'; id?: string; name?: string };
  text: string;
  html?: string;
  subject?: string;
  /** Who sent it and to whom, as the channel wrote them (e-mail From/To/Cc; a fax's number), where known. */
  from?: string;
  to?: string;
  cc?: string;
  /** An outbound e-mail's blind copies (agents only; the web chat never has any). */
  bcc?: string;
  attachments: AttachmentRef[];
  clientId?: string;
  status: DeliveryStatus;
  /** An internal note (agents only): the hub never hands one to a connector's send() or history(). */
  internal?: boolean;
  /** Why the channel said what it said (a bounce reason, an SMSC error), for failed and other receipts. */
  statusDetail?: string;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------------------------------------------
// Inbound

export interface InboundMessage {
  /** Usually the connector's own kind (web chat's offline form files an e-mail case). */
  channel: Channel;
  /** The channel's own id for this message: the idempotency key. */
  externalId: string;
  /**
   * Who wrote: a known customer id, or an identity (channel + address) the hub finds or creates. The
   * hub normalises the address (phones to E.164, e-mail lowercased) and keys it by kind, so the same
   * number on SMS and voice is one customer. `verified: false` for an address someone typed that the
   * channel does not vouch for (a web form): it never attaches to the customer who holds that address.
   */
  customer: { id?: string; identity?: { channel: Channel; address: string; verified?: boolean }; name?: string; language?: string };
  from?: string;
  to?: string;
  /** Copy recipients (e-mail Cc), comma-separated. */
  cc?: string;
  text: string;
  html?: string;
  subject?: string;
  /** Files already stored (see ConnectorFiles). */
  attachments?: AttachmentRef[];
  /** The client's own id (web chat echoes it so the widget can match its outbox). */
  clientId?: string;
  /** Queue a new conversation lands in. */
  queue?: string;
  /** Kept on the conversation and handed back to send() and the hooks below (e.g. the web chat visitor). */
  channelData?: Record<string, unknown>;
  receivedAt?: Date;
  /**
   * The channel's thread this message belongs to (e.g. the first Message-ID of an e-mail thread). The
   * message joins that thread's conversation: its live one; else its latest, reopened if it was resolved
   * within ingest.reopenWindowHours; else a new conversation linked to that one (previousConversationId).
   * One customer may so hold several live conversations on one channel, one per thread. Without a
   * thread key: the customer's one unthreaded live conversation on the channel.
   */
  threadKey?: string;
  /** Tags a new conversation opens with (a voice call's IVR tags); ignored when the message joins a live one. */
  tags?: string[];
  /** Routing priority a new conversation adds to the customer's own (a voice call's IVR priority, 0-100). */
  priority?: number;
}

export interface IngestOptions {
  /**
   * Admission check the message must pass before it is written (e.g. a rate limit in Redis). It runs
   * while the message waits for its batch, so its round trip costs no latency under load; if it
   * rejects, the message is not stored and ingest rejects with its error.
   */
  admit?: Promise<unknown>;
}

/** A conversation as a connector sees it. */
export interface ConversationInfo {
  id: string;
  channel: Channel;
  status: ConversationStatus;
  queue: string;
  assigneeId: string | null;
  updatedAt: string;
}

export interface IngestResult {
  message: MessageView;
  conversation: ConversationInfo;
  /** True when this external id was stored before: nothing new was written. */
  duplicate: boolean;
}

/**
 * What the hub passes to a connector's hooks about a conversation: the parts that never change, read
 * once and cached by the hub (hooks run per event and must not cost a database read each).
 */
export interface ConversationTarget {
  id: string;
  channel: Channel;
  customerId: string;
  channelData: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------
// Outbound

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
  /** The stored message as consoles see it (id, text, html — sanitised —, subject, author, attachment refs). */
  message: MessageView;
  /** The attachments with their bytes. */
  attachments: OutboundAttachment[];
  /** The conversation's channel-specific part (e.g. webchat visitorId, email thread ids). */
  channelData: Record<string, unknown>;
  /** The customer's address on this channel (the message's own `to`, else the customer's identity on this channel). */
  to?: string;
  /** The conversation's thread on this channel, if it has one (InboundMessage.threadKey). */
  threadKey?: string;
  /**
   * Which call of send() this is for this message (1 the first time). More than 1 means an earlier
   * call may have reached the channel while its result was never recorded (the process died, the
   * store was down): a channel that can tell (a Message-ID derived from message.id, an API with an
   * idempotency key) should make the resend harmless. See docs/API.md, "Outbound".
   */
  attempt: number;
  /**
   * Extra protocol headers for channels that have them (e-mail: List-Unsubscribe and
   * List-Unsubscribe-Post on marketing mail, RFC 2369 / RFC 8058). Others ignore them.
   */
  headers?: Record<string, string>;
}

export interface StoreFileMeta {
  /** The file's name as the customer or channel gave it (control characters and slashes are replaced). */
  name: string;
  /** Declared type (type/subtype): checked against the allowed types and, where known, the content's magic bytes. */
  contentType: string;
  /** A smaller limit than the hub's files.maxBytes for this file. */
  maxBytes?: number;
  /** Narrower allowed types than the hub's files.allowedTypes (type/subtype or type/*). */
  allowedTypes?: readonly string[];
  /** Kept with the file (strings only), e.g. who may read it (customerId, conversationId). */
  metadata?: Record<string, string | undefined>;
}

/** What became of a receipt: applied, ignored (not forward, or a duplicate), or kept until its send's result lands. */
export type ReceiptOutcome = 'applied' | 'ignored' | 'pending';

export interface SendResult {
  /** The channel's id for the sent message, if it has one. */
  externalId?: string;
  status: DeliveryStatus;
}

// ---------------------------------------------------------------------------------------------------
// Lifecycle

/**
 * What a connector reports about its link to the outside world. `started` once start() has its
 * transport up, `degraded` when it loses it (IMAP login refused, SMSC unbound) with a reason a person
 * can act on (no secrets), `reconnected` when it is back, `stopped` at shutdown (the hub reports
 * `stopped` itself after stop() returns). /readyz lists each connector's state and /metrics has a gauge
 * per state; a degraded connector does NOT make the hub not-ready (README "Writing a connector").
 */
export type LifecycleEvent = { type: 'started' } | { type: 'degraded'; reason: string } | { type: 'reconnected' } | { type: 'stopped' };
export const CONNECTOR_STATES = ['starting', 'up', 'degraded', 'stopped'] as const;

/**
 * One link a connector keeps to the outside (an SMPP bind, a mailbox), as this hub process sees it,
 * for the Administration view (GET /api/admin/channels). `error`: refused in a way retrying will not
 * fix (wrong password); `reconnecting`: dropped or not up yet, being retried.
 */
export interface ConnectorPart {
  /** A label a person recognises (`cmcc#1`); never an address with credentials. */
  name: string;
  state: 'bound' | 'connected' | 'reconnecting' | 'error' | 'stopped';
  /** Why it is not up, as a person can act on it; never a secret. */
  reason?: string;
  /** When it entered this state (ISO). */
  since?: string;
}
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

// ---------------------------------------------------------------------------------------------------
// What the hub gives a connector

/** A customer's session token (web chat visitors): signed by the hub, verified on every connection. */
export interface CustomerSession {
  /** The session's own id (web chat: the visitor id, its socket room). */
  sub: string;
  /** The customer's id. */
  cid: string;
  name: string;
  /**
   * When the session began (unix seconds). Set by the hub on a new session; pass the verified session
   * back to issueSession to renew it: a session is never renewed past its absolute lifetime.
   */
  sst?: number;
}

export interface ConnectorCustomers {
  /** Find or create the customer holding this identity (see InboundMessage.customer); returns its id. */
  resolve(identity: { channel: Channel; address: string; verified?: boolean }, profile?: { name?: string; language?: string }): Promise<string>;
  /** Contact details the customer typed but nobody verified: kept apart, never used to link histories. */
  setUnverifiedContact(customerId: string, name: string, contact: { email?: string; phone?: string }): Promise<void>;
  /** Session tokens for customers who talk to us directly (a widget, an app). */
  issueSession(session: CustomerSession): Promise<string>;
  /** Rejects with a 401 AppError when the token is missing, forged or expired. */
  verifySession(token: unknown): Promise<CustomerSession>;
}

export interface ConnectorConversations {
  /** The customer's live conversation on this connector's channel, if any (a database read). */
  live(customerId: string): Promise<ConversationInfo | null>;
  /** A conversation's current summary from the hub's Redis view: cheap, null when not (yet) known there. */
  summary(conversationId: string): Promise<ConversationInfo | null>;
  /** The customer's latest messages on every channel, oldest first. */
  history(customerId: string, limit: number): Promise<MessageView[]>;
  /** The customer is (not) typing: shown to the agents watching the conversation. */
  customerTyping(conversation: ConversationInfo, typing: boolean): void;
  /** The customer read our messages up to `upTo` (a message id): their status becomes `read`, agents are told. */
  customerRead(conversation: ConversationInfo, upTo: string): Promise<void>;
  /**
   * The customer left before anyone answered (a caller hung up while queued): the conversation is
   * resolved with disposition `code` and tagged with it, and its routing task is released. False
   * when it was no longer live (an agent resolved it first): nothing is changed then.
   */
  abandon(conversationId: string, code: string, note?: string): Promise<boolean>;
  /**
   * The customer rates one of their conversations on this channel once it has ended (CSAT): a score
   * 1-5 and an optional comment (≤ 1000 characters), stored on the conversation and shown to agents and
   * supervisors. Rejects 404 (not theirs, not this channel), 409 `not_ended` (still live), 409
   * `already_rated` (rated before with something else; the same rating again resolves: a resend).
   */
  rate(customerId: string, conversationId: string, rating: { score: number; comment?: string }): Promise<void>;
  /**
   * The customer asks for the transcript of one of their conversations on this channel by e-mail (never
   * internal notes): sent through the e-mail connector. Rejects 422 `channel_unavailable` when no e-mail
   * connector is enabled, 400 for a bad address, 404 as rate(), 502 `send_failed` when sending failed.
   */
  emailTranscript(customerId: string, conversationId: string, to: string, locale: 'en' | 'zh'): Promise<void>;
}

/** What the hub's IVR (gateway/ivr) does for the voice connector. */
export interface ConnectorIvr {
  /** Runs the flow for the called number over an answered call's media (gateway/ivr/on-call.ts). */
  run(call: CallControl, media: CallMedia): Promise<IvrResult>;
  /** An 8 kHz WAV of `text` spoken in `lang` (espeak-ng, cached): queue announcements. */
  prompt(text: string, lang: 'zh' | 'en'): Promise<string>;
}

/** What an agent's console asks of a live call (ChannelConnector.agentCall). */
export type AgentCallOp = 'join' | 'connect' | 'produce' | 'consume' | 'hangup';

export interface ConnectorFiles {
  /**
   * Deprecated: use ctx.storeFile, which streams. Stores a file already in memory owned by a customer,
   * through the same file store and limits (kept for connectors written before storeFile).
   */
  put(content: Buffer, meta: { name: string; contentType: string; customerId: string; channelData?: Record<string, unknown> }): Promise<AttachmentRef>;
  /** Files by id that this customer uploaded; rejects with 400 unknown_attachment when any is not theirs. */
  owned(customerId: string, ids: string[]): Promise<AttachmentRef[]>;
  /** The files now belong to a conversation: agents' access to them is checked against it. */
  bindToConversation(ids: string[], conversationId: string): Promise<void>;
  /**
   * A short-lived signed link to a file (relative to the hub, no session token in it), for customers'
   * browsers to show it (`<img src>`). Give fresh ones with every message sent to the customer.
   */
  link(id: string): string;
}

export interface ConnectorRouting {
  /** Whether someone can answer now: agents with a console open, and whether the queue is within its business hours. */
  availability(queue: string): Promise<{ agentsOnline: number; open: boolean }>;
  /** Ask the routing leader to send this customer's queue position again (the queuePosition hook), e.g. after a reconnect. */
  refreshQueuePosition(customerId: string): Promise<void>;
}

export interface Limiter {
  /** Resolves if `key` may take one more point in its window; rejects with the refusal (a 429 AppError) otherwise. */
  consume(key: string): Promise<void>;
}

export interface ConnectorContext {
  /** The connector's channel. */
  readonly kind: Channel;
  /** A logger tagged `{ connector: kind }`. Never log secrets, message text or addresses above debug. */
  readonly log: Logger;
  /** Report a lifecycle change (see LifecycleEvent). */
  lifecycle(event: LifecycleEvent): void;

  /** Store an inbound message (see the top of this file). */
  ingest(msg: InboundMessage, opts?: IngestOptions): Promise<IngestResult>;
  /**
   * A delivery receipt by the channel's own id (SendResult.externalId): applied only when it moves the
   * status forward (queued → sent → delivered → read; failed keeps its reason in statusDetail and is
   * not undone). A receipt that arrives before the send's result is kept (Redis, receipts.pendingTtlSeconds)
   * and applied when the result lands. Duplicates and late receipts change nothing. Consoles get the
   * change as `message.created` with the newer updatedAt.
   */
  statusByExternalId(externalId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<ReceiptOutcome>;
  /** A receipt by our message id (same forward-only rule), for this connector's channel. */
  reportStatus(messageId: string, status: DeliveryStatus, detail?: string, at?: Date): Promise<ReceiptOutcome>;
  /**
   * Stream a file into the hub's file store (GridFS `attachments`). Limits hold while it streams: past
   * the size limit the upload is aborted and nothing stays stored (rejects with a 413 AppError; 415 for
   * a type not allowed or content that contradicts it; 400 for an empty file). Resolves with a
   * reference for InboundMessage.attachments.
   */
  storeFile(stream: Readable, meta: StoreFileMeta): Promise<AttachmentRef>;
  // (A file with metadata.customerId counts against that customer's daily upload bytes: 429 past them.
  // An upload no message refers to is deleted after the hub's uploads.unattachedTtl.)

  readonly customers: ConnectorCustomers;
  readonly conversations: ConnectorConversations;
  readonly files: ConnectorFiles;
  readonly routing: ConnectorRouting;
  /**
   * A fixed-window limit kept in Redis (holds across hub processes), keyed `<prefix>:rl:<kind>:<name>`.
   * Checks made in one event-loop turn cost one Redis call.
   */
  limiter(name: string, points: number, perSeconds: number, refusal?: () => AppError): Limiter;

  /**
   * The hub's Redis, for state a connector keeps itself and every hub process must share (the email
   * channel's thread memory and IMAP checkpoints). Keys go under `keyPrefix` (`<redisPrefix>:<kind>`).
   */
  readonly redis: Redis;
  readonly keyPrefix: string;

  /** The hub's IVR (flows, prompts): present for the voice connector. */
  readonly ivr?: ConnectorIvr;
  /** Tell one agent's consoles something (socket.io /agent, room of that user), e.g. `call.ended`; the payload should carry updatedAt. */
  notifyAgent(agentId: string, event: string, payload: Record<string, unknown>): void;

  /** The hub's HTTP server: put the connector's routes under /api/<kind>/. Throw lib/errors AppErrors for 4xx. */
  readonly http: FastifyInstance;
  /** The socket.io namespace /<kind>, shared by every hub process through the Redis adapter. */
  readonly realtime: Namespace;
  /**
   * The context for another channel this connector carries (ConnectorDefinition.alsoServes), e.g. the
   * email connector's fax-to-email mailboxes ingest, store files and take receipts on `fax`.
   */
  serving?(channel: Channel): ConnectorContext;
}

export interface ChannelConnector {
  readonly kind: Channel;
  /** Called once the hub's HTTP server and stores are ready, before it listens. */
  start(ctx: ConnectorContext): Promise<void>;
  /** Stop taking new inbound work and close connections; in-flight ingests finish first. */
  stop(): Promise<void>;
  send(out: OutboundMessage): Promise<SendResult>;
  /** Map the channel's own delivery state names to ours. */
  mapStatus(native: string): DeliveryStatus | undefined;

  // Optional hooks: the hub calls them on the connector of the conversation's channel, on every hub
  // process (each reaches the customers connected to it). They must not throw or block.
  /** The conversation's status changed (assigned, resolved...). */
  conversationUpdated?(c: ConversationTarget, now: { status: ConversationStatus; updatedAt: string }): void;
  /** The customer's place in the queue and the expected wait (only for connectors that define this hook). */
  queuePosition?(c: ConversationTarget, position: number, ewtSec: number): void;
  /** The agent on the conversation is (not) typing. */
  agentTyping?(c: ConversationTarget, typing: boolean): void;
  /** The agent read the customer's messages up to `upTo`. */
  agentRead?(c: ConversationTarget, upTo: string): void;
  /** Each link to the outside and its state (ConnectorPart), for administrators. Cheap, must not throw. */
  parts?(): ConnectorPart[];
  /**
   * An agent's console works the conversation's live call (voice): `join` returns the media offer
   * (router RTP capabilities, WebRTC transport parameters), then `connect` (DTLS), `produce` (the
   * microphone), `consume` (the caller), `hangup`. The hub has checked, against what is stored now,
   * that `agentId` is the conversation's assignee. Rejects with a lib/errors AppError for a 4xx
   * (no call here, bad parameters). Only connectors with calls define it.
   */
  agentCall?(c: ConversationTarget, agentId: string, op: AgentCallOp, data: unknown): Promise<unknown>;
}

// ---------------------------------------------------------------------------------------------------
// Registration (channels/index.ts)

export interface ConnectorDefinition<S extends z.ZodObject = z.ZodObject, K extends Channel = Channel> {
  kind: K;
  /**
   * The connector's config section, the top-level key `kind` of cchub.config.json. The registry adds
   * `enabled` (default `enabledByDefault`). Validated at start-up with the rest of config/.
   */
  config: S;
  enabledByDefault: boolean;
  /** Environment variable → key in the section (e.g. CCHUB_WEBCHAT_MESSAGES_PER_10S → messagesPer10s). */
  env?: Record<string, string>;
  /**
   * Names of keys that hold secrets (e.g. `password`): wherever they occur in the section, nested
   * objects and lists included, config is printed and logged with them as [redacted].
   */
  secrets?: string[];
  /** Paths under which the connector's HTTP routes answer any origin (a widget on the bank's site). */
  publicPaths?: string[];
  /**
   * Other channels this connector carries (email carries fax-to-email): their outbound sends and hooks
   * go to it (unless that channel has a connector of its own), and ctx.serving(channel) gives it their context.
   */
  alsoServes?: readonly Channel[];
  create(config: z.output<S>): ChannelConnector;
}

/** Identity function that keeps the section's type for create(). */
export const defineConnector = <S extends z.ZodObject, K extends Channel>(d: ConnectorDefinition<S, K>): ConnectorDefinition<S, K> => d;
