/** The routing model of the ACD (after Twilio TaskRouter / Genesys): queues, agents, tasks, decisions. */
import type { Channel } from '../models/types.js';

export type Strategy = 'longest-idle' | 'least-occupied' | 'most-skilled' | 'round-robin';
/** busy is derived for display (an available agent with no room left); it is never stored. */
export type AgentStateName = 'available' | 'wrapup' | 'notready' | 'offline';
export type NotReadyReason = 'break' | 'meal' | 'training' | 'meeting' | 'rona' | 'supervisor' | 'other';

export interface BusinessHours {
  /** IANA time zone, e.g. Asia/Shanghai. */
  tz: string;
  /** Open intervals per weekday (0 = Sunday), "HH:MM"-"HH:MM" local time; a missing day is closed. */
  week: Partial<Record<0 | 1 | 2 | 3 | 4 | 5 | 6, [string, string][]>>;
}

export interface QueueDef {
  id: string;
  /** Required skill → minimum proficiency (1-10). */
  skills: Record<string, number>;
  strategy: Strategy;
  /** Service level target: `pct` percent answered within `seconds`. */
  serviceLevel: { pct: number; seconds: number };
  /** Channels whose offers are accepted automatically (a voice call always rings). */
  autoAccept: Channel[];
  /** Seconds an offer rings before it is withdrawn (ring-no-answer). */
  offerTimeoutSec: number;
  /** After-contact work after a voice contact in this queue, in seconds (0 = none). */
  wrapUpSec: number;
  /** Skill relaxation: after `afterSec` in queue, accept agents with at least `minProficiency`. */
  relax: { afterSec: number; minProficiency: number }[];
  /** After `afterSec` in this queue, move to another queue. */
  overflow?: { afterSec: number; queue: string };
  /** Sticky routing: wait this long for the preferred agent (last agent / account manager). */
  stickySec: number;
  hours?: BusinessHours;
  /** Outside business hours: move to an overflow queue, or keep as an offline message. */
  afterHours: { action: 'offline' } | { action: 'overflow'; queue: string };
  /** Average handle time used for estimated wait until measured, seconds. */
  defaultAhtSec: number;
  /**
   * Takes no new contacts: an arrival addressed to it goes to its overflow queue if that one takes
   * contacts, else to `general`; no move, overflow or after-hours step leads into it. What already
   * waits in it is still served by its members (it drains).
   */
  disabled?: boolean;
  /**
   * Deleted by an admin: kept as a disabled tombstone, so a contact still addressed to it (a channel's
   * default queue, an IVR node, a reopened conversation) is diverted rather than lost; never listed.
   */
  deleted?: boolean;
}

export interface AgentProfile {
  id: string;
  name: string;
  /** Skill → proficiency 1-10. */
  skills: Record<string, number>;
  /** Most simultaneous contacts per channel, e.g. { voice: 1, webchat: 3, email: 5 }. */
  capacity: Partial<Record<Channel, number>>;
}

export interface AgentSnapshot extends AgentProfile {
  state: AgentStateName;
  reason?: NotReadyReason;
  stateSince: number;
  /** Contacts held per channel, offers included (an offer reserves capacity). */
  load: Partial<Record<Channel, number>>;
  lastFreeAt: number;
  lastAssignedSeq: number;
  /** When a contact was last routed to this agent. */
  lastRoutedAt?: number;
  wrapUntil?: number;
}

export type TaskState = 'waiting' | 'offered' | 'assigned' | 'offline';

export interface TaskInput {
  id: string;
  queue: string;
  channel: Channel;
  /** Higher first: VIP tier, VIP called number, retention risk. */
  priority: number;
  /** Extra required skills beyond the queue's (e.g. language). */
  skills?: Record<string, number>;
  /** Last agent or account manager, tried first for the queue's stickySec. */
  preferredAgentId?: string;
  enqueuedAt?: number;
}

export interface TaskSnapshot extends Required<Omit<TaskInput, 'preferredAgentId' | 'skills'>> {
  skills: Record<string, number>;
  preferredAgentId?: string;
  /** When the task entered its current queue (relaxation and overflow count from here). */
  queuedAt: number;
  state: TaskState;
  agentId?: string;
  offerDeadline?: number;
  /** When it was first answered (assigned or accepted). */
  answeredAt?: number;
  /** When its current agent got it (handle time for estimated waits). */
  heldAt?: number;
  /** Agents that rejected or missed this task: not offered it again. */
  declinedBy: string[];
  seq: number;
}

/** What the router decided; the service persists and announces each. */
export type Decision =
  | { kind: 'offer'; taskId: string; agentId: string; deadline: number }
  /** waitMs and queue only on a task's first assignment: how long the customer waited to be answered. */
  | { kind: 'assign'; taskId: string; agentId: string; previousAgentId?: string; waitMs?: number; queue?: string }
  | { kind: 'requeue'; taskId: string; queue: string; reason: 'rejected' | 'rona' | 'agent_logout' | 'moved' | 'overflow' | 'after_hours' | 'disabled'; fromAgentId?: string }
  | { kind: 'offline'; taskId: string; queue: string }
  | { kind: 'released'; taskId: string; agentId: string }
  | { kind: 'agent'; agentId: string; state: AgentStateName; reason?: NotReadyReason };

export class RoutingError extends Error {
  constructor(
    readonly code: 'unknown_task' | 'unknown_agent' | 'unknown_queue' | 'invalid_state' | 'over_capacity' | 'already_assigned',
    message: string,
  ) {
    super(message);
  }
}
