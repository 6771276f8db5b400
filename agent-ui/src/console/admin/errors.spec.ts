import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { errorFor, fieldErrors, formError, hasError, messagesFor } from './errors';

describe('server refusals next to their fields', () => {
  it('invalid_body: each "path: message" part goes to its field; a body-level part does not', () => {
    const e = new ApiError(400, 'invalid_body', 'capacity.webchat: Too big: expected number to be <=50; hours.tz: not a known IANA time zone; body: Unrecognized key: "x"');
    expect(fieldErrors(e)).toEqual({ 'capacity.webchat': 'Too big: expected number to be <=50', 'hours.tz': 'not a known IANA time zone' });
  });
  it('keeps skill names with colons and dots in the path', () => {
    const e = new ApiError(400, 'invalid_body', 'skills.lang:zh: Too big: expected number to be <=10');
    expect(fieldErrors(e)).toEqual({ 'skills.lang:zh': 'Too big: expected number to be <=10' });
  });
  it('codes that stand for one field', () => {
    expect(fieldErrors(new ApiError(409, 'username_taken', 'the username x is taken'))).toEqual({ username: 'the username x is taken' });
    expect(fieldErrors(new ApiError(400, 'unknown_team', 'unknown team: t'))).toEqual({ team: 'unknown team: t' });
    expect(fieldErrors(new ApiError(400, 'unknown_queue', 'unknown queue(s): q'))).toEqual({ queues: 'unknown queue(s): q' });
    expect(fieldErrors(new ApiError(400, 'bad_request', 'a queue id is lower-case letters, digits, _ and - (up to 32)'))).toEqual({ id: 'a queue id is lower-case letters, digits, _ and - (up to 32)' });
  });
  it('nothing field-level for other refusals or non-API errors', () => {
    expect(fieldErrors(new ApiError(400, 'invalid_body', 'a queue cannot overflow into itself'))).toEqual({});
    expect(fieldErrors(new ApiError(409, 'self_lockout', 'you cannot disable your own account'))).toEqual({});
    expect(fieldErrors(new Error('boom'))).toEqual({});
  });
  it('errorFor: the field and everything under it, naming the sub-path', () => {
    const errs = { 'hours.week.1.0': 'an interval ends after it starts', 'hours.tz': 'bad zone', 'hours.week.10': 'x' };
    expect(errorFor(errs, 'hours.tz')).toBe('bad zone');
    expect(errorFor(errs, 'hours.week.1')).toBe('0: an interval ends after it starts');
    expect(errorFor(errs, 'hours.week.2')).toBe('');
    expect(errorFor(errs, 'hours')).toContain('tz: bad zone');
  });
  it('hasError and messagesFor: marked fields, and the words without the index paths', () => {
    const errs = { 'hours.week.1.0': 'an interval ends after it starts', 'hours.week.1.1.0': 'a time is HH:MM, 00:00-24:00', 'hours.week.1.2': 'an interval ends after it starts' };
    expect(hasError(errs, 'hours.week.1.1')).toBe(true);
    expect(hasError(errs, 'hours.week.1.3')).toBe(false);
    expect(hasError(errs, 'hours.week.1')).toBe(true);
    expect(messagesFor(errs, 'hours.week.1')).toBe('an interval ends after it starts; a time is HH:MM, 00:00-24:00');
  });
  it('formError keeps the code and the server message', () => {
    expect(formError(new ApiError(409, 'team_in_use', 'the team still has 1 member(s): move them first'))).toEqual({ code: 'team_in_use', message: 'the team still has 1 member(s): move them first' });
    expect(formError(new Error('x'))).toEqual({ code: 'generic', message: 'x' });
  });
});
