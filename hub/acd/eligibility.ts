/**
 * Who may take what, and who is best: the routing rules as pure functions of an agent, a task and its
 * queue (router.ts applies them; agent-index.ts keeps them cheap to apply to many agents).
 */
import type { Channel } from '../models/types.js';
import type { AgentSnapshot, QueueDef, TaskSnapshot } from './types.js';

/** Room for one more contact on this channel: a voice call blocks everything else; anything else is limited per channel. */
export function hasRoom(a: AgentSnapshot, ch: Channel): boolean {
  if ((a.load.voice ?? 0) > 0) return false;
  return (a.load[ch] ?? 0) < (a.capacity[ch] ?? 0);
}

/** The lowest proficiency accepted for this task now (Infinity: no relaxation step reached yet). */
export function relaxFloor(t: TaskSnapshot, q: QueueDef, now: number): number {
  let floor = Infinity;
  for (const r of q.relax) if (now >= t.queuedAt + r.afterSec * 1000) floor = Math.min(floor, r.minProficiency);
  return floor;
}

/** The agent has the queue's and the task's skills, each at its level or at `floor` if lower (relaxation). */
export function meetsSkills(a: AgentSnapshot, t: TaskSnapshot, q: QueueDef, floor: number): boolean {
  for (const skill in q.skills) if ((a.skills[skill] ?? 0) < Math.min(q.skills[skill], floor)) return false;
  for (const skill in t.skills) if ((a.skills[skill] ?? 0) < Math.min(t.skills[skill], floor)) return false;
  return true;
}

/** Does the agent meet the queue's own skills at its loosest relaxation step? If not, no task there is theirs. */
export function mayServe(a: AgentSnapshot, q: QueueDef): boolean {
  let floor = Infinity;
  for (const r of q.relax) floor = Math.min(floor, r.minProficiency);
  for (const [skill, min] of Object.entries(q.skills)) if ((a.skills[skill] ?? 0) < Math.min(min, floor)) return false;
  return true;
}

/** The skills a task needs: its queue's and its own. */
export function skillKeys(t: TaskSnapshot, q: QueueDef): string[] {
  for (const _ in t.skills) return Object.keys({ ...q.skills, ...t.skills });
  return Object.keys(q.skills);
}

/** The queue's strategy as a number: higher is better. `skills`: the task's required skills (skillKeys). */
export function score(a: AgentSnapshot, q: QueueDef, skills: string[]): number {
  switch (q.strategy) {
    case 'longest-idle':
      // Idle since the last contact ended or was routed to them: chats spread across agents.
      return -Math.max(a.lastFreeAt, a.lastRoutedAt ?? 0);
    case 'least-occupied': {
      let load = 0;
      let cap = 0;
      for (const ch in a.capacity) {
        cap += a.capacity[ch as Channel] ?? 0;
        load += a.load[ch as Channel] ?? 0;
      }
      return -(load / Math.max(1, cap)) * 1e15 - a.lastFreeAt;
    }
    case 'most-skilled': {
      let sum = 0;
      for (const skill of skills) sum += a.skills[skill] ?? 0;
      return sum * 1e15 - a.lastFreeAt;
    }
    case 'round-robin':
      return -a.lastAssignedSeq;
  }
}

/** Waiting order: higher priority first, then longer waiting, then first come. */
export function beforeTask(a: TaskSnapshot, b: TaskSnapshot): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt < b.enqueuedAt;
  return a.seq < b.seq;
}

/** One bit per channel name, assigned on first sight (there are five channels; 31 fit). */
const channelBits = new Map<string, number>();
export function channelBit(ch: string): number {
  let b = channelBits.get(ch);
  if (b === undefined) channelBits.set(ch, (b = channelBits.size < 31 ? 1 << channelBits.size : 0));
  return b;
}
