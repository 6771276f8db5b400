import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { CHANNELS } from './types.js';

/**
 * A customer. Identity lookups go through the separate `identities` collection whose _id is
 * "kind:normalised address" (hub/identities.ts): a unique _id is the one uniqueness every
 * MongoDB-compatible store enforces, so two concurrent first contacts can never make two customers.
 * `identities` here is the first contact point, kept for display; the collection is the truth.
 */
export const customerSchema = new Schema(
  {
    name: { type: String, default: '' },
    tier: { type: String, default: 'standard' },
    segment: String,
    language: String,
    identities: [{ _id: false, channel: { type: String, enum: CHANNELS }, address: String }],
    /**
     * Marketing consent per channel: `{ sms: { marketing: false, source: 'keyword:TD', at } }`. No entry:
     * not opted out (hub/campaigns/consent.ts).
     */
    consents: { type: Schema.Types.Mixed, default: {} },
    /** IANA time zone for quiet hours (campaigns.defaultTimeZone when absent). */
    timeZone: String,
    /** Last four digits of the customer's main card, for campaign templates ({{card_last4}}); never more. */
    cardLast4: { type: String, match: /^\d{4}$/ },
    tags: { type: [String], default: [] },
    lastAgentId: String,
    /** Relationship manager: preferred over the last agent for sticky routing. */
    accountManagerId: String,
    /** Set when a supervisor merged this customer into another (hub/customer-merge.ts): a tombstone, never reused. */
    mergedInto: { type: Schema.Types.ObjectId, default: undefined },
    mergedAt: Date,
  },
  { timestamps: true },
);

export const identitySchema = new Schema(
  {
    _id: String,
    customerId: { type: Schema.Types.ObjectId, required: true },
    /** phone | email | webchat, and the normalised address (absent on identities stored before kinds). */
    kind: String,
    address: String,
    /** Channels this identity was seen on (the same number for SMS and voice). */
    channels: { type: [String], default: undefined },
    /** False for contact data someone typed in that no channel vouched for. */
    verified: Boolean,
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);
identitySchema.index({ customerId: 1 });

export function customerModels(conn: Connection) {
  return {
    Customer: conn.model('Customer', customerSchema, 'customers'),
    Identity: conn.model('Identity', identitySchema, 'identities'),
  };
}
export type CustomerDoc = InferSchemaType<typeof customerSchema> & { _id: import('mongoose').Types.ObjectId };
