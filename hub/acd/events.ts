import type { AgentProfile, AgentStateName, NotReadyReason, TaskInput } from './types.js';

/** What any hub process asks of the routing leader, through the Redis stream. */
export type AcdCommand =
  | { type: 'arrive'; task: TaskInput }
  | { type: 'release'; taskId: string }
  | { type: 'agent.profile'; profile: AgentProfile }
  | { type: 'agent.state'; agentId: string; state: Exclude<AgentStateName, 'wrapup'>; reason?: NotReadyReason }
  | { type: 'wrapup.end'; agentId: string }
  | { type: 'accept'; taskId: string; agentId: string }
  | { type: 'claim'; task: TaskInput; agentId: string }
  | { type: 'reject'; taskId: string; agentId: string }
  /** An assignment the agent's console never acknowledged (hub/acd/heal.ts). */
  | { type: 'unanswered'; taskId: string; agentId: string }
  | { type: 'reassign'; taskId: string; agentId: string; force?: boolean }
  | { type: 'move'; taskId: string; queue: string }
  | { type: 'priority'; taskId: string; priority: number }
  /** Queue settings changed in the database: the leader reloads them. */
  | { type: 'queues.reload' };

/** A command with the address to answer (hub id and request id) when the caller waits for the outcome. */
export interface Envelope {
  cmd: AcdCommand;
  reply?: { hub: string; req: string };
  /** When the command was issued (ms), for decision latency. */
  at: number;
}

export interface AcdReply {
  req: string;
  ok: boolean;
  error?: { code: string; message: string };
}
