import { onMounted, ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { api } from './api';
import type { WrapUpCode } from '../types';

let cached: Promise<WrapUpCode[]> | null = null;
/** Wrap-up codes rarely change: fetch once per page load (retry after a failure). */
export function wrapUpCodes(): Promise<WrapUpCode[]> {
  cached ??= api.wrapUpCodes().then((r) => r.items).catch((e) => { cached = null; throw e; });
  return cached;
}

/** The wrap-up code's label in the current UI language (the code itself until the codes are loaded). */
export function useWrapUpLabel() {
  const codes = ref<WrapUpCode[]>([]);
  const { locale } = useI18n();
  onMounted(() => { wrapUpCodes().then((c) => { codes.value = c; }, () => undefined); });
  return (code: string): string => {
    const c = codes.value.find((x) => x.code === code);
    return c ? (locale.value === 'zh' ? c.label.zh : c.label.en) || code : code;
  };
}
