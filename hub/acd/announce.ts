/**
 * One path from routing state to what people see: make a conversation's record agree with routing,
 * then rebuild its inbox view from the record and announce it to the consoles (its agent, its
 * queue, the supervisors), and wait for the agent's console to acknowledge an assignment.
 *
 * Every repair goes through here (a new leader's inherited assignments, the sweep, an assignment
 * announced again), so none of them writes a record that the lists and consoles never hear of —
 * which is how issue 17's assignments were stranded: the new leader's reconcile wrote assignees to
 * the records with no event and no view update.
 */
import { Types } from 'mongoose';
import { bulkWriteChunked } from '../bulk.js';
import { findByIds } from '../by-ids.js';
import type { Hub } from '../hub.js';
import type { ConversationDoc } from '../models/conversation.js';
import { isLive } from '../models/types.js';
import type { AssignmentAcks } from './acks.js';
import type { Router } from './router.js';
import type { Decision } from './types.js';
import type { ConversationView } from '../views.js';

/** The fields a live record must have to agree with routing's task; null when it agrees (or routing has no say). */
export function disagreement(c: ConversationDoc, router: Router): Record<string, unknown> | null {
  if (!isLive(c.status)) return null;
  const t = router.getTask(String(c._id));
  if (!t) return null;
  if (t.state === 'assigned' && t.agentId) {
    if (c.status === 'assigned' && c.assigneeId === t.agentId) return null;
    return { status: 'assigned', assigneeId: t.agentId, assigneeName: router.getAgent(t.agentId)?.name ?? '', assignedAt: new Date() };
  }
  if (t.state === 'waiting' || t.state === 'offered') {
    if (c.status === 'queued' && !c.assigneeId) return null;
    return { status: 'queued', assigneeId: null, assigneeName: null };
  }
  return null;
}

export class Announcer {
  constructor(
    private readonly hub: Hub,
    readonly acks: AssignmentAcks,
  ) {}

  /**
   * Decisions just stored by routing (its state in Redis is the first record of an assignment): shown
   * at once from the summaries the inbox view holds, so an agent's console does not wait for the
   * conversation record, which is written next with the same updatedAt and announced again from the
   * record (an identical event the consoles take as the same version). Under load the record writes
   * lagged seconds behind routing, and with them every console (issue 17, "announcements lag").
   * A conversation the view does not hold yet, or holds as closed, waits for its record.
   * Returns the conversations it showed.
   */
  async early(decisions: Decision[], router: Router, now: Date): Promise<Set<string>> {
    type Shown = { assignee: { id: string; name: string } | null; queue?: string; prev?: string };
    const last = new Map<string, Shown>();
    for (const d of decisions) {
      const before = 'taskId' in d ? last.get(d.taskId) : undefined;
      if (d.kind === 'assign') last.set(d.taskId, { assignee: { id: d.agentId, name: router.getAgent(d.agentId)?.name ?? '' }, prev: d.previousAgentId ?? before?.prev });
      else if (d.kind === 'requeue') last.set(d.taskId, { assignee: null, queue: d.queue, prev: d.fromAgentId ?? before?.prev });
    }
    if (!last.size) return new Set();
    const ids = [...last.keys()];
    const views = await this.hub.inbox.summaries(ids);
    const iso = now.toISOString();
    const shown: { v: ConversationView; prev?: string }[] = [];
    const expect: { taskId: string; agentId: string }[] = [];
    ids.forEach((id, i) => {
      const v = views[i];
      const s = last.get(id)!;
      if (!v || !isLive(v.status) || v.updatedAt > iso) return;
      shown.push({ v: { ...v, status: s.assignee ? 'assigned' : 'queued', assignee: s.assignee, queue: s.queue ?? v.queue, updatedAt: iso }, prev: s.prev });
      if (s.assignee) expect.push({ taskId: id, agentId: s.assignee.id });
    });
    await this.acks.expect(expect);
    await Promise.all(
      shown.map(async ({ v, prev }) => {
        if (!(await this.hub.inbox.upsertView(v))) return;
        this.hub.agents.conversationUpdated(await this.hub.inbox.withCounters(v), prev);
      }),
    );
    return new Set(shown.map(({ v }) => v.id));
  }

  /**
   * Bring these conversations' records in line with routing (each write conditional on the record
   * being as read: a newer change wins, and is announced by whoever made it), then announce every one
   * as stored now. `tries` is how often these assignments were announced before. Returns how many
   * records were corrected.
   */
  async sync(ids: string[], router: Router, tries = 0): Promise<number> {
    if (!ids.length) return 0;
    const before = await findByIds<ConversationDoc>(this.hub.m.Conversation, ids);
    const now = new Date();
    const prevAssignee = new Map<string, string | undefined>();
    const ops = before.flatMap((c) => {
      const fix = disagreement(c, router);
      prevAssignee.set(String(c._id), c.assigneeId ?? undefined);
      // Touched either way: a newer updatedAt makes every console and the view take this version
      // over whatever stale one they hold.
      return [{ updateOne: { filter: { _id: new Types.ObjectId(String(c._id)), updatedAt: c.updatedAt }, update: { $set: { ...(fix ?? {}), updatedAt: now } } } }];
    });
    const fixed = before.filter((c) => disagreement(c, router)).length;
    await bulkWriteChunked(this.hub.m.Conversation.collection, ops as never);
    await this.announce(await findByIds<ConversationDoc>(this.hub.m.Conversation, ids), router, tries, prevAssignee);
    return fixed;
  }

  /**
   * Announce records as they are stored: the inbox view is rebuilt from each and every console that
   * may show it hears it; an assignment that routing agrees with waits for its console's acknowledgement.
   */
  async announce(docs: ConversationDoc[], router: Router, tries = 0, prevAssignee?: Map<string, string | undefined>): Promise<void> {
    const expect = docs.flatMap((c) => {
      const t = router.getTask(String(c._id));
      return c.status === 'assigned' && c.assigneeId && t?.state === 'assigned' && t.agentId === c.assigneeId ? [{ taskId: String(c._id), agentId: c.assigneeId }] : [];
    });
    // Expected before it is announced: an acknowledgement can come back before this call returns.
    await this.acks.expect(expect, tries);
    for (const c of docs) {
      const prev = prevAssignee?.get(String(c._id));
      this.hub.events.conversationUpdated(c, prev && prev !== c.assigneeId ? prev : undefined);
    }
  }
}
