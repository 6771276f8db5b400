import type { ComposerTranslation } from 'vue-i18n';

/** The translated lead for a refusal code (the server's own message is shown beside it). */
export function errorLead(code: string, t: ComposerTranslation, te: (k: string) => boolean): string {
  return te(`admin.err.${code}`) ? t(`admin.err.${code}`) : t('admin.err.generic');
}
