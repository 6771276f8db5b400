import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { localErrors, useSave } from './useSave';

const t = (key: string, named?: Record<string, unknown>) => (named ? `${key} ${JSON.stringify(named)}` : key);

describe('an admin form submit', () => {
  it('local checks: a taken id first, then a skill named twice; nothing otherwise', () => {
    expect(localErrors({ idTaken: true, skills: [{ name: 'a', level: '1' }, { name: 'a', level: '2' }] }, t)).toEqual({ id: 'admin.err.idTaken' });
    expect(localErrors({ skills: [{ name: 'a', level: '1' }, { name: 'a', level: '2' }] }, t)).toEqual({ skills: 'admin.err.duplicateSkill {"names":"a"}' });
    expect(localErrors({ idTaken: false, skills: [{ name: 'a', level: '1' }] }, t)).toBeNull();
    expect(localErrors({}, t)).toBeNull();
  });

  it('a local check that fails: its words beside the field, nothing saved, not busy', async () => {
    const s = useSave(t);
    let saved = false;
    await s.run({ idTaken: true }, async () => { saved = true; });
    expect(saved).toBe(false);
    expect(s.errs.value).toEqual({ id: 'admin.err.idTaken' });
    expect(s.bad('id')).toBe(true);
    expect(s.busy.value).toBe(false);
  });

  it('busy while saving; a refusal above Save and beside the fields it names; the next submit clears both', async () => {
    const s = useSave(t);
    let busyDuring = false;
    await s.run({}, async () => {
      busyDuring = s.busy.value;
      throw new ApiError(400, 'invalid_body', 'hours.tz: not a known IANA time zone');
    });
    expect(busyDuring).toBe(true);
    expect(s.busy.value).toBe(false);
    expect(s.error.value).toEqual({ code: 'invalid_body', message: 'hours.tz: not a known IANA time zone' });
    expect(s.errs.value).toEqual({ 'hours.tz': 'not a known IANA time zone' });
    expect(s.bad('hours')).toBe(true);

    let during: unknown;
    await s.run({}, async () => { during = { error: s.error.value, errs: s.errs.value }; });
    expect(during).toEqual({ error: null, errs: {} });
    expect(s.error.value).toBeNull();
    expect(s.errs.value).toEqual({});
  });

  it('an error that is not the hub\'s: a generic refusal, no field named', async () => {
    const s = useSave(t);
    await s.run({}, async () => { throw new Error('Failed to fetch'); });
    expect(s.error.value).toEqual({ code: 'generic', message: 'Failed to fetch' });
    expect(s.errs.value).toEqual({});
  });
});
