import { Schema, type Connection, type Types } from 'mongoose';
import { CHANNELS, DELIVERY_STATUSES, type AttachmentRef, type Channel, type DeliveryStatus } from './types.js';

/**
 * One message in or out. (channel, externalId) is unique: the channel's own id for inbound
 * (SMPP message id, Message-ID header, chat client id) and our own for outbound, so a replay or retry
 * can never store a message twice.
 */
export const messageSchema = new Schema(
  {
    conversationId: { type: Schema.Types.ObjectId, required: true },
    customerId: { type: Schema.Types.ObjectId, required: true },
    direction: { type: String, enum: ['in', 'out'], required: true },
    channel: { type: String, enum: CHANNELS, required: true },
    author: { type: { type: String, enum: ['customer', 'agent', 'system'] }, id: String, name: String },
    from: String,
    to: String,
    /** Copy recipients as the channel gave them (e-mail Cc), comma-separated. */
    cc: String,
    /** Blind-copy recipients of an outbound e-mail (agents see them; never sent in a header). */
    bcc: String,
    text: { type: String, default: '' },
    /** Sanitised HTML (never the raw customer HTML). */
    html: String,
    subject: String,
    attachments: [{ _id: false, id: String, name: String, contentType: String, size: Number, cid: String }],
    externalId: { type: String, required: true },
    clientId: String,
    status: { type: String, enum: DELIVERY_STATUSES, default: 'received' },
    /** Why the channel said what it said (a bounce reason, an SMSC error code). */
    statusDetail: String,
    /** When the channel says the status changed (the receipt's own time, else when we heard). */
    statusAt: Date,
    /**
     * Outbound only: the channel's own id for the sent message (SMPP message_id, the e-mail
     * Message-ID), returned by send(). Receipts find their message by it (hub/receipts.ts). `externalId`
     * stays our idempotency key.
     */
    sentId: String,
    /** Outbound only: how many times send() was called for it (a retry after a crash says so to the connector). */
    sendAttempts: Number,
    error: String,
    /** An internal note (hub/notes.ts): for colleagues only, never sent to the customer. */
    internal: Boolean,
    channelData: Schema.Types.Mixed,
  },
  { timestamps: true },
);
messageSchema.index({ channel: 1, externalId: 1 }, { unique: true });
messageSchema.index({ conversationId: 1, createdAt: -1 });
// Receipts by the channel's id (not unique: the store has no partial indexes, and inbound messages have none).
messageSchema.index({ channel: 1, sentId: 1 });
messageSchema.index({ customerId: 1, createdAt: -1 });

export function messageModel(conn: Connection) {
  return conn.model('Message', messageSchema, 'messages');
}
/** A stored message as read with lean(). */
export interface MessageDoc {
  _id: Types.ObjectId;
  conversationId: Types.ObjectId;
  customerId: Types.ObjectId;
  direction: 'in' | 'out';
  channel: Channel;
  author?: { type?: 'customer' | 'agent' | 'system' | null; id?: string | null; name?: string | null } | null;
  from?: string | null;
  to?: string | null;
  cc?: string | null;
  bcc?: string | null;
  text?: string | null;
  html?: string | null;
  subject?: string | null;
  attachments?: AttachmentRef[];
  externalId: string;
  clientId?: string | null;
  status: DeliveryStatus;
  statusDetail?: string | null;
  statusAt?: Date | null;
  sentId?: string | null;
  sendAttempts?: number | null;
  error?: string | null;
  channelData?: unknown;
  createdAt: Date;
  updatedAt: Date;
}
