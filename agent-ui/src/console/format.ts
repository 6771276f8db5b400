// Small display helpers shared by list, bubbles and panel.
import { i18n } from './i18n';

/** Dates and times follow the UI language (not the browser's): zh shows 07:49, not 07:49 AM. */
export function uiLocaleTag(locale: string = String(i18n.global.locale.value)): string {
  return locale === 'zh' ? 'zh-CN' : 'en-US';
}
export function relativeTime(iso: string, now: number, t: (k: string, p?: Record<string, unknown>) => string): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '';
  if (s < 60) return t('time.now');
  if (s < 3600) return t('time.m', { n: Math.floor(s / 60) });
  if (s < 86400) return t('time.h', { n: Math.floor(s / 3600) });
  if (s < 86400 * 7) return t('time.d', { n: Math.floor(s / 86400) });
  return new Date(iso).toLocaleDateString(uiLocaleTag());
}

export function clockTime(iso: string, locale?: string): string {
  const d = new Date(iso);
  return d.toLocaleTimeString(uiLocaleTag(locale), { hour: '2-digit', minute: '2-digit' });
}

export function fileSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
