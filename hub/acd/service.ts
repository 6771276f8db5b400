/**
 * The ACD across hub processes. Any process publishes commands (arrivals, agent states, accepts,
 * supervisor moves) to one Redis stream; the one process holding the leader lease consumes the stream
 * in order, decides in memory (router.ts), persists the changes fenced by its lease (store.ts), and
 * only then announces them: conversation documents, consoles, customers. When the leader dies its
 * lease expires (acd.leaseSeconds) and another process rebuilds the router from Redis, announces what
 * it inherits and goes on from the stored stream cursor (reconciling with the records behind it:
 * takeover.ts), so nothing is lost or assigned twice.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.js';
import { logRedisErrors } from '../redis-errors.js';
import { Router } from './router.js';
import { AcdStore, type Answered } from './store.js';
import { RoutingError, type AgentSnapshot, type Decision, type QueueDef, type TaskSnapshot } from './types.js';
import type { AcdCommand, AcdReply, Envelope } from './events.js';

/** The default lease (acd.leaseSeconds): a dead leader is replaced within it. */
export const LEASE_MS = 4000;
const READ_BLOCK_MS = 200;
const READ_COUNT = 1000;
const REPLY_TIMEOUT_MS = 10_000;
/** Persists written at once (pipelined) before routing waits for the oldest. */
const MAX_PERSISTS_IN_FLIGHT = 8;

export interface AcdEffects {
  /**
   * Decisions as soon as they are durably stored, in order, before applied(): for what needs no
   * database (the consoles, from the inbox view). Must not throw.
   */
  stored?(decisions: Decision[], router: Router): Promise<void>;
  /**
   * Decisions after they are durably stored, in order (the conversation records). Batches that pile
   * up while one is being applied are applied together. Must not throw.
   */
  applied(decisions: Decision[], router: Router): Promise<void>;
  /**
   * Called once when this process becomes leader, after the router is rebuilt; routing waits for it,
   * so it must only announce and start anything slow (reconciling with the database) behind it.
   */
  becameLeader?(router: Router): Promise<void>;
  /** Periodic (1 s) while leader: queue positions, wallboard. */
  periodic?(router: Router): void;
}

export interface AcdOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  queues: () => Promise<QueueDef[]>;
  effects: AcdEffects;
  /** The leader lease (default LEASE_MS); renewed every quarter of it, polled by followers as often. */
  leaseMs?: number;
  /** Measure decision latency (command issued → changes stored). */
  onLatency?(ms: number): void;
}

export class AcdService {
  readonly hubId = randomUUID();
  readonly store: AcdStore;
  private router: Router | null = null;
  private token = randomUUID();
  private cursor = '0-0';
  private running = false;
  private reader: Redis;
  private sub: Redis;
  private pending = new Map<string, { resolve: () => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  private loopDone: Promise<void> = Promise.resolve();
  private renewTimer?: NodeJS.Timeout;
  private periodicTimer?: NodeJS.Timeout;
  private leaderSince = 0;
  /** The decision effects running behind the routing loop (resolves when the backlog is empty). */
  private effectsDone: Promise<void> = Promise.resolve();
  /** Stored batches whose effects have not run yet, oldest first. */
  private backlog: { decisions: Decision[]; replies: { hub: string; reply: AcdReply }[]; stored: Promise<boolean>; router: Router }[] = [];
  private draining = false;
  /** The chain of stored() effects (fast, no database), one batch after the other. */
  private earlyDone: Promise<void> = Promise.resolve();
  /** Persists sent and not yet answered, oldest first. */
  private inFlight: Promise<void>[] = [];
  /** Leadership term: a persist refused after this process stepped down (and maybe led again) is not this term's. */
  private term = 0;

  /** Our own connection: the hub's main client auto-pipelines, which would hold each persist for a turn. */
  private redis: Redis;

  constructor(private readonly o: AcdOptions) {
    this.redis = logRedisErrors(o.redis.duplicate({ enableAutoPipelining: false }), o.log, 'routing');
    this.store = new AcdStore(this.redis, o.prefix);
    this.reader = logRedisErrors(o.redis.duplicate({ enableAutoPipelining: false }), o.log, 'routing stream reader');
    this.sub = logRedisErrors(o.redis.duplicate({ enableAutoPipelining: false }), o.log, 'routing replies');
  }

  get isLeader(): boolean {
    return this.router !== null;
  }

  async start(): Promise<void> {
    await this.sub.subscribe(this.replyChannel(this.hubId));
    this.sub.on('message', (_ch, msg) => this.onReply(msg));
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Publish a command; resolves once it is in the stream (fire and forget). */
  async send(cmd: AcdCommand): Promise<void> {
    const env: Envelope = { cmd, at: Date.now() };
    await this.redis.xadd(this.store.keys.events, 'MAXLEN', '~', '200000', '*', 'e', JSON.stringify(env));
  }

  /** Publish a command and wait for the leader's outcome (accept, reject, reassign...). */
  async request(cmd: AcdCommand): Promise<void> {
    const req = randomUUID();
    const env: Envelope = { cmd, at: Date.now(), reply: { hub: this.hubId, req } };
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject(new AppError(503, 'routing_unavailable', 'routing did not answer in time; try again'));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(req, { resolve, reject, timer });
    });
    await this.redis.xadd(this.store.keys.events, 'MAXLEN', '~', '200000', '*', 'e', JSON.stringify(env));
    return done;
  }

  /** The router while this process leads (tests and the wallboard of the leader). */
  get localRouter(): Router | null {
    return this.router;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.renewTimer);
    clearInterval(this.periodicTimer);
    this.reader.disconnect();
    await this.loopDone.catch(() => undefined);
    await Promise.all(this.inFlight);
    await this.earlyDone;
    await this.effectsDone;
    if (this.router) await this.store.release(this.token).catch(() => undefined);
    this.router = null;
    this.sub.disconnect();
    this.redis.disconnect();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AppError(503, 'routing_unavailable', 'shutting down'));
    }
  }

  /** Simulate a crash (tests): stop everything without releasing the lease. */
  async crash(): Promise<void> {
    this.running = false;
    clearInterval(this.renewTimer);
    clearInterval(this.periodicTimer);
    this.reader.disconnect();
    this.sub.disconnect();
    await this.loopDone.catch(() => undefined);
    this.router = null;
    this.redis.disconnect();
  }

  private replyChannel(hub: string): string {
    return `${this.store.keys.events}:reply:${hub}`;
  }

  private onReply(raw: string): void {
    const r = JSON.parse(raw) as AcdReply;
    const p = this.pending.get(r.req);
    if (!p) return;
    this.pending.delete(r.req);
    clearTimeout(p.timer);
    if (r.ok) p.resolve();
    else p.reject(new AppError(r.error!.code === 'unknown_task' || r.error!.code === 'unknown_agent' ? 404 : 409, r.error!.code, r.error!.message));
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        if (!this.router) {
          if (!(await this.store.acquire(this.token, this.leaseMs))) {
            await this.waitForLease();
            continue;
          }
          await this.becomeLeader();
        }
        await this.step();
      } catch (e) {
        if (!this.running) return;
        this.o.log.error({ err: e }, 'routing step failed; stepping down');
        this.stepDown();
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private get leaseMs(): number {
    return this.o.leaseMs ?? LEASE_MS;
  }

  /** Followers poll the lease (a dead leader's expires within leaseMs), four times per lease, at most every 500 ms. */
  private waitForLease(): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.min(500, this.leaseMs / 4)));
  }

  /**
   * The last time this process took the lease (Date.now() ms): taken, queues read (the database),
   * routing state loaded and the router rebuilt and its first decisions stored, becameLeader() done
   * (routing resumes).
   */
  lastTakeover: { acquiredAt: number; queuesAt?: number; loadedAt?: number; readyAt?: number; tasks?: number } | null = null;

  private async becomeLeader(): Promise<void> {
    const times: NonNullable<AcdService['lastTakeover']> = { acquiredAt: Date.now() };
    this.lastTakeover = times;
    const router = new Router();
    const queues = await this.o.queues();
    for (const q of queues) router.defineQueue(q);
    times.queuesAt = Date.now();
    const { state, cursor } = await this.store.load();
    router.importState(state, Date.now());
    for (const q of queues) router.evacuate(q.id, Date.now());
    this.cursor = cursor;
    this.router = router;
    this.leaderSince = Date.now();
    this.renewTimer = setInterval(() => {
      void this.store.acquire(this.token, this.leaseMs).then(
        (ok) => {
          if (!ok) {
            this.o.log.warn('lost the routing lease');
            this.stepDown();
          }
        },
        () => undefined,
      );
    }, this.leaseMs / 4);
    this.periodicTimer = setInterval(() => this.router && this.o.effects.periodic?.(this.router), 1000);
    this.o.log.info({ hub: this.hubId, agents: state.agents.length, tasks: state.tasks.length }, 'became routing leader');
    // importState may have decided things (agents free, tasks waiting): store them before anything else.
    await this.commit([]);
    times.loadedAt = Date.now();
    times.tasks = state.tasks.length;
    // Fenced out already (another process took over meanwhile): reconciling would act on a stale router.
    if (this.router !== router) return;
    // Announces what it inherits and returns; the records are reconciled behind the routing loop.
    await this.o.effects.becameLeader?.(router);
    await this.commit([]);
    times.readyAt = Date.now();
  }

  private stepDown(): void {
    this.term++;
    clearInterval(this.renewTimer);
    clearInterval(this.periodicTimer);
    this.router = null;
  }

  /** One read of the stream, every command applied in order, one fenced write, then the effects. */
  private async step(): Promise<void> {
    while (this.inFlight.length >= MAX_PERSISTS_IN_FLIGHT) await this.inFlight[0];
    const res = (await this.reader.xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', this.store.keys.events, this.cursor)) as [string, [string, string[]][]][] | null;
    const router = this.router;
    if (!router) return;
    const entries = res?.[0]?.[1] ?? [];
    const replies: { hub: string; reply: AcdReply }[] = [];
    const issued: number[] = [];
    const now = Date.now();
    for (const [id, fields] of entries) {
      this.cursor = id;
      let env: Envelope;
      try {
        env = JSON.parse(fields[1]) as Envelope;
      } catch {
        this.o.log.warn({ id }, 'unreadable routing command skipped');
        continue;
      }
      issued.push(env.at);
      try {
        if (env.cmd.type === 'queues.reload') await this.reloadQueues(router);
        else {
          try {
            this.apply(router, env.cmd, now);
          } catch (e) {
            // A queue created after this leader started: load the queues and try once more.
            if (!(e instanceof RoutingError && e.code === 'unknown_queue')) throw e;
            await this.reloadQueues(router);
            this.apply(router, env.cmd, now);
          }
        }
        if (env.reply) replies.push({ hub: env.reply.hub, reply: { req: env.reply.req, ok: true } });
      } catch (e) {
        const err = e instanceof RoutingError ? { code: e.code, message: e.message } : { code: 'routing_error', message: (e as Error).message };
        if (!(e instanceof RoutingError)) this.o.log.error({ err: e, cmd: env.cmd.type }, 'routing command failed');
        if (env.reply) replies.push({ hub: env.reply.hub, reply: { req: env.reply.req, ok: false, error: err } });
      }
    }
    router.tick(Date.now());
    // Not awaited: the next read goes out while this batch is being written.
    void this.commit(replies, issued);
  }

  /**
   * Persist what the router changed and chain its effects behind the write. Persists are pipelined:
   * routing does not wait for one to be written before deciding and sending the next (they are
   * written in order on one connection, and store.ts refuses any persist after a missing one); step()
   * waits while MAX_PERSISTS_IN_FLIGHT are. The persist is sent before this yields, so it carries the
   * cursor and counters that match its changes. Resolves once it is written (or refused).
   */
  private async commit(replies: { hub: string; reply: AcdReply }[], issued: number[] = []): Promise<void> {
    const router = this.router;
    if (!router) return;
    const changes = router.drain();
    const decisions = changes.decisions;
    let stored: Promise<boolean> = Promise.resolve(true);
    if (changes.agents.length || changes.tasks.length || changes.removed.length || replies.length) {
      // Sent now, with the cursor and counters of this very moment (persist reads them before it yields).
      const term = this.term;
      // First assignments answer a contact: their service-level counts are written with them.
      const day = new Date().toISOString().slice(0, 10);
      const answered: Answered[] = [];
      for (const d of decisions) {
        if (d.kind !== 'assign' || d.waitMs === undefined || !d.queue) continue;
        const target = router.queueIds().includes(d.queue) ? router.queue(d.queue).serviceLevel.seconds * 1000 : -1;
        answered.push({ queue: d.queue, day, waitMs: d.waitMs, within: d.waitMs <= target });
      }
      stored = this.store.persist(this.token, this.cursor, router.exportCounters(), changes, answered).then(
        (ok) => {
          if (!ok && this.term === term) {
            this.o.log.warn('fenced out by a newer routing leader; dropping local state');
            this.stepDown();
          }
          return ok;
        },
        (e: unknown) => {
          if (this.term === term && this.running) {
            this.o.log.error({ err: e }, 'routing state could not be stored; stepping down');
            this.stepDown();
          }
          return false;
        },
      );
      const tracked = stored.then(() => {
        this.inFlight.splice(this.inFlight.indexOf(tracked), 1);
      });
      this.inFlight.push(tracked);
    }
    if (this.o.onLatency && issued.length) {
      void stored.then((ok) => {
        if (!ok) return;
        const t = Date.now();
        for (const at of issued) this.o.onLatency!(t - at);
      });
    }
    // The decisions are stored: routing goes on at once, and their effects (conversation documents,
    // consoles) follow in order behind it, so a slow database never slows the next decision. Replies
    // go after their batch's effects: a caller that waited for its outcome reads an updated database.
    // A crash loses only effects, and the next leader's reconcile redoes them from the stored state.
    if (decisions.length && this.o.effects.stored) {
      const early = this.o.effects.stored;
      this.earlyDone = this.earlyDone
        .then(async () => {
          if (await stored) await early(decisions, router);
        })
        .catch((e) => this.o.log.error({ err: e }, 'routing announcements failed'));
    }
    if (decisions.length || replies.length) {
      this.backlog.push({ decisions, replies, stored, router });
      if (!this.draining) {
        this.draining = true;
        this.effectsDone = this.drainEffects();
      }
    }
    await stored;
  }

  /**
   * Apply the stored batches' effects, in order. While one call to applied() runs, the batches that
   * arrive meanwhile pile up and go together in the next call: under load the record writes then cost
   * one round of database commands per pile instead of one per batch, and never fall further behind.
   * A batch whose persist was refused is skipped (and so is every later one: the store refuses every
   * persist after a missing one).
   */
  private async drainEffects(): Promise<void> {
    try {
      while (this.backlog.length) {
        const pile = this.backlog.splice(0);
        const ok = await Promise.all(pile.map((b) => b.stored));
        const good = pile.filter((_, i) => ok[i]);
        if (!good.length) continue;
        const decisions = good.flatMap((b) => b.decisions);
        try {
          if (decisions.length) await this.o.effects.applied(decisions, good[good.length - 1].router);
          // After their effects: a caller that waited for its outcome reads an updated database.
          for (const b of good) for (const r of b.replies) await this.redis.publish(this.replyChannel(r.hub), JSON.stringify(r.reply));
        } catch (e) {
          this.o.log.error({ err: e }, 'routing effects failed');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async reloadQueues(router: Router): Promise<void> {
    const queues = await this.o.queues();
    for (const q of queues) router.defineQueue(q);
    // A queue deleted meanwhile: what still waits in it moves on (Router.evacuate).
    for (const q of queues) router.evacuate(q.id, Date.now());
  }

  private apply(r: Router, c: Exclude<AcdCommand, { type: 'queues.reload' }>, now: number): void {
    switch (c.type) {
      case 'arrive':
        r.arrive(c.task, now);
        return;
      case 'release':
        r.release(c.taskId, now);
        return;
      case 'agent.profile':
        r.upsertAgent(c.profile, now);
        return;
      case 'agent.state':
        r.setAgentState(c.agentId, c.state, now, c.reason);
        return;
      case 'wrapup.end':
        r.endWrapUp(c.agentId, now);
        return;
      case 'accept':
        r.accept(c.taskId, c.agentId, now);
        return;
      case 'claim':
        r.claimArrival(c.task, c.agentId, now);
        return;
      case 'reject':
        r.reject(c.taskId, c.agentId, now);
        return;
      case 'unanswered':
        r.unanswered(c.taskId, c.agentId, now);
        return;
      case 'reassign':
        r.reassign(c.taskId, c.agentId, now, c.force);
        return;
      case 'move':
        r.move(c.taskId, c.queue, now);
        return;
      case 'priority':
        r.setPriority(c.taskId, c.priority, now);
        return;
    }
  }

  /** Routing state as stored (any process can read it: the wallboard). */
  async snapshot(): Promise<{ agents: AgentSnapshot[]; tasks: TaskSnapshot[] }> {
    const [agents, tasks] = await Promise.all([this.store.readAgents(), this.store.readTasks()]);
    return { agents, tasks };
  }

  async snapshotAgent(id: string): Promise<AgentSnapshot | null> {
    const j = await this.redis.hget(this.store.keys.agents, id);
    return j ? (JSON.parse(j) as AgentSnapshot) : null;
  }

  /** The tasks offered to one agent right now (an agent's console on load and reconnect). */
  offersTo(agentId: string): Promise<TaskSnapshot[]> {
    return this.store.offersTo(agentId);
  }

  async snapshotTask(id: string): Promise<TaskSnapshot | null> {
    const j = await this.redis.hget(this.store.keys.tasks, id);
    return j ? (JSON.parse(j) as TaskSnapshot) : null;
  }

  get leaderFor(): number {
    return this.router ? Date.now() - this.leaderSince : 0;
  }
}
