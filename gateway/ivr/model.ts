/**
 * Where flows and uploaded prompts live. A flow's current version is one document (`ivr_flows`,
 * _id = the flow's slug); every saved version is also appended to `ivr_flow_versions`, so an edit can
 * be traced and undone. Saves are compare-and-set on `version` (two admins editing at once: the
 * second gets 409, nothing overwritten).
 */
import { Schema, type Connection } from 'mongoose';

const flowSchema = new Schema(
  {
    _id: String,
    version: { type: Number, required: true },
    /** The validated flow (flow-schema.ts FlowBody output), as saved. */
    flow: { type: Schema.Types.Mixed, required: true },
    /** Called numbers it answers, kept beside the flow to find it per call. */
    numbers: { type: [String], default: [] },
    updatedBy: String,
  },
  { timestamps: true, minimize: false },
);
flowSchema.index({ numbers: 1 });

const flowVersionSchema = new Schema(
  {
    /** "flowId:version": unique, so a version is written once even when a save is retried. */
    _id: String,
    flowId: { type: String, required: true },
    version: { type: Number, required: true },
    flow: { type: Schema.Types.Mixed, required: true },
    by: String,
    deleted: Boolean,
    at: { type: Date, default: () => new Date() },
  },
  { versionKey: false, minimize: false },
);
flowVersionSchema.index({ flowId: 1, version: -1 });

/** An uploaded recording: 8 kHz mono 16-bit PCM WAV, at most a minute (checked by prompts/wav.ts). */
const promptSchema = new Schema(
  {
    name: { type: String, required: true },
    wav: { type: Buffer, required: true },
    durationMs: Number,
    sha256: String,
    uploadedBy: String,
  },
  { timestamps: true },
);

export function ivrModels(conn: Connection) {
  return {
    IvrFlow: conn.model('IvrFlow', flowSchema, 'ivr_flows'),
    IvrFlowVersion: conn.model('IvrFlowVersion', flowVersionSchema, 'ivr_flow_versions'),
    IvrPrompt: conn.model('IvrPrompt', promptSchema, 'ivr_prompts'),
  };
}
export type IvrModels = ReturnType<typeof ivrModels>;
