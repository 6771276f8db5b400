import { describe, expect, it } from 'vitest';
import type { ComposerTranslation } from 'vue-i18n';
import { ApiError } from '../api';
import { refusalText } from './errorText';

const known = new Set(['admin.err.team_in_use', 'admin.err.generic']);
const t = ((key: string, named?: { msg?: string }) => (named?.msg !== undefined ? `${key}: ${named.msg}` : key)) as unknown as ComposerTranslation;
const te = (k: string) => known.has(k);

describe('a refusal as one text', () => {
  it('the lead for its code, then the server\'s words', () => {
    expect(refusalText(new ApiError(409, 'team_in_use', '2 users are in it'), t, te)).toBe('admin.err.team_in_use\nadmin.serverSays: 2 users are in it');
  });
  it('an unknown code or a failed request: the generic lead', () => {
    expect(refusalText(new ApiError(500, 'boom', 'x'), t, te)).toBe('admin.err.generic\nadmin.serverSays: x');
    expect(refusalText(new Error('Failed to fetch'), t, te)).toBe('admin.err.generic\nadmin.serverSays: Failed to fetch');
  });
});
