/**
 * Which conversations a person may open. Supervisors and admins: all. Agents: those assigned to them,
 * those offered to them now, and those waiting unassigned in their queues; never one assigned to a
 * colleague, even in a shared queue (opening it would show the customer's data, and marking it read
 * would send the customer a read receipt). The same rule filters a conversation's history.
 */
import type { SessionUser } from './api/auth-routes.js';

export interface Visible {
  queue: string;
  assigneeId?: string | null;
}

export const isLead = (u: Pick<SessionUser, 'role'>) => u.role === 'supervisor' || u.role === 'admin';

/** Without asking routing: the lead rule, the agent's own, and the unassigned ones of their queues. */
export function visibleWithoutOffers(u: Pick<SessionUser, 'id' | 'role' | 'queues'>, c: Visible): boolean {
  if (isLead(u)) return true;
  if (c.assigneeId) return c.assigneeId === u.id;
  return u.queues.includes(c.queue);
}
