/**
 * Campaigns, their recipients and the suppression list. One recipient document per (campaign,
 * customer, channel), keyed by exactly that string: the unique _id is the exactly-once key, enforced
 * by every MongoDB-compatible store, so materialising an audience twice (a retry after a crash, two
 * hubs) can never make a second recipient, and the recipient document is the stored outbound message
 * whose id every send attempt carries.
 */
import { Schema, type Connection, type Types } from 'mongoose';

export const CAMPAIGN_CHANNELS = ['sms', 'email'] as const;
export type CampaignChannel = (typeof CAMPAIGN_CHANNELS)[number];
export const CAMPAIGN_STATES = ['draft', 'awaiting_approval', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];
/** pending: due to be sent; waiting: held by quiet hours until notBefore; sending: claimed under a lease. */
export const RECIPIENT_STATES = ['pending', 'waiting', 'sending', 'sent', 'delivered', 'failed', 'skipped'] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];
export const SKIP_REASONS = ['opted_out', 'suppressed', 'frequency_cap', 'no_address', 'cancelled'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

const campaignSchema = new Schema(
  {
    name: { type: String, required: true },
    channel: { type: String, enum: CAMPAIGN_CHANNELS, required: true },
    state: { type: String, enum: CAMPAIGN_STATES, default: 'draft' },
    /** Segment filter over customer fields (audience.ts). */
    audience: { type: Schema.Types.Mixed, default: {} },
    /** Per language: { zh: { text, subject?, html? }, en: {...} } (content.ts). */
    content: { type: Schema.Types.Mixed, default: {} },
    /** The queue replies go to. */
    queue: String,
    startAt: Date,
    createdBy: { id: String, name: String },
    approvedBy: { id: String, name: String, at: Date },
    /** Audience size counted when it was submitted (decides whether approval is needed). */
    audienceCount: Number,
    /** True once every recipient document exists (materialisation is idempotent and resumable). */
    materialised: { type: Boolean, default: false },
    /** The last customer whose recipient is written (a materialisation cut short resumes after it). */
    materialisedUpTo: Schema.Types.ObjectId,
    /** Sending lanes, fixed when the audience is materialised (recipients carry their lane). */
    lanes: Number,
    startedAt: Date,
    finishedAt: Date,
  },
  { timestamps: true, minimize: false },
);
campaignSchema.index({ state: 1 });

const recipientSchema = new Schema(
  {
    /** `${campaignId}:${customerId}:${channel}`. */
    _id: String,
    campaignId: { type: Schema.Types.ObjectId, required: true },
    customerId: { type: Schema.Types.ObjectId, required: true },
    channel: { type: String, enum: CAMPAIGN_CHANNELS, required: true },
    /** The id every send of this recipient carries (24 hex, fixed): the connector's idempotency key. */
    messageId: { type: String, required: true },
    /** Which sending lane (BullMQ job) of the campaign sends it: lanes read disjoint recipients. */
    lane: { type: Number, default: 0 },
    address: String,
    state: { type: String, enum: RECIPIENT_STATES, default: 'pending' },
    reason: String,
    notBefore: Date,
    /** Who holds the claim and until when (a dead holder's claim is taken over after it); batch: the claim that took it. */
    lease: { owner: String, until: Date, batch: String },
    attempts: { type: Number, default: 0 },
    sentId: String,
    sentAt: Date,
    statusAt: Date,
    error: String,
    /** The customer answered (replied) or opted out within the reply window after this send. */
    replied: Boolean,
    repliedAt: Date,
    optedOut: Boolean,
  },
  { timestamps: true, versionKey: false },
);
// Claims filter by equality (the embedded store pushes down only equality): campaign + state.
recipientSchema.index({ campaignId: 1, state: 1 });
recipientSchema.index({ customerId: 1, channel: 1, sentAt: -1 });
recipientSchema.index({ channel: 1, sentId: 1 });

/** Numbers and addresses that must never get marketing, keyed like identities ("phone:+86…", "email:…"). */
const suppressionSchema = new Schema(
  {
    _id: String,
    reason: String,
    by: { id: String, name: String },
    at: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);

export function campaignModels(conn: Connection) {
  return {
    Campaign: conn.model('Campaign', campaignSchema, 'campaigns'),
    Recipient: conn.model('Recipient', recipientSchema, 'campaign_recipients'),
    Suppression: conn.model('Suppression', suppressionSchema, 'suppressions'),
  };
}
export type CampaignModels = ReturnType<typeof campaignModels>;

export interface CampaignDoc {
  _id: Types.ObjectId;
  name: string;
  channel: CampaignChannel;
  state: CampaignState;
  audience: Record<string, unknown>;
  content: Record<string, { text?: string; subject?: string; html?: string }>;
  queue?: string | null;
  startAt?: Date | null;
  createdBy?: { id?: string; name?: string };
  approvedBy?: { id?: string; name?: string; at?: Date } | null;
  audienceCount?: number | null;
  materialised?: boolean;
  materialisedUpTo?: Types.ObjectId | null;
  lanes?: number | null;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecipientDoc {
  _id: string;
  campaignId: Types.ObjectId;
  customerId: Types.ObjectId;
  channel: CampaignChannel;
  messageId: string;
  lane: number;
  address?: string | null;
  state: RecipientState;
  reason?: string | null;
  notBefore?: Date | null;
  lease?: { owner?: string | null; until?: Date | null; batch?: string | null } | null;
  attempts: number;
  sentId?: string | null;
  sentAt?: Date | null;
}
