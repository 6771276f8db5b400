/**
 * Administration: users (accounts, roles, routing profile), teams (default capacity per channel) and
 * queues (required skills, strategy, service level, business hours, after-hours action, overflow,
 * relaxation, stickiness). Admins only; every change is validated at the edge, audited, and reaches
 * routing at once (a new profile, a queue reload) and the affected consoles (rooms, sign-out).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { AppError, badRequest, conflict, isDuplicateKey, notFound } from '../../lib/errors.js';
import { hashPassword } from '../auth/password.js';
import { dropSockets } from '../auth/sessions.js';
import { CHANNELS, LIVE_STATUSES, ROLES } from '../models/types.js';
import { DEFAULT_CAPACITY, queueDef, skillLevels, storableRouting } from '../acd/bridge.js';
import type { QueueDef } from '../acd/types.js';
import { requireUser, type SessionUser } from './auth-routes.js';
import { parseBody } from '../../lib/validate.js';
import { registerAdminChannelRoutes } from './admin-channels.js';

const ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const SkillName = z.string().regex(/^[a-z][a-z0-9_.:-]{0,47}$/, 'a skill is lower-case letters, digits and _ . : - (up to 48)');
const Capacity = z.partialRecord(z.enum(CHANNELS), z.number().int().min(0).max(50));
const Skills = z.record(SkillName, z.number().int().min(1).max(10)).refine((r) => Object.keys(r).length <= 50, 'at most 50 skills');
const QueueId = z.string().regex(ID, 'a queue id is lower-case letters, digits, _ and - (up to 32)');
const TeamId = z.string().regex(ID, 'a team id is lower-case letters, digits, _ and - (up to 32)');

const UserCreate = z
  .object({
    username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, 'a username is 3-64 letters, digits, . _ -'),
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    password: z.string().min(10, 'a password has at least 10 characters').max(256),
    queues: z.array(QueueId).max(50).default(['general']),
    skills: Skills.default({}),
    capacity: Capacity.default({}),
    team: TeamId.nullable().default(null),
    locale: z.enum(['en', 'zh']).default('zh'),
  })
  .strict();
const UserPatch = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: z.enum(ROLES),
    password: z.string().min(10, 'a password has at least 10 characters').max(256),
    active: z.boolean(),
    queues: z.array(QueueId).max(50),
    skills: Skills,
    capacity: Capacity,
    team: TeamId.nullable(),
    locale: z.enum(['en', 'zh']),
  })
  .partial()
  .strict();

const TeamBody = z.object({ name: z.string().trim().min(1).max(100), capacity: Capacity.default({}) }).strict();

const HHMM = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time is HH:MM, 00:00-24:00');
const Interval = z.tuple([HHMM, HHMM]).refine(([a, b]) => a < b, 'an interval ends after it starts');
const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not a known IANA time zone');
const QueueBody = z
  .object({
    label: z.object({ en: z.string().trim().max(100).optional(), zh: z.string().trim().max(100).optional() }).strict().default({}),
    skills: Skills.default({}),
    strategy: z.enum(['longest-idle', 'least-occupied', 'most-skilled', 'round-robin']).default('longest-idle'),
    serviceLevel: z.object({ pct: z.number().int().min(1).max(100), seconds: z.number().int().min(1).max(3600) }).strict().default({ pct: 80, seconds: 20 }),
    autoAccept: z.array(z.enum(['webchat', 'email', 'sms', 'fax'])).max(4).default(['webchat', 'email', 'sms', 'fax']),
    offerTimeoutSec: z.number().int().min(5).max(300).default(20),
    wrapUpSec: z.number().int().min(0).max(3600).default(30),
    relax: z.array(z.object({ afterSec: z.number().int().min(1).max(86_400), minProficiency: z.number().int().min(1).max(10) }).strict()).max(10).default([]),
    overflow: z.object({ afterSec: z.number().int().min(1).max(86_400), queue: QueueId }).strict().nullable().default(null),
    stickySec: z.number().int().min(0).max(3600).default(30),
    hours: z
      .object({ tz: TimeZone, week: z.partialRecord(z.enum(['0', '1', '2', '3', '4', '5', '6']), z.array(Interval).max(6)) })
      .strict()
      .nullable()
      .default(null),
    afterHours: z.discriminatedUnion('action', [z.object({ action: z.literal('offline') }).strict(), z.object({ action: z.literal('overflow'), queue: QueueId }).strict()]).default({ action: 'offline' }),
    defaultAhtSec: z.number().int().min(10).max(7200).default(180),
  })
  .strict();

export function registerAdminRoutes(app: FastifyInstance, hub: Hub): void {
  const admin = requireUser(hub, ['admin']);
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });
  const agents = hub.io.of('/agent');
  registerAdminChannelRoutes(app, hub);

  const userView = (u: Record<string, unknown>) => ({
    id: String(u._id),
    username: u.username,
    name: u.name,
    role: u.role,
    active: u.active !== false,
    queues: (u.queues as string[]) ?? [],
    skills: skillLevels(u),
    capacity: (u.capacity as Record<string, number>) ?? {},
    team: (u.team as string | null) ?? null,
    locale: u.locale,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  });
  const userId = (p: unknown): string => {
    const id = (p as { id?: string }).id ?? '';
    if (!OBJECT_ID.test(id)) throw badRequest('user id is not valid');
    return id;
  };
  const knownQueues = async () => new Set((await hub.acdBridge.listedQueues()).map((q) => q.id));
  /** A team or queue id from the URL. */
  const slug = (p: unknown, what: 'team' | 'queue'): string => {
    const id = (p as { id?: string }).id ?? '';
    if (!ID.test(id)) throw badRequest(`a ${what} id is lower-case letters, digits, _ and - (up to 32)`);
    return id;
  };
  const checkQueues = async (queues: string[] | undefined) => {
    if (!queues) return;
    const known = await knownQueues();
    const unknown = queues.filter((q) => !known.has(q));
    if (unknown.length) throw badRequest(`unknown queue(s): ${unknown.join(', ')}`, 'unknown_queue');
  };
  const checkTeam = async (team: string | null | undefined) => {
    if (team && !(await hub.m.Team.exists({ _id: team }))) throw badRequest(`unknown team: ${team}`, 'unknown_team');
  };
  /** Routing learns the new profile now (capacity, skills, queues); a disabled account is logged out of routing. */
  const syncRouting = async (id: string, active: boolean, role: string) => {
    if (!active || role === 'marketing') {
      if (await hub.acd.snapshotAgent(id)) await hub.acd.request({ type: 'agent.state', agentId: id, state: 'offline' });
      return;
    }
    await hub.acdBridge.ensureAgent(id);
  };

  // ---- users ------------------------------------------------------------------------------

  app.get('/api/admin/users', async (req) => {
    await admin(req);
    const rows = await hub.m.User.find({}, { passwordHash: 0 }).sort({ username: 1 }).lean();
    return { users: rows.map((u) => userView(u as never)) };
  });

  app.post('/api/admin/users', async (req, reply) => {
    const u = await admin(req);
    const body = parseBody(UserCreate, req.body);
    await checkQueues(body.queues);
    await checkTeam(body.team);
    let created;
    try {
      created = await hub.m.User.create({
        username: body.username,
        name: body.name,
        role: body.role,
        passwordHash: await hashPassword(body.password),
        queues: body.queues,
        skills: [],
        proficiency: body.skills,
        capacity: body.capacity,
        team: body.team,
        locale: body.locale,
      });
    } catch (e) {
      if (isDuplicateKey(e)) throw conflict('username_taken', `the username ${body.username} is taken`);
      throw e;
    }
    const id = String(created._id);
    await hub.audit.record(actor(u), 'user.create', { type: 'user', id }, { username: body.username, role: body.role, queues: body.queues, team: body.team }, req.ip);
    if (body.role !== 'marketing') await hub.acdBridge.ensureAgent(id);
    reply.code(201);
    return { user: userView(created.toObject() as never) };
  });

  app.patch('/api/admin/users/:id', async (req) => {
    const u = await admin(req);
    const id = userId(req.params);
    const body = parseBody(UserPatch, req.body);
    const before = await hub.m.User.findById(id).lean();
    if (!before) throw notFound('user');
    // An admin cannot lock themselves out (the last way back in would be the database).
    if (id === u.id && (body.active === false || (body.role && body.role !== 'admin'))) throw conflict('self_lockout', 'you cannot disable your own account or take away your own admin role');
    await checkQueues(body.queues);
    await checkTeam(body.team);
    const set: Record<string, unknown> = {};
    for (const k of ['name', 'role', 'active', 'queues', 'capacity', 'team', 'locale'] as const) if (body[k] !== undefined) set[k] = body[k];
    if (body.skills) Object.assign(set, { skills: [], proficiency: body.skills });
    if (body.password) set.passwordHash = await hashPassword(body.password);
    // A new role or password, or disabling, ends every session of the user: the token version moves in
    // the same write, so no request after it passes with an older token (and re-enabling revives none).
    // Queues are not in the token (every request reads them as stored) and open consoles move rooms below.
    const endSessions = (body.role !== undefined && body.role !== before.role) || body.password !== undefined || (body.active === false && before.active !== false);
    // Update, then read (the embedded store's findAndModify takes no projection).
    await hub.m.User.updateOne({ _id: id }, { $set: set, ...(endSessions ? { $inc: { tokenVersion: 1 } } : {}) });
    const after = await hub.m.User.findById(id, { passwordHash: 0 }).lean();
    if (!after) throw notFound('user');
    const changed = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === 'password' ? 'changed' : v]));
    await hub.audit.record(actor(u), 'user.update', { type: 'user', id }, changed, req.ip);

    const active = after.active !== false;
    await syncRouting(id, active, after.role);
    // The consoles of this user: a disabled account or a new role signs out (the console's next request
    // is refused); new queues move their sockets to the new queue rooms on every hub.
    if (endSessions || !active) dropSockets(hub, id);
    else if (body.queues) {
      const old = ((before.queues as string[]) ?? []).filter((q) => !body.queues!.includes(q));
      if (old.length) agents.in(`user:${id}`).socketsLeave(old.map((q) => `queue:${q}`));
      agents.in(`user:${id}`).socketsJoin(body.queues.map((q) => `queue:${q}`));
      // Their consoles read the user again (GET /api/me): the "My queues" list filters by the user's queues.
      agents.to(`user:${id}`).emit('user.updated', { userId: id, updatedAt: new Date().toISOString() });
    }
    return { user: userView(after as never) };
  });

  // ---- teams ------------------------------------------------------------------------------

  app.get('/api/admin/teams', async (req) => {
    await admin(req);
    const rows = await hub.m.Team.find().sort({ _id: 1 }).lean();
    return { teams: rows.map((t) => ({ id: String(t._id), name: t.name, capacity: t.capacity ?? {} })), defaults: DEFAULT_CAPACITY };
  });

  app.put('/api/admin/teams/:id', async (req) => {
    const u = await admin(req);
    const id = slug(req.params, 'team');
    const body = parseBody(TeamBody, req.body);
    await hub.m.Team.updateOne({ _id: id }, { $set: { name: body.name, capacity: body.capacity } }, { upsert: true });
    await hub.audit.record(actor(u), 'team.update', { type: 'team', id }, body, req.ip);
    // Members whose own capacity does not say get the team's now.
    const members = await hub.m.User.find({ team: id, active: true, role: { $ne: 'marketing' } }, { _id: 1 }).lean();
    for (const m of members) await hub.acdBridge.ensureAgent(String(m._id));
    return { team: { id, name: body.name, capacity: body.capacity } };
  });

  app.delete('/api/admin/teams/:id', async (req) => {
    const u = await admin(req);
    const id = slug(req.params, 'team');
    const members = await hub.m.User.countDocuments({ team: id });
    if (members) throw conflict('team_in_use', `the team still has ${members} member(s): move them first`);
    const r = await hub.m.Team.deleteOne({ _id: id });
    if (!r.deletedCount) throw notFound('team');
    await hub.audit.record(actor(u), 'team.delete', { type: 'team', id }, {}, req.ip);
    return { ok: true };
  });

  // ---- queues -----------------------------------------------------------------------------

  app.get('/api/admin/queues', async (req) => {
    await admin(req);
    const rows = await hub.m.Queue.find().sort({ _id: 1 }).lean();
    const defs = await hub.acdBridge.listedQueues();
    return {
      queues: defs.map((d) => {
        const row = rows.find((r) => String(r._id) === d.id);
        return { id: d.id, label: row?.label ?? {}, disabled: d.disabled === true, definition: publicDef(d) };
      }),
    };
  });

  app.put('/api/admin/queues/:id', async (req) => {
    const u = await admin(req);
    const id = slug(req.params, 'queue');
    const body = parseBody(QueueBody, req.body);
    const known = await knownQueues();
    for (const target of [body.overflow?.queue, body.afterHours.action === 'overflow' ? body.afterHours.queue : undefined]) {
      if (target === undefined) continue;
      if (target === id) throw badRequest('a queue cannot overflow into itself', 'invalid_body');
      if (!known.has(target)) throw badRequest(`unknown queue: ${target}`, 'unknown_queue');
    }
    const { label, hours, overflow, ...rest } = body;
    const routing: Partial<QueueDef> = { ...rest, ...(hours ? { hours: hours as QueueDef['hours'] } : {}), ...(overflow ? { overflow } : {}) };
    // The disabled switch is not part of the definition (POST …/disable, …/enable keep it); a queue
    // defined again under a deleted one's id is a new queue: enabled.
    const prior = await hub.m.Queue.findById(id, { disabled: 1, deleted: 1 }).lean();
    const revived = prior?.deleted === true;
    await hub.m.Queue.updateOne({ _id: id }, { $set: { label, skills: [], routing: storableRouting(routing), ...(revived ? { deleted: false, disabled: false } : {}) } }, { upsert: true });
    await hub.audit.record(actor(u), 'queue.update', { type: 'queue', id }, { label, ...storableRouting(routing) }, req.ip);
    await reloadRouting(id);
    const disabled = !revived && prior?.disabled === true;
    return { queue: { id, label, disabled, definition: publicDef({ ...queueDef(id, [], routing), ...(disabled ? { disabled } : {}) }) } };
  });

  /**
   * The routing leader reloads its queues before the next command after this one. Without a leader
   * right now, the next one loads them when it takes over: the change is saved either way.
   */
  const reloadRouting = async (id: string) => {
    hub.acdBridge.queuesChanged();
    await hub.acd.request({ type: 'queues.reload' }).catch((e) => {
      if (!(e instanceof AppError && e.status === 503)) throw e;
      hub.log.warn({ queue: id }, 'queue saved; routing will load it when a leader is back');
    });
  };
  /** A listed queue by the id in the URL; `general` (where every diverted contact goes) is never switched off. */
  const listedQueue = async (params: unknown, action: string) => {
    const id = slug(params, 'queue');
    if (id === 'general') throw conflict('queue_required', `the general queue takes the contacts no other queue takes: it cannot be ${action}`);
    const row = await hub.m.Queue.findById(id).lean();
    if (!row || row.deleted) throw notFound('queue');
    return { id, row };
  };
  const queueAnswer = async (id: string) => {
    const d = (await hub.acdBridge.listedQueues()).find((q) => q.id === id);
    const row = await hub.m.Queue.findById(id, { label: 1 }).lean();
    return { queue: { id, label: row?.label ?? {}, disabled: d?.disabled === true, definition: d ? publicDef(d) : null } };
  };

  for (const [path, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/api/admin/queues/:id/${path}`, async (req) => {
      const u = await admin(req);
      const { id, row } = await listedQueue(req.params, `${path}d`);
      if ((row.disabled === true) !== disabled) {
        await hub.m.Queue.updateOne({ _id: id }, { $set: { disabled } });
        await hub.audit.record(actor(u), `queue.${path}`, { type: 'queue', id }, {}, req.ip);
        await reloadRouting(id);
      }
      return queueAnswer(id);
    });
  }

  app.delete('/api/admin/queues/:id', async (req) => {
    const u = await admin(req);
    const { id } = await listedQueue(req.params, 'deleted');
    // Counted from the records: a contact in it now would be stranded with no members left to serve it.
    const live = await hub.m.Conversation.countDocuments({ queue: id, status: { $in: LIVE_STATUSES } });
    if (live) throw conflict('queue_not_empty', `${live} live conversation(s) are in the queue ${id}: move or resolve them first (disabling it stops new ones)`);
    const referring = (await hub.acdBridge.listedQueues())
      .filter((d) => d.id !== id && (d.overflow?.queue === id || (d.afterHours.action === 'overflow' && d.afterHours.queue === id)))
      .map((d) => d.id);
    if (referring.length) throw conflict('queue_in_use', `the queue(s) ${referring.join(', ')} overflow into ${id}: change them first`);
    // A tombstone, not a removal: what is still addressed to it (a channel's default queue, an IVR node,
    // a reopened conversation, an arrival on its way now) is diverted by routing (Router.entry/evacuate).
    await hub.m.Queue.updateOne({ _id: id }, { $set: { deleted: true, disabled: true } });
    // Its members lose it: their consoles leave its room and read their queues again.
    const members = await hub.m.User.find({ queues: id }, { _id: 1, queues: 1, active: 1, role: 1 }).lean();
    for (const m of members) {
      const mid = String(m._id);
      await hub.m.User.updateOne({ _id: m._id }, { $set: { queues: ((m.queues as string[]) ?? []).filter((q) => q !== id) } });
      if (m.active !== false && m.role !== 'marketing') await hub.acdBridge.ensureAgent(mid);
      agents.in(`user:${mid}`).socketsLeave(`queue:${id}`);
      agents.to(`user:${mid}`).emit('user.updated', { userId: mid, updatedAt: new Date().toISOString() });
    }
    await hub.audit.record(actor(u), 'queue.delete', { type: 'queue', id }, { members: members.length }, req.ip);
    await reloadRouting(id);
    return { ok: true };
  });
}

/** A queue's definition as admins edit it: queue membership (a routing skill of its own) left out. */
function publicDef(d: QueueDef) {
  const skills = Object.fromEntries(Object.entries(d.skills).filter(([k]) => !k.startsWith('q:')));
  return { ...d, skills, overflow: d.overflow ?? null, hours: d.hours ?? null };
}
