import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Connection errors of one Redis client in the hub's log (ioredis prints "Unhandled error event" to
 * stderr for a client without an 'error' listener), at most one line per client per 10 s: while
 * Redis is down a client retries many times a second. The client reconnects by itself.
 */
export function logRedisErrors(client: Redis, log: Logger, name: string): Redis {
  let last = 0;
  client.on('error', (e: Error) => {
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    log.warn({ redis: name, err: e.message }, 'Redis connection error (reconnecting)');
  });
  return client;
}
