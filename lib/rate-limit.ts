/**
 * A fixed-window rate limit kept in Redis (so it holds across hub processes), for hot paths: every
 * check made in one turn of the event loop goes to Redis as ONE script call (rate-limiter-flexible,
 * used for logins and sessions, costs a command per check; at 1,000 chat messages/s that was a
 * Redis command and a reply to parse per message). Same semantics as its RateLimiterRedis: a window
 * opens at a key's first point and lasts `durationSec`; at most `points` are granted in it.
 */
import type { Redis } from 'ioredis';
import { AppError, rateLimited } from './errors.js';

/** KEYS: the keys; ARGV[1] window ms, then the points asked per key. Returns each key's new total. */
const CONSUME = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i + 1])
  local total = redis.call('INCRBY', key, n)
  if total == n then redis.call('PEXPIRE', key, ARGV[1]) end
  out[i] = total
end
return out`;

type Waiter = { resolve: () => void; reject: (e: unknown) => void };

export class WindowLimiter {
  private pending = new Map<string, Waiter[]>();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly points: number,
    private readonly durationSec: number,
    private readonly refusal: () => AppError = () => rateLimited(),
  ) {
    if (!(redis as unknown as { cchubWindowConsume?: unknown }).cchubWindowConsume) redis.defineCommand('cchubWindowConsume', { lua: CONSUME });
  }

  /** Resolves if `key` may have one more point in its window; rejects with the refusal otherwise. */
  consume(key: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pending.size === 0) setImmediate(() => this.flush());
      const list = this.pending.get(key);
      if (list) list.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
    });
  }

  private flush(): void {
    const batch = [...this.pending];
    this.pending.clear();
    const keys = batch.map(([k]) => `${this.keyPrefix}:${k}`);
    const call = (this.redis as unknown as { cchubWindowConsume(n: number, ...a: (string | number)[]): Promise<number[]> }).cchubWindowConsume(
      keys.length,
      ...keys,
      this.durationSec * 1000,
      ...batch.map(([, w]) => w.length),
    );
    const failAll = (e: unknown) => {
      for (const [, waiters] of batch) for (const w of waiters) w.reject(e);
    };
    call.then((totals) => {
      if (!Array.isArray(totals) || totals.length !== batch.length) return failAll(new Error('rate limit: unexpected reply from Redis'));
      batch.forEach(([, waiters], i) => {
        // Waiters of one key got consecutive points, in the order they asked.
        const first = Number(totals[i]) - waiters.length + 1;
        waiters.forEach((w, j) => (first + j <= this.points ? w.resolve() : w.reject(this.refusal())));
      });
    }, failAll);
  }
}
