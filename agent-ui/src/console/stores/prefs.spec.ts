import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFS, readPrefs } from './prefs';

describe('console preferences', () => {
  it('takes stored booleans over the defaults and ignores anything else', () => {
    expect(readPrefs(null)).toEqual(DEFAULT_PREFS);
    expect(readPrefs('not json')).toEqual(DEFAULT_PREFS);
    expect(readPrefs(JSON.stringify({ enterSends: false, sound: 'yes', extra: 1 }))).toEqual({ ...DEFAULT_PREFS, enterSends: false });
  });
});
