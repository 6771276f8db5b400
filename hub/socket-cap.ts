/**
 * At most N console sockets per user across every hub: each is a presence and routing login, so one
 * token must not open them by the dozen. A Redis sorted set per user holds socket id → expiry; taking
 * a slot is one script (count the live ones, add if under the cap), so concurrent connects cannot all
 * slip under it. Each hub refreshes its own sockets; a crashed hub's slots expire by themselves.
 */
import type { Redis } from 'ioredis';

const TTL_MS = 30_000;

/**
 * KEYS[1] the user's set. ARGV: now, expiry, cap, socket id.
 * Returns 1 when the slot is taken (or was already held), 0 when the user is at the cap.
 */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ${TTL_MS * 2})
return 1`;

export class SocketCap {
  private local = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cap: number,
  ) {
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), TTL_MS / 3);
    this.timer.unref();
  }

  private key(userId: string): string {
    return `${this.prefix}:agentsockets:${userId}`;
  }

  /** Take a slot for this socket; false when the user already has `cap` sockets open. */
  async take(userId: string, socketId: string): Promise<boolean> {
    const now = Date.now();
    const ok = (await this.redis.eval(TAKE, 1, this.key(userId), now, now + TTL_MS, this.cap, socketId)) === 1;
    if (ok) {
      const s = this.local.get(userId) ?? new Set();
      s.add(socketId);
      this.local.set(userId, s);
    }
    return ok;
  }

  async release(userId: string, socketId: string): Promise<void> {
    const s = this.local.get(userId);
    s?.delete(socketId);
    if (s && !s.size) this.local.delete(userId);
    await this.redis.zrem(this.key(userId), socketId);
  }

  private async refresh(): Promise<void> {
    const exp = Date.now() + TTL_MS;
    for (const [user, ids] of this.local) await this.redis.zadd(this.key(user), ...[...ids].flatMap((id) => [exp, id]));
  }

  close(): void {
    clearInterval(this.timer);
  }
}
