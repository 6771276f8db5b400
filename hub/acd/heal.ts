/**
 * The routing leader's checks that everything people see converges on routing's state (issue 17):
 *
 * - every second, the consoles' acknowledgements: an assignment announced to an agent whose console
 *   is open and which no console acknowledged within acd.ackSeconds is announced again; still
 *   unacknowledged after as long again, it goes back to the queue and the agent is marked not
 *   answering (as a missed offer). An agent with no console open is left to the logout grace.
 * - with the orphan sweep, routing against the records and the records against the inbox views:
 *   a live record whose assignee or status differs from routing's task is corrected and announced; a
 *   view whose summary differs from its record (a conversation resolved by a hub that died before
 *   updating the view: a "zombie" in the lists) is rebuilt from the record and announced.
 */
import type { Hub } from '../hub.js';
import type { ConversationDoc } from '../models/conversation.js';
import { isLive } from '../models/types.js';
import { findByIds } from '../by-ids.js';
import { disagreement, type Announcer } from './announce.js';
import type { Router } from './router.js';

export class Healer {
  private watching = false;

  constructor(
    private readonly hub: Hub,
    private readonly announcer: Announcer,
  ) {}

  /** Every second while leader. */
  watchAcks(router: Router): void {
    if (this.watching) return;
    this.watching = true;
    void this.checkAcks(router)
      .catch((e) => this.hub.log.warn({ err: e }, 'assignment acknowledgement check failed'))
      .finally(() => (this.watching = false));
  }

  private async checkAcks(router: Router): Promise<void> {
    const pending = await this.announcer.acks.pending();
    if (!pending.size) return;
    const ackMs = this.hub.config.acd.ackSeconds * 1000;
    const now = Date.now();
    let online: Set<string> | undefined;
    let acknowledging: Set<string> | undefined;
    const again: string[] = [];
    for (const [id, e] of pending) {
      const t = router.getTask(id);
      if (!t || t.state !== 'assigned' || t.agentId !== e.agentId) {
        // Ended or moved on: whoever holds it now was announced (and is expected) separately.
        await this.announcer.acks.drop(id, e.agentId);
        continue;
      }
      if (now - e.at < ackMs) continue;
      online ??= await this.hub.presence.online();
      if (!online.has(e.agentId)) continue;
      if (e.tries === 0) {
        again.push(id);
        continue;
      }
      acknowledging ??= await this.announcer.acks.acknowledging();
      if (!acknowledging.has(e.agentId)) {
        // A console that never acknowledges anything: announced twice is all routing can do.
        await this.announcer.acks.drop(id, e.agentId);
        continue;
      }
      this.hub.log.warn({ conversationId: id, agentId: e.agentId }, 'assignment never acknowledged by the agent\'s console: back to the queue, agent not answering');
      await this.announcer.acks.drop(id, e.agentId);
      await this.hub.acd.send({ type: 'unanswered', taskId: id, agentId: e.agentId });
    }
    if (again.length) {
      this.hub.log.warn({ conversations: again.length }, 'assignments not acknowledged by a console: announced again');
      await this.announcer.sync(again, router, 1);
    }
  }

  /**
   * Records against routing, views against records. `live` are the live records the sweep read;
   * routing decisions younger than `settledBefore` are left alone (their own effects may be on the way).
   */
  async sweep(router: Router, live: ConversationDoc[], settledBefore: number): Promise<void> {
    const off = new Set<string>();
    for (const c of live) {
      const t = router.getTask(String(c._id));
      if (!t || (t.heldAt ?? t.queuedAt) > settledBefore) continue;
      if (disagreement(c, router)) off.add(String(c._id));
    }
    if (off.size) {
      const first = live.find((c) => off.has(String(c._id)))!;
      const t = router.getTask(String(first._id))!;
      this.hub.log.warn({ conversations: off.size, example: { record: { status: first.status, assigneeId: first.assigneeId, updatedAt: first.updatedAt }, routing: { state: t.state, agentId: t.agentId, heldAt: t.heldAt, queuedAt: t.queuedAt } } }, 'records disagreeing with routing: corrected and announced');
      await this.announcer.sync([...off], router);
    }
    await this.sweepViews(router, live, settledBefore);
  }

  private async sweepViews(router: Router, live: ConversationDoc[], settledBefore: number): Promise<void> {
    const liveIds = new Set(live.map((c) => String(c._id)));
    const listed = await this.hub.inbox.liveIds();
    const ids = [...new Set([...liveIds, ...listed])];
    const summaries = await this.hub.inbox.summaries(ids);
    const byId = new Map(live.map((c) => [String(c._id), c]));
    const stale: string[] = [];
    ids.forEach((id, i) => {
      const v = summaries[i];
      const c = byId.get(id);
      if (!c) {
        // Listed as live, not live in the records (resolved meanwhile, or by a hub that died before updating the view).
        if (!v || isLive(v.status)) stale.push(id);
        return;
      }
      if (new Date(c.updatedAt).getTime() > settledBefore) return;
      if (!v || v.status !== c.status || (v.assignee?.id ?? null) !== (c.assigneeId ?? null)) stale.push(id);
    });
    if (!stale.length) return;
    const docs = await findByIds<ConversationDoc>(this.hub.m.Conversation, stale);
    // Re-checked on the fresh record: only what still differs is rebuilt.
    const views = await this.hub.inbox.summaries(docs.map((d) => String(d._id)));
    const differ = docs.filter((d, i) => !views[i] || views[i]!.status !== d.status || (views[i]!.assignee?.id ?? null) !== (d.assigneeId ?? null)).map((d) => String(d._id));
    if (!differ.length) return;
    this.hub.log.warn({ conversations: differ.length }, 'inbox views disagreeing with their records: rebuilt from the records');
    await this.announcer.sync(differ, router);
  }
}
