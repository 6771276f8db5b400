/** Condition nodes (gateway/ivr/conditions.ts): evaluated from the call, the caller and the clock. */
import { expect, test } from 'vitest';
import { evaluate, localTime } from '../../gateway/ivr/conditions.js';
import { emptyProfile } from '../../gateway/ivr/ranking.js';

// 2026-12-03 is a Thursday; 02:30 UTC is 10:30 in Shanghai.
const at = (iso: string) => ({ called: '+95588800', profile: { ...emptyProfile(), tier: 'gold', segment: 'retail', language: 'zh', openCases: ['complaint'] }, now: new Date(iso) });
const week = { '4': [{ from: '08:00', to: '12:00' }, { from: '13:00', to: '20:00' }] };

test('local time in the flow time zone', () => {
  expect(localTime(new Date('2026-12-03T02:30:00Z'), 'Asia/Shanghai')).toEqual({ day: '4', date: '2026-12-03', hhmm: '10:30' });
  expect(localTime(new Date('2026-12-03T20:30:00Z'), 'Asia/Shanghai')).toEqual({ day: '5', date: '2026-12-04', hhmm: '04:30' });
});

test('business hours: inside an interval, in the lunch gap, on another day, on a holiday', () => {
  const c = { kind: 'businessHours' as const, tz: 'Asia/Shanghai', week, holidays: [] as string[] };
  expect(evaluate(c, at('2026-12-03T02:30:00Z'))).toBe(true); // Thu 10:30
  expect(evaluate(c, at('2026-12-03T04:30:00Z'))).toBe(false); // Thu 12:30, lunch
  expect(evaluate(c, at('2026-12-03T12:00:00Z'))).toBe(false); // Thu 20:00, closed (end exclusive)
  expect(evaluate(c, at('2026-12-04T02:30:00Z'))).toBe(false); // Fri: no hours
  expect(evaluate({ ...c, holidays: ['2026-12-03'] }, at('2026-12-03T02:30:00Z'))).toBe(false);
});

test('time of day, also over midnight', () => {
  const night = { kind: 'timeOfDay' as const, tz: 'Asia/Shanghai', from: '22:00', to: '06:00' };
  expect(evaluate(night, at('2026-12-03T15:00:00Z'))).toBe(true); // 23:00
  expect(evaluate(night, at('2026-12-03T21:00:00Z'))).toBe(true); // 05:00
  expect(evaluate(night, at('2026-12-03T02:30:00Z'))).toBe(false); // 10:30
});

test('tier, segment, language, called number, open case — and an unknown caller matches none of the caller tests', () => {
  const x = at('2026-12-03T02:30:00Z');
  expect(evaluate({ kind: 'tier', in: ['gold', 'vip'] }, x)).toBe(true);
  expect(evaluate({ kind: 'segment', in: ['corporate'] }, x)).toBe(false);
  expect(evaluate({ kind: 'language', in: ['zh'] }, x)).toBe(true);
  expect(evaluate({ kind: 'calledNumber', in: ['95588800'] }, x)).toBe(true);
  expect(evaluate({ kind: 'openCase' }, x)).toBe(true);
  const unknown = { ...x, profile: null };
  for (const c of [{ kind: 'tier', in: ['standard'] }, { kind: 'segment', in: ['retail'] }, { kind: 'language', in: ['zh'] }, { kind: 'openCase' }] as const) expect(evaluate(c as never, unknown)).toBe(false);
});
