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
 * ack — clear the entries of these conversations if they name this agent, and note that this agent's
 * console acknowledges.
 * KEYS[1] the hash, KEYS[2] the set of agents whose consoles acknowledge. ARGV[1] agent id,
 * ARGV[2..] conversation ids. Returns how many were cleared.
 */
const ACK = `
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], 86400)
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
  private readonly ackers: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:{acd}:unacked`;
    this.ackers = `${prefix}:{acd}:ackers`;
    redis.defineCommand('acdAck', { numberOfKeys: 2, lua: ACK });
  }

  /** Announced now (tries = how many times before): wait for the console's acknowledgement. */
  async expect(items: { taskId: string; agentId: string }[], tries = 0, now = Date.now()): Promise<void> {
    if (!items.length) return;
    await this.redis.hset(this.key, ...items.flatMap((i) => [i.taskId, `${i.agentId}|${now}|${tries}`]));
  }

  /** The agent's console holds these conversations (or the agent acted on them). */
  async ack(agentId: string, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    return (this.redis as unknown as { acdAck(k: string, k2: string, ...a: string[]): Promise<number> }).acdAck(this.key, this.ackers, agentId, ...ids);
  }

  /** Forget an entry (the assignment ended or moved), only if it still names this agent. */
  async drop(taskId: string, agentId: string): Promise<void> {
    await this.redis.eval(`local v = redis.call('HGET', KEYS[1], ARGV[1]) if v and string.sub(v, 1, #ARGV[2] + 1) == ARGV[2] .. '|' then redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`, 1, this.key, taskId, agentId);
  }

  /**
   * Agents whose console has acknowledged something in the last day. Only their assignments are taken
   * back when unacknowledged: a console that does not speak the protocol (an older build during an
   * upgrade, a script) is announced to again but never has its contacts taken away for silence.
   */
  async acknowledging(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.ackers));
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
