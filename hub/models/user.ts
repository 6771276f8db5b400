import { Schema, type Connection, type InferSchemaType, type Types } from 'mongoose';
import { ROLES } from './types.js';

export const userSchema = new Schema(
  {
    username: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true },
    /** scrypt$N$r$p$salt$hash (hub/auth/password.ts). Never sent to a client. */
    passwordHash: { type: String, required: true },
    queues: { type: [String], default: ['general'] },
    skills: { type: [String], default: [] },
    /** Skill → proficiency 1-10 for routing (skills listed above without a level count as 5). */
    proficiency: { type: Schema.Types.Mixed, default: {} },
    /**
     * Most simultaneous contacts per channel (a voice call blocks the rest), for the channels set here;
     * the others come from the team, then from the defaults (hub/acd/bridge.ts).
     */
    capacity: { type: Schema.Types.Mixed, default: () => ({}) },
    /** Team id (teams.ts): its capacity applies where the agent's own does not say. */
    team: { type: String, default: null },
    locale: { type: String, enum: ['en', 'zh'], default: 'zh' },
    active: { type: Boolean, default: true },
    /**
     * Bumped by a role or password change and by disabling: tokens carry the version they were signed
     * with and are refused once it differs (hub/auth/sessions.ts).
     */
    tokenVersion: { type: Number, default: 0 },
  },
  { timestamps: true },
);
userSchema.index({ username: 1 }, { unique: true });

export const auditSchema = new Schema(
  {
    at: { type: Date, default: () => new Date() },
    actor: { type: { type: String }, id: String, name: String, role: String },
    action: { type: String, required: true },
    target: { type: { type: String }, id: String },
    details: Schema.Types.Mixed,
    ip: String,
  },
  { versionKey: false },
);
auditSchema.index({ at: -1 });
auditSchema.index({ 'target.id': 1, at: -1 });

export const queueSchema = new Schema(
  {
    _id: String,
    label: { en: String, zh: String },
    skills: { type: [String], default: [] },
    /** Routing settings overriding the defaults of hub/acd/bridge.ts queueDef(). */
    routing: { type: Schema.Types.Mixed, default: {} },
    /** Takes no new contacts (hub/acd/types.ts QueueDef.disabled). */
    disabled: { type: Boolean, default: false },
    /** Deleted: a tombstone that diverts what is still addressed to it, never listed (QueueDef.deleted). */
    deleted: { type: Boolean, default: false },
  },
  { timestamps: true, minimize: false },
);

/** A team of agents sharing default capacities per channel (an agent's own capacity overrides them). */
export const teamSchema = new Schema(
  {
    _id: String,
    name: { type: String, required: true },
    capacity: { type: Schema.Types.Mixed, default: () => ({}) },
  },
  { timestamps: true, minimize: false },
);

/** Every agent state change, time-stamped, for reports (occupancy, not-ready time by reason). */
export const agentStateSchema = new Schema(
  {
    agentId: { type: String, required: true },
    state: { type: String, required: true },
    reason: String,
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
agentStateSchema.index({ agentId: 1, at: -1 });

export function userModels(conn: Connection) {
  return {
    User: conn.model('User', userSchema, 'users'),
    Audit: conn.model('Audit', auditSchema, 'audit'),
    Queue: conn.model('Queue', queueSchema, 'queues'),
    Team: conn.model('Team', teamSchema, 'teams'),
    AgentState: conn.model('AgentState', agentStateSchema, 'agent_states'),
  };
}
export type UserDoc = InferSchemaType<typeof userSchema> & { _id: Types.ObjectId };
