/**
 * Canned replies (`/api/canned-replies`): the team's shared set, managed by supervisors and admins,
 * and each agent's personal set, managed by its owner. Everyone in the inbox reads the shared set and
 * their own; nobody sees another agent's personal replies (404, as if missing). Every change is audited.
 * Variables ({{customer.name}}...) are stored as written and filled in by the console when inserted.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { badRequest, conflict, forbidden, isDuplicateKey, notFound } from '../../lib/errors.js';
import { parseBody } from '../../lib/validate.js';
import type { CannedReplyDoc } from '../models/canned-reply.js';
import { isLead } from '../visibility.js';
import { requireUser, type SessionUser } from './auth-routes.js';

/** Personal replies one agent may keep: plenty for daily use, bounded for the store. */
export const PERSONAL_MAX = 200;
const OBJECT_ID = /^[0-9a-f]{24}$/;

const Text = z.string().trim().max(4000);
const Body = z
  .object({
    shortcut: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a shortcut is lower-case letters, digits, _ and - (up to 32)'),
    title: z.string().trim().min(1).max(100),
    texts: z
      .object({ en: Text.optional(), zh: Text.optional() })
      .strict()
      .refine((t) => !!(t.en || t.zh), { message: 'give the text in English or Chinese (or both)' }),
  })
  .strict();
const CreateBody = Body.extend({ scope: z.enum(['shared', 'personal']) }).strict();

export function cannedView(c: CannedReplyDoc) {
  return {
    id: String(c._id),
    scope: c.owner === 'shared' ? ('shared' as const) : ('personal' as const),
    shortcut: c.shortcut,
    title: c.title,
    texts: { ...(c.texts?.en ? { en: c.texts.en } : {}), ...(c.texts?.zh ? { zh: c.texts.zh } : {}) },
    updatedAt: c.updatedAt,
  };
}

export function registerCannedRoutes(app: FastifyInstance, hub: Hub): void {
  const inboxUser = requireUser(hub, ['agent', 'supervisor', 'admin']);
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });
  const mine = (u: SessionUser) => `user:${u.id}`;
  /** The reply, if this user may change it: their own, or a shared one for supervisors and admins. */
  const editable = async (u: SessionUser, params: unknown): Promise<CannedReplyDoc> => {
    const id = (params as { id?: string }).id ?? '';
    if (!OBJECT_ID.test(id)) throw badRequest('canned reply id is not valid');
    const c = (await hub.m.CannedReply.findById(id).lean()) as CannedReplyDoc | null;
    if (!c || (c.owner !== 'shared' && c.owner !== mine(u))) throw notFound('canned reply');
    if (c.owner === 'shared' && !isLead(u)) throw forbidden('only supervisors and admins change shared replies');
    return c;
  };
  const taken = (shortcut: string) => conflict('shortcut_taken', `the shortcut /${shortcut} is already used in this set`);

  app.get('/api/canned-replies', async (req) => {
    const u = await inboxUser(req);
    const rows = (await hub.m.CannedReply.find({ owner: { $in: ['shared', mine(u)] } }).lean()) as CannedReplyDoc[];
    // Sorted here: the embedded store sorts in Go anyway, and the set is small.
    rows.sort((a, b) => (a.shortcut < b.shortcut ? -1 : a.shortcut > b.shortcut ? 1 : a.owner === 'shared' ? 1 : -1));
    return { items: rows.map(cannedView) };
  });

  app.post('/api/canned-replies', async (req, reply) => {
    const u = await inboxUser(req);
    const body = parseBody(CreateBody, req.body);
    if (body.scope === 'shared' && !isLead(u)) throw forbidden('only supervisors and admins add shared replies');
    const owner = body.scope === 'shared' ? 'shared' : mine(u);
    if (owner !== 'shared' && (await hub.m.CannedReply.countDocuments({ owner })) >= PERSONAL_MAX) throw conflict('too_many', `at most ${PERSONAL_MAX} personal replies`);
    let doc: CannedReplyDoc;
    try {
      doc = (await hub.m.CannedReply.create({ owner, shortcut: body.shortcut, title: body.title, texts: body.texts, createdBy: u.id, updatedBy: u.id })).toObject() as CannedReplyDoc;
    } catch (e) {
      if (isDuplicateKey(e)) throw taken(body.shortcut);
      throw e;
    }
    await hub.audit.record(actor(u), 'canned.create', { type: 'canned_reply', id: String(doc._id) }, { scope: body.scope, shortcut: body.shortcut }, req.ip);
    reply.code(201);
    return { item: cannedView(doc) };
  });

  app.put('/api/canned-replies/:id', async (req) => {
    const u = await inboxUser(req);
    const body = parseBody(Body, req.body);
    const c = await editable(u, req.params);
    let doc: CannedReplyDoc | null;
    try {
      doc = (await hub.m.CannedReply.findOneAndUpdate(
        { _id: c._id },
        { $set: { shortcut: body.shortcut, title: body.title, texts: body.texts, updatedBy: u.id } },
        { new: true },
      ).lean()) as CannedReplyDoc | null;
    } catch (e) {
      if (isDuplicateKey(e)) throw taken(body.shortcut);
      throw e;
    }
    if (!doc) throw notFound('canned reply');
    await hub.audit.record(actor(u), 'canned.update', { type: 'canned_reply', id: String(c._id) }, { scope: cannedView(c).scope, shortcut: body.shortcut }, req.ip);
    return { item: cannedView(doc) };
  });

  app.delete('/api/canned-replies/:id', async (req) => {
    const u = await inboxUser(req);
    const c = await editable(u, req.params);
    await hub.m.CannedReply.deleteOne({ _id: c._id });
    await hub.audit.record(actor(u), 'canned.delete', { type: 'canned_reply', id: String(c._id) }, { scope: cannedView(c).scope, shortcut: c.shortcut }, req.ip);
    return { ok: true };
  });
}
