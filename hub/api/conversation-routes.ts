import type { FastifyInstance } from 'fastify';
import { Types, mongo } from 'mongoose';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { badRequest, conflict, forbidden, isDuplicateKey, notFound, unauthorized } from '../../lib/errors.js';
import type { ConversationDoc } from '../models/conversation.js';
import { CHANNELS, CONVERSATION_STATUSES, LIVE_STATUSES } from '../models/types.js';
import { conversationView, customerView, messageView } from '../views.js';
import { bearer, requireUser, type SessionUser } from './auth-routes.js';
import { parseBody } from '../../lib/validate.js';
import { WRAP_UP_CODES } from '../wrapup-codes.js';
import { isLead, visibleWithoutOffers } from '../visibility.js';
import { addNote } from '../notes.js';
import { changeTags, normaliseTag, TAG } from '../conversation-tags.js';
import { snooze, unsnooze } from '../snooze.js';

const objectId = z.string().regex(/^[0-9a-f]{24}$/, 'must be an id');
const ListQuery = z.object({
  scope: z.enum(['mine', 'queue', 'all']).optional(),
  status: z.enum(CONVERSATION_STATUSES).optional(),
  channel: z.enum(CHANNELS).optional(),
  before: z.string().datetime().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Only conversations carrying this tag (read from the records: the list view keeps no set per tag). */
  tag: z.string().max(64).optional(),
});
const ReplyBody = z
  .object({
    text: z.string().trim().max(10_000).default(''),
    clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    /** Rich replies (e-mail): sanitised before they are stored. */
    html: z.string().max(500_000).optional(),
    subject: z.string().trim().max(1000).optional(),
    attachmentIds: z.array(objectId).max(20).optional(),
    /** E-mail only: copy and blind-copy recipients. */
    cc: z.array(z.email().max(320)).max(20).optional(),
    bcc: z.array(z.email().max(320)).max(20).optional(),
  })
  .refine((b) => b.text || b.html || b.attachmentIds?.length, { message: 'reply is empty', path: ['text'] });
/** A note is plain text for colleagues (no html, no attachments). */
const NoteBody = z.object({ text: z.string().trim().min(1, 'note is empty').max(10_000), clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/) });
const Tag = z.string().transform(normaliseTag).pipe(z.string().regex(TAG, 'a tag is 1-32 letters, digits, spaces, _ or -'));
const TagsBody = z.object({ add: z.array(Tag).max(20).default([]), remove: z.array(Tag).max(20).default([]) }).strict().refine((b) => b.add.length + b.remove.length > 0, { message: 'add or remove a tag', path: ['add'] });
/** Until a time between a minute and 30 days from now. */
const SnoozeBody = z.object({ until: z.string().datetime({ offset: true }) }).strict();
const ResolveBody = z.object({ wrapUpCode: z.string().min(1).max(64), note: z.string().max(2000).optional() });


export function registerConversationRoutes(app: FastifyInstance, hub: Hub): void {
  const inboxUser = requireUser(hub, ['agent', 'supervisor', 'admin']);
  const idParam = (p: unknown) => {
    const r = objectId.safeParse((p as { id?: string }).id);
    if (!r.success) throw badRequest('conversation id is not valid');
    return new Types.ObjectId(r.data);
  };
  /**
   * Load a conversation and check the user may see it (hub/visibility.ts): a lead, assigned to them,
   * waiting unassigned in their queues, or offered to them now. Anything else is 404, as if missing.
   */
  const load = async (u: SessionUser, id: Types.ObjectId): Promise<ConversationDoc> => {
    const c = (await hub.m.Conversation.findById(id).lean()) as ConversationDoc | null;
    if (!c) throw notFound('conversation');
    if (visibleWithoutOffers(u, c)) return c;
    const task = await hub.acd.snapshotTask(String(c._id));
    if (task?.state === 'offered' && task.agentId === u.id) return c;
    throw notFound('conversation');
  };
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });

  app.get('/api/wrapup-codes', async (req) => {
    await inboxUser(req);
    return { items: WRAP_UP_CODES };
  });

  // Queue names for the inbox (agents see labels, as supervisors do, not ids).
  app.get('/api/queues', async (req) => {
    await inboxUser(req);
    const [all, defs] = await Promise.all([hub.m.Queue.find({}, { label: 1, disabled: 1, deleted: 1 }).lean(), hub.acdBridge.queuesCached()]);
    const rows = all.filter((r) => !r.deleted);
    // disabled: still named (conversations sit in it) but offered as no move target. serviceLevelSec: the
    // queue's answer target, which the console's response timer colours against.
    const sl = (id: string) => defs.find((d) => d.id === id)?.serviceLevel.seconds ?? 20;
    const items = rows.map((r) => ({ id: String(r._id), label: { en: String((r.label as { en?: string })?.en ?? ''), zh: String((r.label as { zh?: string })?.zh ?? '') }, serviceLevelSec: sl(String(r._id)), ...(r.disabled ? { disabled: true } : {}) }));
    return { items };
  });

  app.get('/api/conversations', async (req) => {
    const u = await inboxUser(req);
    const r = ListQuery.safeParse(req.query);
    if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const q = r.data;
    const scope = q.scope ?? (isLead(u) ? 'all' : 'queue');
    if (scope === 'all' && !isLead(u)) throw forbidden('only supervisors see every conversation');
    const hot = q.tag ? null : await hub.inbox.list({ scope, userId: u.id, queues: u.queues, status: q.status, channel: q.channel, before: q.before ? new Date(q.before) : undefined, limit: q.limit });
    if (hot) return hot;
    const filter: Record<string, unknown> = {};
    if (scope === 'mine') filter.assigneeId = u.id;
    if (scope === 'queue') {
      filter.queue = { $in: u.queues };
      filter.assigneeId = { $in: [null, u.id] };
    }
    // Like the view: live conversations unless a status is asked for.
    filter.status = q.status ?? { $in: LIVE_STATUSES };
    if (q.channel) filter.channel = q.channel;
    if (q.tag) filter.tags = normaliseTag(q.tag);
    if (q.before) filter.lastMessageAt = { $lt: new Date(q.before) };
    const rows = (await hub.m.Conversation.find(filter).sort({ lastMessageAt: -1 }).limit(q.limit + 1).lean()) as ConversationDoc[];
    const items = rows.slice(0, q.limit).map(conversationView);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1].lastMessageAt : null };
  });

  // Search (hub/search/): customer name, phone or e-mail, message text; only what the caller may open.
  app.get('/api/search', async (req) => {
    const u = await inboxUser(req);
    const r = z.object({ q: z.string().trim().min(1).max(200), limit: z.coerce.number().int().min(1).max(50).default(20) }).strict().safeParse(req.query);
    if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const items = await hub.search.search(r.data.q, (v) => visibleWithoutOffers(u, { queue: v.queue, assigneeId: v.assignee?.id ?? null }), r.data.limit);
    return { items };
  });

  app.get('/api/conversations/:id', async (req) => {
    const u = await inboxUser(req);
    const c = await load(u, idParam(req.params));
    const [customer, messages, history] = await Promise.all([
      hub.m.Customer.findById(c.customerId).lean(),
      hub.m.Message.find({ conversationId: c._id }).sort({ createdAt: -1 }).limit(100).lean(),
      hub.m.Conversation.find({ customerId: c.customerId }).sort({ createdAt: -1 }).limit(21).lean(),
    ]);
    return {
      conversation: await hub.inbox.view(c),
      customer: customer ? customerView(customer as never) : null,
      messages: messages.reverse().map((m) => messageView(m as never)),
      // The customer's other conversations, by the same rule: none the user could not open themselves.
      history: history.filter((h) => String(h._id) !== String(c._id) && visibleWithoutOffers(u, h as ConversationDoc)).slice(0, 20).map((h) => conversationView(h as never)),
    };
  });

  app.get('/api/conversations/:id/messages', async (req) => {
    const u = await inboxUser(req);
    const c = await load(u, idParam(req.params));
    const q = z.object({ before: z.string().datetime().optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }).safeParse(req.query);
    if (!q.success) throw badRequest('before must be an ISO time, limit 1-200');
    const f: Record<string, unknown> = { conversationId: c._id };
    if (q.data.before) f.createdAt = { $lt: new Date(q.data.before) };
    const rows = await hub.m.Message.find(f).sort({ createdAt: -1 }).limit(q.data.limit).lean();
    return { items: rows.reverse().map((m) => messageView(m as never)) };
  });

  app.post('/api/conversations/:id/claim', async (req) => {
    const u = await inboxUser(req);
    const id = idParam(req.params);
    // A colleague took it a moment ago (two agents of the queue claimed at once): say it is taken (they
    // saw it waiting in their queue), not that it does not exist; nothing of it is shown.
    const c = await load(u, id).catch(async (e) => {
      const taken = (await hub.m.Conversation.findById(id, { queue: 1, assigneeId: 1 }).lean()) as ConversationDoc | null;
      if (taken?.assigneeId && u.queues.includes(taken.queue)) throw conflict('already_assigned', 'conversation is assigned to another agent');
      throw e;
    });
    const claimed = await hub.conversations.claim(c._id, u);
    await hub.audit.record(actor(u), 'conversation.claim', { type: 'conversation', id: String(c._id) }, undefined, req.ip);
    return { conversation: conversationView(claimed) };
  });

  app.post('/api/conversations/:id/read', async (req) => {
    const u = await inboxUser(req);
    const c = await load(u, idParam(req.params));
    return { conversation: await hub.inbox.view(await hub.conversations.markRead(c, u)) };
  });

  app.post('/api/conversations/:id/messages', async (req, reply) => {
    const u = await inboxUser(req);
    const body = parseBody(ReplyBody, req.body);
    const c = await load(u, idParam(req.params));
    if ((body.cc?.length || body.bcc?.length) && c.channel !== 'email') throw badRequest('cc and bcc are for e-mail conversations only', 'invalid_body');
    const { message, duplicate } = await hub.conversations.reply(c, u, { text: body.text, html: body.html, subject: body.subject, attachmentIds: body.attachmentIds, cc: body.cc, bcc: body.bcc }, body.clientId);
    if (!duplicate) await hub.audit.record(actor(u), 'message.send', { type: 'conversation', id: String(c._id) }, { messageId: String(message._id) }, req.ip);
    reply.code(duplicate ? 200 : 201);
    return { message: messageView(message) };
  });

  // Internal note: anyone who may open the conversation (colleagues in its queue, supervisors), even when
  // it is assigned to someone else or resolved; never sent to the customer (hub/notes.ts).
  app.post('/api/conversations/:id/notes', async (req, reply) => {
    const u = await inboxUser(req);
    const body = parseBody(NoteBody, req.body);
    const c = await load(u, idParam(req.params));
    const { message, duplicate } = await addNote(hub, c, u, body.text, body.clientId);
    if (!duplicate) await hub.audit.record(actor(u), 'note.create', { type: 'conversation', id: String(c._id) }, { messageId: String(message._id) }, req.ip);
    reply.code(duplicate ? 200 : 201);
    return { message: messageView(message) };
  });

  // Tags: anyone who may open the conversation (hub/conversation-tags.ts).
  app.post('/api/conversations/:id/tags', async (req) => {
    const u = await inboxUser(req);
    const body = parseBody(TagsBody, req.body);
    const c = await load(u, idParam(req.params));
    const upd = await changeTags(hub, c, body.add, body.remove);
    if (upd !== c) await hub.audit.record(actor(u), 'conversation.tags', { type: 'conversation', id: String(c._id) }, { add: body.add, remove: body.remove }, req.ip);
    return { conversation: await hub.inbox.view(upd) };
  });

  // Snooze (hub/snooze.ts): the assignee or a supervisor; it comes back at `until` or when the customer writes.
  app.post('/api/conversations/:id/snooze', async (req) => {
    const u = await inboxUser(req);
    const body = parseBody(SnoozeBody, req.body);
    const c = await load(u, idParam(req.params));
    const upd = await snooze(hub, c, u, new Date(body.until));
    await hub.audit.record(actor(u), 'conversation.snooze', { type: 'conversation', id: String(c._id) }, { until: body.until }, req.ip);
    return { conversation: await hub.inbox.view(upd) };
  });
  app.post('/api/conversations/:id/unsnooze', async (req) => {
    const u = await inboxUser(req);
    const c = await load(u, idParam(req.params));
    const upd = await unsnooze(hub, c, 'agent');
    if (upd) await hub.audit.record(actor(u), 'conversation.unsnooze', { type: 'conversation', id: String(c._id) }, undefined, req.ip);
    return { conversation: await hub.inbox.view(upd ?? c) };
  });

  app.post('/api/conversations/:id/resolve', async (req) => {
    const u = await inboxUser(req);
    const body = parseBody(ResolveBody, req.body);
    if (!WRAP_UP_CODES.some((w) => w.code === body.wrapUpCode)) throw badRequest(`unknown wrap-up code ${body.wrapUpCode}`, 'unknown_wrapup_code');
    const c = await load(u, idParam(req.params));
    if (!LIVE_STATUSES.includes(c.status as never)) throw conflict('already_resolved', 'conversation is already resolved');
    // Routing's stored state is where an assignment is first recorded (the record follows it): an
    // agent the console was just told about may resolve before the record names them.
    if (c.assigneeId && c.assigneeId !== u.id && !isLead(u) && (await hub.acd.snapshotTask(String(c._id)))?.agentId !== u.id) throw forbidden('only the assignee or a supervisor can resolve this conversation');
    const resolved = await hub.conversations.resolve(c, u, body.wrapUpCode, body.note);
    await hub.audit.record(actor(u), 'conversation.resolve', { type: 'conversation', id: String(c._id) }, { wrapUpCode: body.wrapUpCode }, req.ip);
    return { conversation: conversationView(resolved) };
  });

  // Who may fetch is settled before the file is looked up, so an unauthenticated caller cannot tell an
  // existing id from a missing one. Three ways in: a signed short-lived link (the widget's images and
  // files: no session token in a URL), a visitor's bearer token (own uploads), a staff bearer token.
  app.get('/api/attachments/:id', async (req, reply) => {
    const r = objectId.safeParse((req.params as { id?: string }).id);
    if (!r.success) throw badRequest('attachment id is not valid');
    const id = r.data;
    const q = req.query as { exp?: unknown; sig?: unknown; token?: unknown };
    let may: (meta: Record<string, unknown> | undefined) => Promise<boolean>;
    if (q.sig !== undefined || q.exp !== undefined) {
      if (!hub.tokens.attachmentLinkValid(id, q.exp, q.sig)) throw forbidden('this link is invalid or has expired');
      may = async () => true;
    } else {
      const token = bearer(req);
      if (!token) throw unauthorized();
      const visitor = await hub.tokens.verify(token, 'visitor').catch(() => null);
      if (visitor) may = async (meta) => meta?.customerId === visitor.cid;
      else {
        const u = await inboxUser(req);
        // Agents see an attachment only through a conversation they may open; unsent uploads: leads only.
        may = async (meta) => {
          const conv = meta?.conversationId;
          if (!conv) return isLead(u);
          return load(u, new Types.ObjectId(String(conv))).then(() => true, () => false);
        };
      }
    }
    const file = await hub.conn.db!.collection('attachments.files').findOne({ _id: new Types.ObjectId(id) });
    if (!file || !(await may(file.metadata))) throw notFound('attachment');
    const type = String(file.metadata?.contentType ?? 'application/octet-stream');
    reply.header('Content-Type', type);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Security-Policy', "default-src 'none'; sandbox");
    reply.header('Cache-Control', 'private, no-store');
    reply.header('Content-Disposition', `${type.startsWith('image/') ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(String(file.filename))}`);
    return reply.send(new mongo.GridFSBucket(hub.conn.db!, { bucketName: 'attachments' }).openDownloadStream(file._id));
  });
}

export { isDuplicateKey };
