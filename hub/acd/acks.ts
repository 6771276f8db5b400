/**
 * Assignments announced to an agent's console and not yet acknowledged by it, in Redis (any hub
 * receives the console's acknowledgement; the routing leader, whichever process it is, chases the
 * rest). An assignment stored and announced can still never reach the screen: the announcement was
 * lost with a hub that died, or the console was reconnecting. Without this, routing counts the
 * assignment against the agent's capacity while the agent never sees it (issue 17).
 *
 * One hash field per conversation: "agentId|announcedAt ms|tries". It names the agent, so a late
 * acknowledgement from the previous holder never clears the new holder's entry.
 */
import type { Redis } from 'ioredis';

/**
 * ack — clear the entries of these conversations if they name this agent.
 * KEYS[1] the hash. ARGV[1] agent id, ARGV[2..] conversation ids. Returns how many were cleared.
 */
const ACK = `
local n = 0
local want = ARGV[1] .. '|'
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.sub(v, 1, #want) == want then
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n`;

export interface Unacked {
  agentId: string;
  at: number;
  tries: number;
}

export class AssignmentAcks {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:{acd}:unacked`;
    redis.defineCommand('acdAck', { numberOfKeys: 1, lua: ACK });
  }

  /** Announced now (tries = how many times before): wait for the console's acknowledgement. */
  async expect(items: { taskId: string; agentId: string }[], tries = 0, now = Date.now()): Promise<void> {
    if (!items.length) return;
    await this.redis.hset(this.key, ...items.flatMap((i) => [i.taskId, `${i.agentId}|${now}|${tries}`]));
  }

  /** The agent's console holds these conversations (or the agent acted on them). */
  async ack(agentId: string, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    return (this.redis as unknown as { acdAck(k: string, ...a: string[]): Promise<number> }).acdAck(this.key, agentId, ...ids);
  }

  /** Forget an entry (the assignment ended or moved), only if it still names this agent. */
  drop(taskId: string, agentId: string): Promise<number> {
    return this.ack(agentId, [taskId]);
  }

  async pending(): Promise<Map<string, Unacked>> {
    const raw = await this.redis.hgetall(this.key);
    const out = new Map<string, Unacked>();
    for (const [id, v] of Object.entries(raw)) {
      const [agentId, at, tries] = v.split('|');
      out.set(id, { agentId, at: Number(at), tries: Number(tries) });
    }
    return out;
  }
}
