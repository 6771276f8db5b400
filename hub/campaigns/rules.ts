/**
 * Rules the hub enforces on every marketing send (not the form): quiet hours in the customer's time
 * zone, and a frequency cap per customer across campaigns and channels.
 */
import type { Redis } from 'ioredis';

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The local wall-clock minutes of the day and the offset to UTC at `at` in a time zone. */
function local(at: Date, timeZone: string): { minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { minute: (get('hour') % 24) * 60 + get('minute'), second: get('second') };
}

export function validTimeZone(tz: string | null | undefined): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * When quiet hours end if `at` falls inside them in `timeZone`, else null. Quiet hours [start, end)
 * may wrap midnight (21:00–08:00).
 */
export function quietUntil(at: Date, timeZone: string, quiet: { start: string; end: string }): Date | null {
  const s = minutes(quiet.start);
  const e = minutes(quiet.end);
  if (s === e) return null;
  const { minute, second } = local(at, timeZone);
  const inside = s < e ? minute >= s && minute < e : minute >= s || minute < e;
  if (!inside) return null;
  const wait = (e - minute + 1440) % 1440;
  return new Date(at.getTime() + wait * 60_000 - second * 1000 - (at.getTime() % 1000));
}

/**
 * KEYS[1] the customer's sorted set of marketing sends (member: recipient key, score: ms).
 * ARGV: now ms, window ms, cap, member. Returns 1 when the send may go (also when this member holds a
 * slot already: a retry of the same recipient), 0 when the cap is reached. One script, so two hubs
 * sending two campaigns to one customer at once cannot both take the last slot.
 */
const RESERVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export class FrequencyCap {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cap: { count: number; days: number },
  ) {
    if (!(redis as unknown as { cchubCapReserve?: unknown }).cchubCapReserve) redis.defineCommand('cchubCapReserve', { numberOfKeys: 1, lua: RESERVE });
  }

  /** Take a slot for this recipient at `now` (idempotent per recipient); false when the customer has had enough. */
  async reserve(customerId: string, recipientKey: string, now: Date): Promise<boolean> {
    const r = await (this.redis as unknown as { cchubCapReserve(k: string, ...a: (string | number)[]): Promise<number> }).cchubCapReserve(`${this.prefix}:cmp:cap:${customerId}`, now.getTime(), Math.round(this.cap.days * 86_400_000), this.cap.count, recipientKey);
    return r === 1;
  }

  /** Give a slot back (the send failed for good: nothing reached the customer). */
  async release(customerId: string, recipientKey: string): Promise<void> {
    await this.redis.zrem(`${this.prefix}:cmp:cap:${customerId}`, recipientKey);
  }
}
