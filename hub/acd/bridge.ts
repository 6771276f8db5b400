/**
 * Binds the ACD to the rest of the hub: conversations become routing tasks, routing decisions become
 * conversation updates and console/customer events, agents' console sessions become routing states.
 */
import { Types } from 'mongoose';
import { bulkWriteChunked } from '../bulk.js';
import { findByIds } from '../by-ids.js';
import type { Hub } from '../hub.js';
import type { ConversationDoc } from '../models/conversation.js';
import { LIVE_STATUSES, isLive, type Channel } from '../models/types.js';
import { conversationView } from '../views.js';
import type { Router } from './router.js';
import { AssignmentAcks } from './acks.js';
import { Announcer } from './announce.js';
import { Healer } from './heal.js';
import { readLive, Takeover } from './takeover.js';
import type { AgentProfile, AgentSnapshot, Decision, QueueDef, TaskInput } from './types.js';

const QUEUE_CACHE_MS = 10_000;
/** The sweep corrects records and views only where routing's last change is older than this. */
const SETTLE_MS = 5_000;

export const DEFAULT_CAPACITY: Partial<Record<Channel, number>> = { voice: 1, webchat: 3, email: 5, sms: 3, fax: 2 };

/** Queue membership is a routing skill, so agents only get contacts of queues they belong to. */
const member = (queue: string) => `q:${queue}`;

export function queueDef(id: string, skills: string[], routing: Partial<QueueDef> = {}): QueueDef {
  return {
    id,
    strategy: 'longest-idle',
    serviceLevel: { pct: 80, seconds: 20 },
    autoAccept: ['webchat', 'email', 'sms', 'fax'],
    offerTimeoutSec: 20,
    wrapUpSec: 30,
    relax: [],
    stickySec: 30,
    afterHours: { action: 'offline' },
    defaultAhtSec: 180,
    ...routing,
    skills: { ...Object.fromEntries(skills.map((s) => [s, 1])), ...(routing.skills ?? {}), [member(id)]: 1 },
  };
}

/**
 * A queue's routing settings as stored: business hours' intervals as "HH:MM-HH:MM" strings, because
 * the embedded store (FerretDB 1.x) cannot hold nested arrays; routingFromStore() turns them back.
 */
export function storableRouting(r: Partial<QueueDef>): Record<string, unknown> {
  if (!r.hours) return r;
  const week = Object.fromEntries(Object.entries(r.hours.week).map(([day, spans]) => [day, (spans ?? []).map(([a, b]) => `${a}-${b}`)]));
  return { ...r, hours: { tz: r.hours.tz, week } };
}

function routingFromStore(r: Record<string, unknown>): Partial<QueueDef> {
  const hours = r.hours as { tz: string; week: Record<string, (string | [string, string])[]> } | undefined;
  if (!hours) return r as Partial<QueueDef>;
  const week = Object.fromEntries(Object.entries(hours.week ?? {}).map(([day, spans]) => [day, spans.map((x) => (typeof x === 'string' ? (x.split('-') as [string, string]) : x))]));
  return { ...r, hours: { tz: hours.tz, week } } as Partial<QueueDef>;
}

/** A user's routing skills with their proficiency: skills listed without a level count as 5. */
export function skillLevels(u: { skills?: unknown; proficiency?: unknown }): Record<string, number> {
  return { ...Object.fromEntries(((u.skills as string[]) ?? []).map((s) => [s, 5])), ...((u.proficiency as Record<string, number>) ?? {}) };
}

/** Customers whose widget (re)connected and want their queue position again (ConnectorRouting.refreshQueuePosition). */
export const positionRefreshKey = (prefix: string) => `${prefix}:{acd}:position-refresh`;

export { slKey } from './store.js';

export function agentView(a: AgentSnapshot) {
  const full = a.state === 'available' && Object.entries(a.capacity).every(([ch, c]) => (a.load[ch as Channel] ?? 0) >= (c ?? 0));
  return {
    id: a.id,
    name: a.name,
    state: a.state,
    display: full || (a.load.voice ?? 0) > 0 ? 'busy' : a.state,
    reason: a.reason,
    since: new Date(a.stateSince).toISOString(),
    load: a.load,
    capacity: a.capacity,
    wrapUntil: a.wrapUntil ? new Date(a.wrapUntil).toISOString() : undefined,
    updatedAt: new Date().toISOString(),
  };
}

export class AcdBridge {
  private logoutTimers = new Map<string, NodeJS.Timeout>();
  private lastPosition = new Map<string, string>();
  private ticks = 0;
  private sweeping = false;
  /** Agents the sweep found logged in to routing with no console, since when. */
  private absentSince = new Map<string, number>();
  private queueCache: { at: number; defs: QueueDef[] } | null = null;

  /** Records → views → consoles, the one way routing state is shown (announce.ts). */
  readonly announcer: Announcer;
  private healer: Healer;
  /** What a new leader does with what it inherits; `takeover.last` reports how long it took. */
  readonly takeover: Takeover;

  constructor(private readonly hub: Hub) {
    this.announcer = new Announcer(hub, new AssignmentAcks(hub.redis, hub.config.redisPrefix));
    this.healer = new Healer(hub, this.announcer);
    this.takeover = new Takeover(hub, this.announcer, (c) => this.taskFor(c));
  }

  /** An agent's console holds these conversations (it said so), or the agent acted on them. */
  async acked(userId: string, ids: string[]): Promise<void> {
    await this.announcer.acks.ack(userId, ids);
  }

  /** The queue definitions as read at most QUEUE_CACHE_MS ago (for frequent public readers: the widget's status). */
  async queuesCached(): Promise<QueueDef[]> {
    if (!this.queueCache || Date.now() - this.queueCache.at > QUEUE_CACHE_MS) this.queueCache = { at: Date.now(), defs: await this.queues() };
    return this.queueCache.defs;
  }

  /** A queue was changed here: the next queuesCached() reads them again (other hubs within QUEUE_CACHE_MS). */
  queuesChanged(): void {
    this.queueCache = null;
  }

  async queues(): Promise<QueueDef[]> {
    const rows = await this.hub.m.Queue.find().lean();
    const defs = rows.map((q) => {
      const d = queueDef(String(q._id), (q.skills as string[]) ?? [], routingFromStore((q.routing as Record<string, unknown>) ?? {}));
      // A deleted queue stays known to routing, disabled, so contacts still addressed to it are diverted.
      if (q.disabled || q.deleted) d.disabled = true;
      if (q.deleted) d.deleted = true;
      return d;
    });
    if (!defs.some((d) => d.id === 'general')) defs.push(queueDef('general', []));
    return defs;
  }

  /** The queues people see and pick (every list, picker and check): the deleted ones left out. */
  async listedQueues(): Promise<QueueDef[]> {
    return (await this.queues()).filter((d) => !d.deleted);
  }

  taskFor(c: ConversationDoc, preferredAgentId?: string | null): TaskInput {
    return {
      id: String(c._id),
      queue: c.queue,
      channel: c.channel,
      priority: c.priority ?? 0,
      preferredAgentId: preferredAgentId ?? undefined,
      enqueuedAt: new Date(c.queuedAt ?? c.createdAt).getTime(),
    };
  }

  /** A new conversation: route it, preferring the customer's last agent (sticky). */
  async conversationOpened(c: ConversationDoc): Promise<void> {
    // The view holds its summary before routing can decide on it: the assignment is then shown from
    // the view at once (announce.ts early()), not only once its record is written.
    const [customer] = await Promise.all([this.hub.m.Customer.findById(c.customerId, { lastAgentId: 1, accountManagerId: 1 }).lean(), this.hub.inbox.upsert(c)]);
    await this.hub.acd.send({ type: 'arrive', task: this.taskFor(c, customer?.accountManagerId ?? customer?.lastAgentId) });
  }

  async profile(userId: string): Promise<(AgentProfile & { role: string }) | null> {
    const u = await this.hub.m.User.findById(userId).lean();
    if (!u || !u.active || u.role === 'marketing') return null;
    const skills = skillLevels(u);
    for (const q of (u.queues as string[]) ?? []) skills[member(q)] = 10;
    // Capacity per channel: the agent's own, else the team's, else the default.
    const team = u.team ? await this.hub.m.Team.findById(u.team, { capacity: 1 }).lean() : null;
    const capacity = { ...DEFAULT_CAPACITY, ...((team?.capacity as Record<string, number>) ?? {}), ...((u.capacity as Record<string, number>) ?? {}) };
    return { id: String(u._id), role: u.role, name: u.name, skills, capacity };
  }

  /** An agent opened the console: known to routing, and ready for work if they were logged out. */
  async agentConnected(userId: string): Promise<void> {
    clearTimeout(this.logoutTimers.get(userId));
    this.logoutTimers.delete(userId);
    const p = await this.profile(userId);
    if (!p) return;
    const { role, ...profile } = p;
    await this.hub.acd.send({ type: 'agent.profile', profile });
    // Supervisors and admins are known to routing (they can take over) but never routed to unasked.
    if (role !== 'agent') return;
    const snap = (await this.hub.acd.snapshotAgent(userId)) ?? undefined;
    if (!snap || snap.state === 'offline') await this.hub.acd.send({ type: 'agent.state', agentId: userId, state: 'available' });
  }

  /** Make sure routing knows an agent (profile only; the state is left as it is). */
  async ensureAgent(userId: string): Promise<void> {
    const p = await this.profile(userId);
    if (!p) return;
    const { role: _role, ...profile } = p;
    await this.hub.acd.send({ type: 'agent.profile', profile });
  }

  /** Whether the user has a console socket open on any hub (every hub is asked). */
  private async consoleOpen(userId: string): Promise<boolean> {
    return (await this.hub.io.of('/agent').in(`user:${userId}`).fetchSockets()).length > 0;
  }

  agentDisconnected(userId: string): void {
    clearTimeout(this.logoutTimers.get(userId));
    const t = setTimeout(() => {
      this.logoutTimers.delete(userId);
      void this.consoleOpen(userId)
        .then((open) => (open ? undefined : this.hub.acd.send({ type: 'agent.state', agentId: userId, state: 'offline' })))
        .catch(() => undefined);
    }, this.hub.config.acd.logoutGraceSeconds * 1000);
    t.unref();
    this.logoutTimers.set(userId, t);
  }

  /** Routing decisions are stored: the consoles and lists hear them now, before the records are written (announce.ts). */
  async stored(decisions: Decision[], router: Router): Promise<void> {
    await this.announcer.early(decisions, router, new Date()).catch((e) => this.hub.log.warn({ err: e }, 'early announcement failed (the record path announces it)'));
  }

  /** Routing decisions are stored; now update the conversations and tell the consoles and customers. */
  async applied(decisions: Decision[], router: Router): Promise<void> {
    try {
      const now = new Date();
      const ops: Parameters<Hub['m']['Conversation']['bulkWrite']>[0] = [];
      const touched = new Map<string, string | undefined>();
      for (const d of decisions) {
        if (d.kind === 'assign') {
          const name = router.getAgent(d.agentId)?.name ?? '';
          ops.push({ updateOne: { filter: { _id: new Types.ObjectId(d.taskId), status: { $in: LIVE_STATUSES } }, update: { $set: { assigneeId: d.agentId, assigneeName: name, status: 'assigned', assignedAt: now, updatedAt: now } } } });
          touched.set(d.taskId, d.previousAgentId);
        } else if (d.kind === 'requeue') {
          ops.push({ updateOne: { filter: { _id: new Types.ObjectId(d.taskId), status: { $in: LIVE_STATUSES } }, update: { $set: { status: 'queued', assigneeId: null, assigneeName: null, queue: d.queue, updatedAt: now } } } });
          touched.set(d.taskId, d.fromAgentId);
          if (d.fromAgentId && (d.reason === 'rona' || d.reason === 'rejected')) this.hub.agents.emit([`user:${d.fromAgentId}`], 'offer.withdrawn', { conversationId: d.taskId, reason: d.reason, updatedAt: now.toISOString() });
        } else if (d.kind === 'offline') {
          ops.push({ updateOne: { filter: { _id: new Types.ObjectId(d.taskId), status: { $in: LIVE_STATUSES } }, update: { $set: { status: 'pending', updatedAt: now }, $addToSet: { tags: 'after-hours' } } } });
          touched.set(d.taskId, undefined);
        } else if (d.kind === 'agent') {
          const a = router.getAgent(d.agentId);
          if (a) this.hub.agents.emit([`user:${d.agentId}`, 'role:supervisor', 'role:admin'], 'agent.state', { agent: agentView(a), updatedAt: now.toISOString() });
        }
      }
      await this.recordStates(decisions, now);
      if (ops.length) await bulkWriteChunked(this.hub.m.Conversation.collection, ops as never);
      const offers = decisions.filter((d): d is Extract<Decision, { kind: 'offer' }> => d.kind === 'offer');
      const ids = [...new Set([...touched.keys(), ...offers.map((o) => o.taskId)])];
      if (!ids.length) return;
      const convs = await findByIds<ConversationDoc>(this.hub.m.Conversation, ids);
      const byId = new Map(convs.map((c) => [String(c._id), c]));
      // Routed, but its conversation is gone or resolved (resolved while its arrival was on its way): let the task go.
      for (const id of ids) {
        const c = byId.get(id);
        if (!c || !isLive(c.status)) {
          if (router.getTask(id)) void this.hub.acd.send({ type: 'release', taskId: id }).catch((e) => this.hub.log.warn({ err: e }, 'release of a closed conversation failed'));
        }
      }
      await this.announcer.announce([...touched.keys()].flatMap((id) => byId.get(id) ?? []), router, 0, touched);
      for (const o of offers) {
        const c = byId.get(o.taskId);
        if (c && isLive(c.status)) this.hub.agents.emit([`user:${o.agentId}`], 'offer.created', { conversation: conversationView(c), deadline: new Date(o.deadline).toISOString(), updatedAt: now.toISOString() });
      }
    } catch (e) {
      this.hub.log.error({ err: e }, 'applying routing decisions failed (reconciled at the next leader change)');
    }
  }

  /** Agent state changes in MongoDB (the service-level counters are written with the routing state: store.ts). */
  private async recordStates(decisions: Decision[], now: Date): Promise<void> {
    const states = decisions.filter((d): d is Extract<Decision, { kind: 'agent' }> => d.kind === 'agent');
    if (states.length) await this.hub.m.AgentState.insertMany(states.map((s) => ({ agentId: s.agentId, state: s.state, reason: s.reason, at: now })));
  }

  /**
   * A new leader: every assignment it inherits is announced at once from routing state, and the
   * records are reconciled with routing behind it while routing goes on (takeover.ts).
   */
  async reconcile(router: Router): Promise<void> {
    this.sweeping = true;
    await this.takeover.run(router);
    // The sweep waits for the reconcile: both would correct the same records.
    void this.takeover.done.finally(() => (this.sweeping = false));
  }

  /** Every second while leader; every 5 s tell waiting chat customers their position and estimated wait when it changed. */
  periodic(router: Router): void {
    ++this.ticks;
    this.healer.watchAcks(router);
    if (this.ticks % this.hub.config.acd.orphanSweepSeconds === 0 && !this.sweeping) {
      this.sweeping = true;
      void this.sweepOrphans(router)
        .catch((e) => this.hub.log.warn({ err: e }, 'orphan sweep failed'))
        .finally(() => (this.sweeping = false));
    }
    if (this.ticks % 5) return;
    void this.pushPositions(router).catch((e) => this.hub.log.warn({ err: e }, 'queue position update failed'));
  }

  /**
   * Heal what a process that died half-way left behind, without waiting for a leadership change (the
   * leader's own reconcile only runs then), every acd.orphanSweepSeconds:
   * - queued conversations routing never heard of (the process that opened them died before sending
   *   their arrival): the arrival is sent again (arrive is idempotent); one resolved meanwhile is let
   *   go by applied();
   * - tasks routing still holds whose conversation is no longer live (the process that resolved it
   *   died before sending the release): released, so the agent's slot is not held for good;
   * - agents routing counts as logged in whose console is open on no hub (the hub they were on died,
   *   so its logout timer died with it, and they did not come back): logged out, so nothing is routed
   *   to nobody and what they held goes back to the queue. Presence (a Redis set each hub refreshes)
   *   names the candidates; each is confirmed by asking every hub for its sockets.
   * Reads only equalities on `status` (which the store pushes down), one per live status, and each
   * task not seen live once more by id.
   */
  private async sweepOrphans(router: Router): Promise<void> {
    const { orphanGraceSeconds } = this.hub.config.acd;
    const before = Date.now() - orphanGraceSeconds * 1000;
    const known = new Set(router.queueIds());
    // Tasks first: a conversation is stored before its arrival is sent, so every task taken here has a
    // conversation the queries below see, unless it is no longer live.
    const held = router.allTasks().map((t) => t.id);
    const live = new Set<string>();
    const liveRows = await readLive(this.hub, async (c) => {
      live.add(String(c._id));
      if (c.status !== 'queued' || router.getTask(String(c._id)) || !known.has(c.queue)) return;
      if (new Date(c.queuedAt ?? c.createdAt).getTime() > before) return;
      this.hub.log.warn({ conversationId: String(c._id), queue: c.queue }, 'queued conversation unknown to routing: its arrival is sent again');
      await this.conversationOpened(c);
    });
    await this.sweepGhostAgents(router, before);
    // Decisions of the last few seconds may still have their record writes on the way: left to those.
    await this.healer.sweep(router, liveRows, Math.min(before, Date.now() - SETTLE_MS));
    for (const id of held) {
      if (live.has(id) || !router.getTask(id)) continue;
      // Not seen live, but it may have moved between two of the reads above (assigned → queued): ask once more.
      const c = await this.hub.m.Conversation.findById(id, { status: 1 }).lean();
      if (c && isLive(c.status)) continue;
      this.hub.log.warn({ conversationId: id }, 'routing holds a conversation that is no longer live: released');
      await this.hub.acd.send({ type: 'release', taskId: id });
    }
  }

  private async sweepGhostAgents(router: Router, before: number): Promise<void> {
    const online = await this.hub.presence.online();
    const now = Date.now();
    const grace = this.hub.config.acd.logoutGraceSeconds * 1000;
    for (const a of router.allAgents()) {
      if (a.state === 'offline' || online.has(a.id) || a.stateSince > before) {
        this.absentSince.delete(a.id);
        continue;
      }
      // Absent for the logout grace, as a closed console is (a network blip must not cost their chats).
      const since = this.absentSince.get(a.id);
      if (since === undefined) this.absentSince.set(a.id, now);
      if (since === undefined || now - since < grace) continue;
      this.absentSince.delete(a.id);
      if (await this.consoleOpen(a.id)) continue;
      this.hub.log.warn({ agentId: a.id, state: a.state }, 'agent logged in to routing with no console open on any hub: logged out');
      await this.hub.acd.send({ type: 'agent.state', agentId: a.id, state: 'offline' });
    }
  }

  private async pushPositions(router: Router): Promise<void> {
    const now = Date.now();
    // Only channels whose connector shows customers their place (web chat).
    const waiting = router.allTasks().filter((t) => t.state === 'waiting' && this.hub.connectors.has(t.channel, 'queuePosition'));
    const targets = await this.hub.targetsOf(waiting.map((t) => t.id));
    // Only what changed, plus every customer whose widget (re)connected since the last pass.
    const refresh = new Set((await this.hub.redis.spop(positionRefreshKey(this.hub.config.redisPrefix), 10_000)) as string[]);
    for (const t of waiting) {
      const target = targets.get(t.id);
      if (!target) continue;
      const position = router.position(t.id);
      const ewtSec = router.estimatedWaitSec(t.id, now);
      const key = `${position}:${ewtSec}`;
      if (this.lastPosition.get(t.id) === key && !refresh.has(target.customerId)) continue;
      this.lastPosition.set(t.id, key);
      this.hub.connectors.hook(target, 'queuePosition', position, ewtSec);
    }
    if (this.lastPosition.size > 50_000) this.lastPosition.clear();
  }
}
