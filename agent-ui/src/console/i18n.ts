import { createI18n } from 'vue-i18n';
import en from './locales/en';
import zh from './locales/zh';
import type { Locale } from '../types';

const KEY = 'cchub.console.locale';

export function initialLocale(): Locale {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const i18n = createI18n({ legacy: false, locale: initialLocale(), fallbackLocale: 'en', messages: { en, zh } });

export function setLocale(l: Locale) {
  i18n.global.locale.value = l;
  localStorage.setItem(KEY, l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}
