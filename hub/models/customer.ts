import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { CHANNELS } from './types.js';

/**
 * A customer with identities per channel. Identity lookups go through the separate `identities`
 * collection whose _id is "channel:address": a unique _id is the one uniqueness every
 * MongoDB-compatible store enforces, so two concurrent first contacts can never make two customers.
 */
export const customerSchema = new Schema(
  {
    name: { type: String, default: '' },
    tier: { type: String, default: 'standard' },
    segment: String,
    language: String,
    identities: [{ _id: false, channel: { type: String, enum: CHANNELS }, address: String }],
    /** Opt-outs per channel (e.g. SMS "TD"/"退订"). */
    consents: { type: Schema.Types.Mixed, default: {} },
    tags: { type: [String], default: [] },
    lastAgentId: String,
    /** Relationship manager: preferred over the last agent for sticky routing. */
    accountManagerId: String,
  },
  { timestamps: true },
);

export const identitySchema = new Schema(
  {
    _id: String,
    customerId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);

export function customerModels(conn: Connection) {
  return {
    Customer: conn.model('Customer', customerSchema, 'customers'),
    Identity: conn.model('Identity', identitySchema, 'identities'),
  };
}
export type CustomerDoc = InferSchemaType<typeof customerSchema> & { _id: import('mongoose').Types.ObjectId };
