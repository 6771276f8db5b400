/**
 * A flood guard for the events of one socket.io connection: a token bucket per socket, in memory (a
 * connection lives on one process). Events over the budget are refused before any handler runs: an
 * event with an ack gets `{ ok: false, error: { code: 'rate_limited' } }`, one without is dropped, and a
 * connection that keeps flooding is closed. Synchronous on purpose: an async check (e.g.
 * rate-limiter-flexible's RateLimiterMemory) would let a later event overtake an earlier one, and a
 * visitor's messages must reach ingest in the order they were sent.
 *
 * This bounds what one connection can make the hub do (a history read, a store update per `read`, a
 * relay per `typing`); the per-visitor message limit across hubs is lib/rate-limit.ts, and the
 * per-IP session limit is in channels/webchat/http.ts.
 */
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import { errorBody, rateLimited } from './errors.js';

export interface EventBudget {
  /** Events per second, sustained. */
  perSecond: number;
  /** Events allowed at once after a quiet spell. */
  burst: number;
  /** Refused events in a row after which the connection is closed. */
  disconnectAfter: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.at = now;
  }

  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function guardEvents(socket: Socket, budget: EventBudget, log: Logger): void {
  const bucket = new TokenBucket(budget.perSecond, budget.burst);
  let refusedInARow = 0;
  socket.use((packet, next) => {
    if (bucket.take()) {
      refusedInARow = 0;
      return next();
    }
    refusedInARow++;
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') ack({ ok: false, error: errorBody(rateLimited('too many events on this connection; slow down')).body.error });
    if (refusedInARow === budget.disconnectAfter) {
      log.warn({ nsp: socket.nsp.name, socket: socket.id, event: String(packet[0]).slice(0, 64) }, 'socket flooding events: disconnected');
      socket.disconnect(true);
    }
  });
}
