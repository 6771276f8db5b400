/**
 * Condition nodes, evaluated purely from the call, the identified caller and the clock (so they are
 * tested without a call): tier, segment, called number, time of day, business hours with holidays,
 * open case, language on file.
 */
import type { Condition } from './flow-schema.js';
import type { CallerProfile } from './ranking.js';

export interface ConditionInput {
  called: string;
  profile: CallerProfile | null;
  now: Date;
}

/** Local weekday ('0' = Sunday), date (YYYY-MM-DD) and time (HH:MM) in a time zone. */
export function localTime(now: Date, tz: string): { day: string; date: string; hhmm: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  const day = String(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday));
  return { day, date: `${parts.year}-${parts.month}-${parts.day}`, hhmm: `${parts.hour}:${parts.minute}` };
}

export function evaluate(c: Condition, x: ConditionInput): boolean {
  const norm = (n: string) => n.replace(/^\+/, '');
  switch (c.kind) {
    case 'tier':
      return !!x.profile?.tier && c.in.includes(x.profile.tier);
    case 'segment':
      return !!x.profile?.segment && c.in.includes(x.profile.segment);
    case 'calledNumber':
      return c.in.some((n) => norm(n) === norm(x.called));
    case 'timeOfDay': {
      const t = localTime(x.now, c.tz).hhmm;
      // A window over midnight (22:00-06:00) is the complement of the day window.
      return c.from <= c.to ? t >= c.from && t < c.to : t >= c.from || t < c.to;
    }
    case 'businessHours': {
      const t = localTime(x.now, c.tz);
      if (c.holidays.includes(t.date)) return false;
      return (c.week[t.day as keyof typeof c.week] ?? []).some((i) => t.hhmm >= i.from && t.hhmm < i.to);
    }
    case 'openCase':
      return (x.profile?.openCases.length ?? 0) > 0;
    case 'language':
      return !!x.profile?.language && c.in.includes(x.profile.language);
  }
}
