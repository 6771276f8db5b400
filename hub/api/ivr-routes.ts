/**
 * IVR administration: flows (list, read, create, update by version, delete, validate, version log)
 * and uploaded prompts. Admins only, checked against the user as stored now (requireUser); every
 * change is audited. A flow that cannot run is refused 400 `invalid_flow`, naming each bad node.
 */
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { AppError, badRequest, conflict, notFound, tooLarge } from '../../lib/errors.js';
import { parseBody } from '../../lib/validate.js';
import { requireUser, type SessionUser } from './auth-routes.js';
import { FlowConflict, FlowInvalid, FlowMissing } from '../../gateway/ivr/flows.js';
import { parseWav, WavError } from '../../gateway/ivr/prompts/wav.js';

const FLOW_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
/** A minute of 8 kHz 16-bit mono, and the header. */
const MAX_PROMPT_BYTES = 60 * 16_000 + 4096;
const NewId = z.object({ id: z.string().regex(FLOW_ID, 'a flow id is lower-case letters, digits, _ and - (up to 32)') }).passthrough();
const Version = z.object({ version: z.number().int().min(1) }).passthrough();

export function registerIvrRoutes(app: FastifyInstance, hub: Hub): void {
  const admin = requireUser(hub, ['admin']);
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });
  const flows = hub.ivr.flows;
  const flowId = (p: unknown): string => {
    const id = (p as { id?: string }).id ?? '';
    if (!FLOW_ID.test(id)) throw badRequest('a flow id is lower-case letters, digits, _ and - (up to 32)');
    return id;
  };
  /** The flow module's errors in the hub's vocabulary. */
  const mapped = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (e instanceof FlowInvalid) throw new AppError(400, 'invalid_flow', e.message);
      if (e instanceof FlowConflict) throw conflict(e.code, e.message);
      if (e instanceof FlowMissing) throw notFound('flow');
      throw e;
    }
  };
  const out = (f: { id: string; version: number; flow: object; updatedAt: Date; updatedBy?: string }) => ({ id: f.id, version: f.version, ...f.flow, updatedAt: f.updatedAt, updatedBy: f.updatedBy });

  app.get('/api/admin/ivr/flows', async (req) => {
    await admin(req);
    return { flows: (await flows.list()).map((f) => ({ id: f.id, name: f.flow.name, version: f.version, numbers: f.flow.numbers, nodes: f.flow.nodes.length, updatedAt: f.updatedAt })) };
  });

  app.get('/api/admin/ivr/flows/:id', async (req) => {
    await admin(req);
    const f = await flows.get(flowId(req.params));
    if (!f) throw notFound('flow');
    return { flow: out(f) };
  });

  app.get('/api/admin/ivr/flows/:id/versions', async (req) => {
    await admin(req);
    return { versions: await flows.versions(flowId(req.params)) };
  });

  // Checks without saving: the editor shows every problem at once.
  app.post('/api/admin/ivr/flows/validate', async (req) => {
    await admin(req);
    const c = await flows.check(req.body ?? {});
    return c.ok ? { ok: true, problems: [] } : { ok: false, problems: c.problems };
  });

  app.post('/api/admin/ivr/flows', async (req, reply) => {
    const u = await admin(req);
    const { id, ...rest } = parseBody(NewId, req.body);
    const f = await mapped(flows.create(id, rest, u.id));
    await hub.audit.record(actor(u), 'ivr.flow.create', { type: 'ivr_flow', id }, { version: f.version, name: f.flow.name, nodes: f.flow.nodes.length }, req.ip);
    reply.code(201);
    return { flow: out(f) };
  });

  app.put('/api/admin/ivr/flows/:id', async (req) => {
    const u = await admin(req);
    const id = flowId(req.params);
    const { version, ...rest } = parseBody(Version, req.body);
    const f = await mapped(flows.update(id, version, rest, u.id));
    await hub.audit.record(actor(u), 'ivr.flow.update', { type: 'ivr_flow', id }, { from: version, version: f.version, name: f.flow.name, nodes: f.flow.nodes.length }, req.ip);
    return { flow: out(f) };
  });

  app.delete('/api/admin/ivr/flows/:id', async (req) => {
    const u = await admin(req);
    const id = flowId(req.params);
    await mapped(flows.delete(id, u.id));
    await hub.audit.record(actor(u), 'ivr.flow.delete', { type: 'ivr_flow', id }, {}, req.ip);
    return { ok: true };
  });

  // ---- prompts --------------------------------------------------------------------------------

  app.get('/api/admin/ivr/prompts', async (req) => {
    await admin(req);
    const rows = await hub.m.IvrPrompt.find({}, { wav: 0 }).sort({ createdAt: -1 }).limit(500).lean();
    return { prompts: rows.map((p) => ({ id: String(p._id), name: p.name, durationMs: p.durationMs, createdAt: p.createdAt })) };
  });

  app.post('/api/admin/ivr/prompts', { config: { multipart: true } }, async (req, reply) => {
    const u = await admin(req);
    if (!req.isMultipart()) throw badRequest('send multipart/form-data with a file field (an 8 kHz mono 16-bit WAV)');
    const file = await req.file({ limits: { fileSize: MAX_PROMPT_BYTES, files: 1, fields: 2, fieldSize: 1024, parts: 3 } }).catch((e: { code?: string; message?: string }) => {
      throw badRequest(`malformed upload: ${String(e.message ?? '').slice(0, 200)}`, 'bad_upload');
    });
    if (!file) throw badRequest('no file in the upload');
    let wav: Buffer;
    try {
      wav = await file.toBuffer();
    } catch (e) {
      if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(`a prompt is at most a minute (${MAX_PROMPT_BYTES} bytes)`);
      throw badRequest('malformed upload', 'bad_upload');
    }
    let info;
    try {
      info = parseWav(wav);
    } catch (e) {
      if (e instanceof WavError) throw new AppError(415, 'bad_audio', `${e.message} (prompts are 8 kHz mono 16-bit PCM WAV)`);
      throw e;
    }
    const name = (file.filename || 'prompt.wav').replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(0, 100);
    const doc = await hub.m.IvrPrompt.create({ name, wav, durationMs: info.durationMs, sha256: createHash('sha256').update(wav).digest('hex'), uploadedBy: u.id });
    await hub.audit.record(actor(u), 'ivr.prompt.upload', { type: 'ivr_prompt', id: String(doc._id) }, { name, durationMs: info.durationMs, bytes: wav.length }, req.ip);
    reply.code(201);
    return { prompt: { id: String(doc._id), name, durationMs: info.durationMs } };
  });

  app.delete('/api/admin/ivr/prompts/:id', async (req) => {
    const u = await admin(req);
    const id = (req.params as { id?: string }).id ?? '';
    if (!OBJECT_ID.test(id)) throw badRequest('prompt id is not valid');
    // A prompt a flow still says cannot go: the flow would fail at the call.
    const users = (await flows.list()).filter((f) => JSON.stringify(f.flow).includes(`"file":"${id}"`)).map((f) => f.id);
    if (users.length) throw conflict('prompt_in_use', `flows ${users.join(', ')} still use this prompt`);
    const r = await hub.m.IvrPrompt.deleteOne({ _id: id });
    if (!r.deletedCount) throw notFound('prompt');
    await hub.audit.record(actor(u), 'ivr.prompt.delete', { type: 'ivr_prompt', id }, {}, req.ip);
    return { ok: true };
  });
}
