/** Routing: agents' own state and offers; supervisors' queue and agent view and their controls. */
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { badRequest, conflict, notFound } from '../../lib/errors.js';
import type { ConversationDoc } from '../models/conversation.js';
import { conversationView } from '../views.js';
import { agentView, slKey } from '../acd/bridge.js';
import { isOpen } from '../acd/hours.js';
import { requireUser, type SessionUser } from './auth-routes.js';
import { parseBody } from '../../lib/validate.js';
import { findByIds } from '../by-ids.js';

const REASONS = ['break', 'meal', 'training', 'meeting', 'rona', 'supervisor', 'other'] as const;
const StateBody = z.object({ state: z.enum(['available', 'notready', 'offline']), reason: z.enum(REASONS).optional() });
/** One's own state: `rona` and `supervisor` are set by routing and by supervisors, never by the agent (reports count them apart). */
const OwnStateBody = z.object({ state: z.enum(['available', 'notready', 'offline']), reason: z.enum(['break', 'meal', 'training', 'meeting', 'other']).optional() });
const ReassignBody = z.object({ agentId: z.string().regex(/^[0-9a-f]{24}$/), force: z.boolean().optional() });
const MoveBody = z.object({ queue: z.string().min(1).max(64) });
const PriorityBody = z.object({ priority: z.number().int().min(-100).max(100) });

export function registerAcdRoutes(app: FastifyInstance, hub: Hub): void {
  const agentish = requireUser(hub, ['agent', 'supervisor', 'admin']);
  const lead = requireUser(hub, ['supervisor', 'admin']);
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });
  const convId = (p: unknown): string => {
    const id = (p as { id?: string }).id ?? '';
    if (!/^[0-9a-f]{24}$/.test(id)) throw badRequest('conversation id is not valid');
    return id;
  };
  const loadConv = async (id: string) => {
    const c = (await hub.m.Conversation.findById(id).lean()) as ConversationDoc | null;
    if (!c) throw notFound('conversation');
    return c;
  };
  /** Make sure routing knows the conversation before a command about it. */
  const ensureTask = async (c: ConversationDoc) => {
    if (!(await hub.acd.snapshotTask(String(c._id)))) await hub.acd.send({ type: 'arrive', task: hub.acdBridge.taskFor(c) });
  };

  app.get('/api/acd/me', async (req) => {
    const u = await agentish(req);
    const a = await hub.acd.snapshotAgent(u.id);
    const tasks = await hub.acd.offersTo(u.id);
    const convs = await findByIds<ConversationDoc>(hub.m.Conversation, tasks.map((t) => t.id));
    return {
      agent: a ? agentView(a) : null,
      offers: tasks.flatMap((t) => {
        const c = convs.find((x) => String(x._id) === t.id);
        return c ? [{ conversation: conversationView(c), deadline: new Date(t.offerDeadline ?? Date.now()).toISOString() }] : [];
      }),
    };
  });

  app.post('/api/acd/me/state', async (req) => {
    const u = await agentish(req);
    const body = parseBody(OwnStateBody, req.body);
    const p = await hub.acdBridge.profile(u.id);
    if (p) await hub.acd.send({ type: 'agent.profile', profile: { id: p.id, name: p.name, skills: p.skills, capacity: p.capacity } });
    await hub.acd.request({ type: 'agent.state', agentId: u.id, state: body.state, reason: body.reason });
    await hub.audit.record(actor(u), 'agent.state', { type: 'user', id: u.id }, body, req.ip);
    const a = await hub.acd.snapshotAgent(u.id);
    return { agent: a ? agentView(a) : null };
  });

  app.post('/api/acd/me/wrapup-end', async (req) => {
    const u = await agentish(req);
    await hub.acd.request({ type: 'wrapup.end', agentId: u.id });
    const a = await hub.acd.snapshotAgent(u.id);
    return { agent: a ? agentView(a) : null };
  });

  app.post('/api/acd/offers/:id/accept', async (req) => {
    const u = await agentish(req);
    const id = convId(req.params);
    await hub.acd.request({ type: 'accept', taskId: id, agentId: u.id });
    // Accepted from the console: it has it on screen.
    await hub.acdBridge.acked(u.id, [id]);
    await hub.audit.record(actor(u), 'offer.accept', { type: 'conversation', id }, undefined, req.ip);
    return { conversation: conversationView(await loadConv(id)) };
  });

  app.post('/api/acd/offers/:id/reject', async (req) => {
    const u = await agentish(req);
    const id = convId(req.params);
    await hub.acd.request({ type: 'reject', taskId: id, agentId: u.id });
    await hub.audit.record(actor(u), 'offer.reject', { type: 'conversation', id }, undefined, req.ip);
    return { ok: true };
  });

  app.get('/api/acd/overview', async (req) => {
    await lead(req);
    // Definitions as routing reads them (hub/acd/bridge.ts), labels from the stored queues.
    const [{ agents, tasks }, queues, rows] = await Promise.all([hub.acd.snapshot(), hub.acdBridge.listedQueues(), hub.m.Queue.find({}, { label: 1 }).lean()]);
    const now = Date.now();
    const users = await hub.m.User.find({ role: { $in: ['agent', 'supervisor', 'admin'] }, active: true }, { name: 1, role: 1, queues: 1 }).lean();
    const day = new Date().toISOString().slice(0, 10);
    const sl = await Promise.all(queues.map((q) => hub.redis.hgetall(slKey(hub.config.redisPrefix, q.id, day))));
    const byQueue = new Map<string, typeof tasks>();
    for (const t of tasks) {
      if (t.state !== 'waiting' && t.state !== 'offered') continue;
      const list = byQueue.get(t.queue) ?? [];
      list.push(t);
      byQueue.set(t.queue, list);
    }
    return {
      queues: queues.map((def, qi) => {
        const answered = Number(sl[qi].answered ?? 0);
        const waiting = (byQueue.get(def.id) ?? []).filter((t) => t.state === 'waiting');
        const members = agents.filter((a) => a.skills[`q:${def.id}`]);
        return {
          id: def.id,
          label: rows.find((r) => String(r._id) === def.id)?.label ?? {},
          // Within its business hours now (outside them, new contacts take the after-hours action).
          open: isOpen(def.hours, now),
          // Disabled: takes no new contacts (what waits in it is still served).
          ...(def.disabled ? { disabled: true } : {}),
          waiting: waiting.length,
          ringing: (byQueue.get(def.id) ?? []).length - waiting.length,
          oldestWaitSec: waiting.length ? Math.round((now - Math.min(...waiting.map((t) => t.enqueuedAt))) / 1000) : 0,
          agentsAvailable: members.filter((a) => a.state === 'available').length,
          agentsSignedIn: members.filter((a) => a.state !== 'offline').length,
          // Today (UTC): answered contacts, the share answered within the target, average speed of answer.
          answeredToday: answered,
          serviceLevel: { target: def.serviceLevel, pct: answered ? Math.round((100 * Number(sl[qi].withinTarget ?? 0)) / answered) : null },
          asaSec: answered ? Math.round(Number(sl[qi].waitMs ?? 0) / answered / 1000) : null,
        };
      }),
      agents: users.map((u) => {
        const a = agents.find((x) => x.id === String(u._id));
        return a ? { ...agentView(a), role: u.role } : { id: String(u._id), name: u.name, role: u.role, state: 'offline', display: 'offline', load: {}, capacity: {}, since: null };
      }),
      waiting: tasks
        .filter((t) => t.state === 'waiting')
        .sort((a, b) => b.priority - a.priority || a.enqueuedAt - b.enqueuedAt)
        .slice(0, 200)
        .map((t) => ({ conversationId: t.id, queue: t.queue, channel: t.channel, priority: t.priority, waitSec: Math.round((now - t.enqueuedAt) / 1000) })),
      updatedAt: new Date().toISOString(),
    };
  });

  app.post('/api/acd/conversations/:id/reassign', async (req) => {
    const u = await lead(req);
    const id = convId(req.params);
    const body = parseBody(ReassignBody, req.body);
    const c = await loadConv(id);
    // Only someone with an inbox can be given a customer: never a marketing user (nor a disabled account).
    const target = await hub.m.User.findOne({ _id: body.agentId, active: true }, { role: 1 }).lean();
    if (!target) throw notFound('agent');
    if (target.role === 'marketing') throw badRequest('a marketing user has no inbox and cannot be given a conversation', 'invalid_target');
    await hub.acdBridge.ensureAgent(body.agentId);
    await ensureTask(c);
    await hub.acd.request({ type: 'reassign', taskId: id, agentId: body.agentId, force: body.force });
    await hub.audit.record(actor(u), 'conversation.reassign', { type: 'conversation', id }, { to: body.agentId, from: c.assigneeId ?? null, force: !!body.force }, req.ip);
    return { conversation: conversationView(await loadConv(id)) };
  });

  app.post('/api/acd/conversations/:id/takeover', async (req) => {
    const u = await lead(req);
    const id = convId(req.params);
    const c = await loadConv(id);
    await hub.acdBridge.ensureAgent(u.id);
    await ensureTask(c);
    await hub.acd.request({ type: 'reassign', taskId: id, agentId: u.id, force: true });
    await hub.audit.record(actor(u), 'conversation.takeover', { type: 'conversation', id }, { from: c.assigneeId ?? null }, req.ip);
    return { conversation: conversationView(await loadConv(id)) };
  });

  app.post('/api/acd/conversations/:id/move', async (req) => {
    const u = await lead(req);
    const id = convId(req.params);
    const body = parseBody(MoveBody, req.body);
    const c = await loadConv(id);
    const target = await hub.m.Queue.findById(body.queue, { disabled: 1, deleted: 1 }).lean();
    if (!target || target.deleted) throw notFound('queue');
    if (target.disabled) throw conflict('queue_disabled', `the queue ${body.queue} is disabled: it takes no new contacts`);
    await ensureTask(c);
    await hub.acd.request({ type: 'move', taskId: id, queue: body.queue });
    await hub.audit.record(actor(u), 'conversation.move', { type: 'conversation', id }, { from: c.queue, to: body.queue }, req.ip);
    return { conversation: conversationView(await loadConv(id)) };
  });

  app.post('/api/acd/conversations/:id/priority', async (req) => {
    const u = await lead(req);
    const id = convId(req.params);
    const body = parseBody(PriorityBody, req.body);
    const c = await loadConv(id);
    await ensureTask(c);
    await hub.acd.request({ type: 'priority', taskId: id, priority: body.priority });
    await hub.m.Conversation.updateOne({ _id: c._id }, { $set: { priority: body.priority, updatedAt: new Date() } });
    await hub.audit.record(actor(u), 'conversation.priority', { type: 'conversation', id }, { from: c.priority, to: body.priority }, req.ip);
    const after = (await loadConv(id)) as ConversationDoc;
    hub.events.conversationUpdated(after);
    return { conversation: conversationView(after) };
  });

  app.post('/api/acd/agents/:id/state', async (req) => {
    const u = await lead(req);
    const agentId = (req.params as { id?: string }).id ?? '';
    if (!/^[0-9a-f]{24}$/.test(agentId)) throw badRequest('agent id is not valid');
    const body = parseBody(StateBody, req.body);
    const target = await hub.m.User.findById(agentId, { role: 1 }).lean();
    if (!target) throw notFound('agent');
    if (target.role === 'marketing') throw badRequest('a marketing user takes no contacts', 'invalid_target');
    await hub.acdBridge.ensureAgent(agentId);
    await hub.acd.request({ type: 'agent.state', agentId, state: body.state, reason: body.reason ?? (body.state === 'notready' ? 'supervisor' : undefined) });
    await hub.audit.record(actor(u), 'agent.force_state', { type: 'user', id: agentId }, body, req.ip);
    const a = await hub.acd.snapshotAgent(agentId);
    return { agent: a ? agentView(a) : null };
  });
}
