import type { Redis } from 'ioredis';

const TTL_MS = 30_000;

/**
 * Which agents have the console open, across every hub process: a Redis sorted set of userId → expiry.
 * Each process refreshes its own connected agents; a crashed process's entries expire by themselves.
 */
export class Presence {
  private local = new Map<string, number>();
  private timer: NodeJS.Timeout;

  private readonly KEY: string;
  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.KEY = `${prefix}:presence:agents`;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), TTL_MS / 3);
    this.timer.unref();
  }

  async add(userId: string): Promise<void> {
    this.local.set(userId, (this.local.get(userId) ?? 0) + 1);
    await this.redis.zadd(this.KEY, Date.now() + TTL_MS, userId);
  }

  async remove(userId: string): Promise<void> {
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) return void this.local.set(userId, n);
    this.local.delete(userId);
    await this.redis.zrem(this.KEY, userId);
  }

  /** The agents with a console open on some hub now (entries of a crashed hub expire within TTL_MS). */
  async online(): Promise<Set<string>> {
    return new Set(await this.redis.zrangebyscore(this.KEY, Date.now(), '+inf'));
  }

  async onlineCount(): Promise<number> {
    return this.redis.zcount(this.KEY, Date.now(), '+inf');
  }

  private async refresh(): Promise<void> {
    if (!this.local.size) return;
    const exp = Date.now() + TTL_MS;
    await this.redis.zadd(this.KEY, ...[...this.local.keys()].flatMap((u) => [exp, u]));
    await this.redis.zremrangebyscore(this.KEY, '-inf', Date.now());
  }

  close(): void {
    clearInterval(this.timer);
  }
}
