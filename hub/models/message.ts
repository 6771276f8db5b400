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
    text: { type: String, default: '' },
    /** Sanitised HTML (never the raw customer HTML). */
    html: String,
    subject: String,
    attachments: [{ _id: false, id: String, name: String, contentType: String, size: Number }],
    externalId: { type: String, required: true },
    clientId: String,
    status: { type: String, enum: DELIVERY_STATUSES, default: 'received' },
    error: String,
    /** An internal note (hub/notes.ts): for colleagues only, never sent to the customer. */
    internal: Boolean,
    channelData: Schema.Types.Mixed,
  },
  { timestamps: true },
);
messageSchema.index({ channel: 1, externalId: 1 }, { unique: true });
messageSchema.index({ conversationId: 1, createdAt: -1 });
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
  text?: string | null;
  html?: string | null;
  subject?: string | null;
  attachments?: AttachmentRef[];
  externalId: string;
  clientId?: string | null;
  status: DeliveryStatus;
  error?: string | null;
  channelData?: unknown;
  createdAt: Date;
  updatedAt: Date;
}
