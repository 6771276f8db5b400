import { ApiError } from '../api';
/** A hub error as a sentence for the user: known ACD codes are translated, others show their code. */
export function acdErrorText(e: unknown, t: (k: string, p?: Record<string, unknown>) => string, te: (k: string) => boolean): string {
  const code = e instanceof ApiError ? e.code : typeof e === 'string' ? e : 'generic';
  return te(`acd.err.${code}`) ? t(`acd.err.${code}`) : t('acd.err.generic', { code: e instanceof Error && !(e instanceof ApiError) ? e.message : code });
}
