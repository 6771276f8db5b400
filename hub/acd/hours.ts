import type { BusinessHours } from './types.js';

const fmtCache = new Map<string, Intl.DateTimeFormat>();

/** Is `now` inside the business hours (local time of hours.tz)? No hours = always open (24x7). */
export function isOpen(hours: BusinessHours | undefined, now: number): boolean {
  if (!hours) return true;
  let fmt = fmtCache.get(hours.tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: hours.tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    fmtCache.set(hours.tz, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday) as 0 | 1 | 2 | 3 | 4 | 5 | 6;
  const hhmm = `${parts.hour}:${parts.minute}`;
  return (hours.week[day] ?? []).some(([from, to]) => hhmm >= from && hhmm < to);
}
