/**
 * What a new routing leader does with what it inherits (issue 17), in two parts:
 *
 * 1. At once, from routing state alone (no database): every assignment it inherits is announced to
 *    its agent's console, the inbox lists and the supervisors, from the summary the inbox view holds
 *    (announce.ts early()), and awaits the console's acknowledgement. The previous leader may have
 *    stored these decisions and died before announcing them (the stranded assignments).
 * 2. Behind routing, which goes on meanwhile: the live records are read (one equality query per live
 *    status, in batches) and made to agree with routing — records routing never heard of are routed
 *    (or given back to the agent they name), tasks whose conversation is no longer live are released,
 *    and records that disagree with routing's older decisions (or inherited assignments the first
 *    part could not show) are corrected and announced from the record (announce.ts sync()).
 *
 * Part 2 used to run before routing resumed: under 200 arrivals/s it read every live conversation
 * with one `$in` query (which the embedded store does not push down: a scan of the whole
 * collection), and routing — every freed agent included — waited for it. Every step of part 2 that
 * acts re-reads the records it acts on by id first, and acts synchronously after that read (the
 * router is in memory; the routing loop persists the changes with its next batch), so a record read
 * seconds earlier never overrides what routing decided since.
 */
import type { Hub } from '../hub.js';
import type { ConversationDoc } from '../models/conversation.js';
import { LIVE_STATUSES, isLive } from '../models/types.js';
import { findByIds } from '../by-ids.js';
import { disagreement, type Announcer } from './announce.js';
import type { Router } from './router.js';
import type { TaskInput } from './types.js';

/** The fields the leader's checks read from a live record. */
export const LIVE_FIELDS = { _id: 1, status: 1, assigneeId: 1, updatedAt: 1, queue: 1, channel: 1, priority: 1, queuedAt: 1, createdAt: 1, customerId: 1 } as const;
const BATCH = 500;

/**
 * Every live record, one equality query per live status (the embedded store pushes equality down;
 * `$in` scans the whole collection), read in batches so that a large live set never holds the event
 * loop (and with it the routing loop) for long.
 */
export async function readLive(hub: Hub, onRow?: (c: ConversationDoc) => Promise<void> | void): Promise<ConversationDoc[]> {
  const out: ConversationDoc[] = [];
  for (const status of LIVE_STATUSES) {
    const cursor = hub.m.Conversation.find({ status }, LIVE_FIELDS).lean().batchSize(BATCH).cursor();
    for await (const c of cursor) {
      out.push(c as ConversationDoc);
      await onRow?.(c as ConversationDoc);
    }
  }
  return out;
}

/** How the last takeover went (logged; bench/acd-console.ts prints it). Times are Date.now() ms. */
export interface TakeoverReport {
  /** Routing state loaded and the router rebuilt (AcdService). */
  startedAt: number;
  /** Assignments inherited, and how many of them were announced from routing state at once. */
  inherited: number;
  announcedEarly: number;
  /** Every inherited assignment announced (part 1 done); routing resumes. */
  announcedAt: number;
  /** Part 2 done (undefined while it runs). */
  reconciledAt?: number;
  /** Part 2: how many records it read, routed, released, and corrected or announced from the record. */
  live?: number;
  routed?: number;
  released?: number;
  synced?: number;
  /** Part 2 stopped because this process was no longer leader. */
  abandoned?: boolean;
}

export class Takeover {
  last: TakeoverReport | null = null;
  /** Part 2 of the last takeover (resolves when it is done, never rejects). */
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly hub: Hub,
    private readonly announcer: Announcer,
    private readonly taskFor: (c: ConversationDoc) => TaskInput,
  ) {}

  /** Part 1; part 2 is started and left running (this.done). */
  async run(router: Router): Promise<void> {
    const startedAt = Date.now();
    const held = router.allTasks().flatMap((t) => (t.state === 'assigned' && t.agentId ? [{ kind: 'assign' as const, taskId: t.id, agentId: t.agentId }] : []));
    const shown = await this.announcer.early(held, router, new Date()).catch((e) => {
      this.hub.log.warn({ err: e }, 'inherited assignments not announced from routing state (announced from their records next)');
      return new Set<string>();
    });
    const report: TakeoverReport = { startedAt, inherited: held.length, announcedEarly: shown.size, announcedAt: Date.now() };
    this.last = report;
    this.done = this.records(router, startedAt, new Set(held.map((h) => h.taskId).filter((id) => !shown.has(id))), report).then(
      () => {
        report.reconciledAt = Date.now();
        this.hub.log.info({ ...report, announceMs: report.announcedAt - startedAt, reconcileMs: report.reconciledAt - startedAt }, 'routing takeover: inherited assignments announced, records reconciled');
      },
      (e) => this.hub.log.warn({ err: e }, 'routing takeover: records not reconciled (the sweep does it)'),
    );
  }

  /** Part 2. `unshown`: inherited assignments part 1 could not show (their view was missing or newer). */
  private async records(router: Router, startedAt: number, unshown: Set<string>, report: TakeoverReport): Promise<void> {
    const leading = () => this.hub.acd.localRouter === router;
    // Taken before the read: a task that arrives later has a record the read may not see.
    const heldBefore = router.allTasks().map((t) => t.id);
    const live = await readLive(this.hub);
    report.live = live.length;
    if (!leading()) return void (report.abandoned = true);
    const liveIds = new Set(live.map((c) => String(c._id)));
    const known = new Set(router.queueIds());

    // Records routing never heard of (their arrival was lost with a crashed process, or they were
    // opened while no leader ran). Offline messages (pending) wait for an agent to pick them.
    // A young one's arrival may still be in the stream, carrying what the record lacks (the customer's
    // sticky agent): left to it, and to the sweep if it never comes.
    const young = Date.now() - this.hub.config.acd.orphanGraceSeconds * 1000;
    const unknown = live.filter((c) => c.status !== 'pending' && known.has(c.queue) && !router.getTask(String(c._id)) && (c.assigneeId || new Date(c.queuedAt ?? c.createdAt).getTime() <= young)).map((c) => String(c._id));
    const fresh = await findByIds<ConversationDoc>(this.hub.m.Conversation, unknown);
    if (!leading()) return void (report.abandoned = true);
    let routed = 0;
    const now = Date.now();
    for (const c of fresh) {
      const id = String(c._id);
      if (!isLive(c.status) || c.status === 'pending' || router.getTask(id) || !known.has(c.queue)) continue;
      routed++;
      router.arrive(this.taskFor(c), now);
      // The agent the record names keeps it (as the previous leader decided), whoever routing just chose.
      if (c.assigneeId && router.getAgent(c.assigneeId)) {
        try {
          router.reassign(id, c.assigneeId, now, true);
        } catch {
          /* routed as a new arrival */
        }
      }
    }
    report.routed = routed;

    // Tasks whose conversation is no longer live (resolved by a process that died before telling routing).
    const gone = heldBefore.filter((id) => !liveIds.has(id) && router.getTask(id));
    const still = new Set((await findByIds<ConversationDoc>(this.hub.m.Conversation, gone, { status: 1 })).filter((c) => isLive(c.status)).map((c) => String(c._id)));
    if (!leading()) return void (report.abandoned = true);
    let released = 0;
    for (const id of gone) {
      if (still.has(id) || !router.getTask(id)) continue;
      router.release(id, Date.now());
      released++;
    }
    report.released = released;

    // Records that disagree with a decision older than this takeover (the new leader's own decisions
    // have their record writes on the way), and inherited assignments not shown yet: from the record.
    const off = live
      .filter((c) => {
        const id = String(c._id);
        const t = router.getTask(id);
        if (!t) return false;
        if (unshown.has(id)) return true;
        return (t.heldAt ?? t.queuedAt) < startedAt && disagreement(c, router) !== null;
      })
      .map((c) => String(c._id));
    report.synced = off.length;
    if (off.length) await this.announcer.sync(off, router);
  }
}
