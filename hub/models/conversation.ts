import { Schema, type Connection, type Types } from 'mongoose';
import { CHANNELS, CONVERSATION_STATUSES, type Channel, type ConversationStatus } from './types.js';

/**
 * Channel-agnostic conversation; channel-specific details live in `channelData`.
 * `openKey` is "channel:customerId" while the conversation is live and "closed:<id>" after; its unique
 * index makes "find or create the open conversation" race-free without partial indexes (which the
 * embedded store lacks). A conversation of a thread (an e-mail thread, a channel's own thread id) is
 * keyed by its thread instead, "thread:channel:threadKey", so one customer may hold several live
 * conversations on one channel, one per thread (hub/ingest/threads.ts).
 */
export const conversationSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, required: true },
    customerName: { type: String, default: '' },
    customerTier: { type: String, default: 'standard' },
    channel: { type: String, enum: CHANNELS, required: true },
    status: { type: String, enum: CONVERSATION_STATUSES, default: 'queued' },
    openKey: { type: String, required: true },
    queue: { type: String, default: 'general' },
    priority: { type: Number, default: 0 },
    requiredSkills: { type: [String], default: [] },
    assigneeId: { type: String, default: null },
    assigneeName: { type: String, default: null },
    subject: String,
    lastMessageAt: { type: Date, default: () => new Date() },
    lastMessagePreview: { type: String, default: '' },
    unreadCount: { type: Number, default: 0 },
    messageCount: { type: Number, default: 0 },
    /** Version of the counters last written back from the inbox view (hub/inbox-view.ts flush). */
    counterVersion: Number,
    queuedAt: Date,
    assignedAt: Date,
    firstResponseAt: Date,
    resolvedAt: Date,
    tags: { type: [String], default: [] },
    /** Snoozed by an agent until then (hub/snooze.ts): left out of the live list until it comes back. */
    snoozedUntil: { type: Date, default: undefined },
    disposition: { code: String, note: String, by: String, at: Date },
    /** The customer's satisfaction rating after the conversation ended (hub/csat.ts). */
    csat: { type: new Schema({ score: Number, comment: String, at: Date }, { _id: false }), default: undefined },
    channelData: { type: Schema.Types.Mixed, default: {} },
    /** The channel's thread this conversation holds (absent: the customer's one unthreaded conversation). */
    threadKey: String,
    /** The resolved conversation of the same thread this one continues (opened after the reopen window). */
    previousConversationId: { type: Schema.Types.ObjectId, default: undefined },
    /** Last time a message in its thread reopened it after it was resolved, and how often that happened. */
    reopenedAt: Date,
    reopenCount: Number,
  },
  { timestamps: true, minimize: false },
);
conversationSchema.index({ openKey: 1 }, { unique: true });
// Inbox views: newest activity first, by status, assignee or queue.
conversationSchema.index({ lastMessageAt: -1 });
conversationSchema.index({ status: 1, lastMessageAt: -1 });
conversationSchema.index({ assigneeId: 1, lastMessageAt: -1 });
conversationSchema.index({ queue: 1, lastMessageAt: -1 });
conversationSchema.index({ customerId: 1, createdAt: -1 });
// A thread's conversations, newest first (the live one is found by openKey; this finds the resolved ones).
conversationSchema.index({ channel: 1, threadKey: 1, createdAt: -1 });

export function conversationModel(conn: Connection) {
  return conn.model('Conversation', conversationSchema, 'conversations');
}
/** A stored conversation as read with lean(). */
export interface ConversationDoc {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  customerName?: string | null;
  customerTier?: string | null;
  channel: Channel;
  status: ConversationStatus;
  openKey: string;
  queue: string;
  priority: number;
  requiredSkills?: string[];
  assigneeId?: string | null;
  assigneeName?: string | null;
  subject?: string | null;
  lastMessageAt: Date;
  lastMessagePreview?: string | null;
  unreadCount: number;
  messageCount: number;
  queuedAt?: Date | null;
  assignedAt?: Date | null;
  firstResponseAt?: Date | null;
  resolvedAt?: Date | null;
  tags?: string[];
  snoozedUntil?: Date | null;
  disposition?: { code?: string | null; note?: string | null; by?: string | null; at?: Date | null } | null;
  csat?: { score?: number | null; comment?: string | null; at?: Date | null } | null;
  channelData?: unknown;
  threadKey?: string | null;
  previousConversationId?: Types.ObjectId | null;
  reopenedAt?: Date | null;
  reopenCount?: number | null;
  createdAt: Date;
  updatedAt: Date;
}
