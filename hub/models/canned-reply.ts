import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * A canned reply: a text an agent inserts with `/shortcut`, in Chinese and/or English, with variables
 * ({{customer.name}}, {{agent.name}}) filled in by the console. `owner` is `shared` (the team's set,
 * managed by supervisors and admins) or `user:<id>` (one agent's own); a shortcut is unique per owner,
 * kept by a unique index (no read-then-write race between two saves).
 */
export const cannedReplySchema = new Schema(
  {
    owner: { type: String, required: true },
    shortcut: { type: String, required: true },
    title: { type: String, required: true },
    texts: { _id: false, en: String, zh: String },
    createdBy: String,
    updatedBy: String,
  },
  { timestamps: true },
);
cannedReplySchema.index({ owner: 1, shortcut: 1 }, { unique: true });

export type CannedReplyDoc = InferSchemaType<typeof cannedReplySchema> & { _id: unknown; createdAt: Date; updatedAt: Date };

export function cannedReplyModel(conn: Connection) {
  return conn.model('CannedReply', cannedReplySchema, 'canned_replies');
}
