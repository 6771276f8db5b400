// A queue definition as its form holds it (strings for numbers, rows for skills, relaxation and
// business hours) and back to the body of PUT /api/admin/queues/:id, which replaces the whole
// definition: every field is sent, so nothing silently falls back to a default.
import type { AdminQueue, AdminQueueBody, AutoAcceptChannel, BusinessHours, Locale, Strategy, Weekday } from '../../types';
import { num, skillsFromRows, skillsToRows, type NumField, type SkillRow } from './forms';

export const STRATEGIES: Strategy[] = ['longest-idle', 'least-occupied', 'most-skilled', 'round-robin'];
export const AUTO_ACCEPT: AutoAcceptChannel[] = ['webchat', 'email', 'sms', 'fax'];
/** Monday first, as the bank's staff read a week; '0' is Sunday in the hub's model. */
export const WEEKDAYS: Weekday[] = ['1', '2', '3', '4', '5', '6', '0'];

export interface Interval { from: string; to: string }
export interface HoursForm {
  /** No business hours: open around the clock. */
  always: boolean;
  tz: string;
  week: Record<Weekday, Interval[]>;
}
export interface QueueForm {
  id: string;
  labelEn: string; labelZh: string;
  skills: SkillRow[];
  strategy: Strategy;
  slPct: NumField; slSeconds: NumField;
  autoAccept: AutoAcceptChannel[];
  offerTimeoutSec: NumField; wrapUpSec: NumField; stickySec: NumField; defaultAhtSec: NumField;
  relax: { afterSec: NumField; minProficiency: NumField }[];
  overflowOn: boolean; overflowQueue: string; overflowAfterSec: NumField;
  hours: HoursForm;
  afterHours: 'offline' | 'overflow'; afterHoursQueue: string;
}

/** The hub's defaults for a new queue (hub/api/admin-routes.ts QueueBody). */
export const QUEUE_DEFAULTS = {
  strategy: 'longest-idle' as Strategy, serviceLevel: { pct: 80, seconds: 20 }, autoAccept: [...AUTO_ACCEPT], offerTimeoutSec: 20,
  wrapUpSec: 30, stickySec: 30, defaultAhtSec: 180,
};
export const DEFAULT_TZ = 'Asia/Shanghai';

const emptyWeek = (): Record<Weekday, Interval[]> => ({ '0': [], '1': [], '2': [], '3': [], '4': [], '5': [], '6': [] });

export function hoursToForm(h: BusinessHours | null | undefined): HoursForm {
  const week = emptyWeek();
  for (const d of WEEKDAYS) week[d] = (h?.week[d] ?? []).map(([from, to]) => ({ from, to }));
  return { always: !h, tz: h?.tz ?? DEFAULT_TZ, week };
}
/**
 * null = around the clock. Otherwise only days with intervals are sent (a missing day is closed); rows
 * left completely empty are dropped, half-filled ones go as typed so the hub can name them.
 */
export function hoursFromForm(f: HoursForm): BusinessHours | null {
  if (f.always) return null;
  const week: BusinessHours['week'] = {};
  for (const d of WEEKDAYS) {
    const rows = f.week[d].filter((i) => i.from.trim() || i.to.trim()).map((i) => [i.from.trim(), i.to.trim()] as [string, string]);
    if (rows.length) week[d] = rows;
  }
  return { tz: f.tz.trim(), week };
}
/** Business hours with no open interval at all: the queue is always closed (worth a warning). */
export const alwaysClosed = (f: HoursForm) => !f.always && WEEKDAYS.every((d) => !f.week[d].some((i) => i.from.trim() || i.to.trim()));

export function queueToForm(q: AdminQueue | null): QueueForm {
  const d = q?.definition;
  return {
    id: q?.id ?? '',
    labelEn: q?.label.en ?? '', labelZh: q?.label.zh ?? '',
    skills: skillsToRows(d?.skills),
    strategy: d?.strategy ?? QUEUE_DEFAULTS.strategy,
    slPct: String(d?.serviceLevel.pct ?? QUEUE_DEFAULTS.serviceLevel.pct),
    slSeconds: String(d?.serviceLevel.seconds ?? QUEUE_DEFAULTS.serviceLevel.seconds),
    autoAccept: d ? [...d.autoAccept] : [...QUEUE_DEFAULTS.autoAccept],
    offerTimeoutSec: String(d?.offerTimeoutSec ?? QUEUE_DEFAULTS.offerTimeoutSec),
    wrapUpSec: String(d?.wrapUpSec ?? QUEUE_DEFAULTS.wrapUpSec),
    stickySec: String(d?.stickySec ?? QUEUE_DEFAULTS.stickySec),
    defaultAhtSec: String(d?.defaultAhtSec ?? QUEUE_DEFAULTS.defaultAhtSec),
    relax: (d?.relax ?? []).map((r) => ({ afterSec: String(r.afterSec), minProficiency: String(r.minProficiency) })),
    overflowOn: !!d?.overflow, overflowQueue: d?.overflow?.queue ?? '', overflowAfterSec: d?.overflow ? String(d.overflow.afterSec) : '',
    hours: hoursToForm(d?.hours),
    afterHours: d?.afterHours.action ?? 'offline',
    afterHoursQueue: d?.afterHours.action === 'overflow' ? d.afterHours.queue : '',
  };
}

/** Numbers the form leaves empty go as null, which the hub refuses naming the field (rather than a silent default). */
const req = (s: NumField): number => num(s) ?? (null as unknown as number);

export function queueBody(f: QueueForm): AdminQueueBody {
  const label: AdminQueueBody['label'] = {};
  if (f.labelEn.trim()) label.en = f.labelEn.trim();
  if (f.labelZh.trim()) label.zh = f.labelZh.trim();
  return {
    label,
    skills: skillsFromRows(f.skills),
    strategy: f.strategy,
    serviceLevel: { pct: req(f.slPct), seconds: req(f.slSeconds) },
    autoAccept: AUTO_ACCEPT.filter((c) => f.autoAccept.includes(c)),
    offerTimeoutSec: req(f.offerTimeoutSec),
    wrapUpSec: req(f.wrapUpSec),
    relax: f.relax.filter((r) => num(r.afterSec) !== undefined || num(r.minProficiency) !== undefined).map((r) => ({ afterSec: req(r.afterSec), minProficiency: req(r.minProficiency) })),
    overflow: f.overflowOn ? { afterSec: req(f.overflowAfterSec), queue: f.overflowQueue } : null,
    stickySec: req(f.stickySec),
    hours: hoursFromForm(f.hours),
    afterHours: f.afterHours === 'overflow' ? { action: 'overflow', queue: f.afterHoursQueue } : { action: 'offline' },
    defaultAhtSec: req(f.defaultAhtSec),
  };
}

/** The label in the console's language, else the other one, else the id. */
export function queueLabel(q: Pick<AdminQueue, 'id' | 'label'>, locale: Locale | string): string {
  const { en, zh } = q.label ?? {};
  return (locale === 'zh' ? zh || en : en || zh) || q.id;
}
/** "Mon 08:00–20:00, Sat 09:00–12:00 13:00–17:00" style summary for the list, with the day names given. */
export function hoursSummary(h: BusinessHours | null, dayName: (d: Weekday) => string): string | null {
  if (!h) return null;
  const days = WEEKDAYS.filter((d) => h.week[d]?.length).map((d) => `${dayName(d)} ${h.week[d]!.map(([a, b]) => `${a}–${b}`).join(' ')}`);
  return days.join(', ');
}
