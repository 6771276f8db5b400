import type { ComposerTranslation } from 'vue-i18n';
import { formError } from './errors';

/** The translated lead for a refusal code (the server's own message is shown beside it). */
export function errorLead(code: string, t: ComposerTranslation, te: (k: string) => boolean): string {
  return te(`admin.err.${code}`) ? t(`admin.err.${code}`) : t('admin.err.generic');
}

/** A refusal as one text (a confirm dialog's error, a flash): the translated lead, then the server's own words. */
export function refusalText(e: unknown, t: ComposerTranslation, te: (k: string) => boolean): string {
  const f = formError(e);
  return `${errorLead(f.code, t, te)}\n${t('admin.serverSays', { msg: f.message })}`;
}
