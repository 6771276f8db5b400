import { onMounted, ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { api } from './api';

type QueueLabel = { id: string; label: { en: string; zh: string } };
let cached: Promise<QueueLabel[]> | null = null;
/** Queue names change rarely: fetched once per page load (again after a failure). */
function queueLabels(): Promise<QueueLabel[]> {
  cached ??= api.queueLabels().then((r) => r.items).catch((e) => { cached = null; throw e; });
  return cached;
}

/** A queue's name in the UI language, as the supervisor sees it (its id until the names are loaded, or when it has none). */
export function useQueueLabel() {
  const rows = ref<QueueLabel[]>([]);
  const { locale } = useI18n();
  onMounted(() => { queueLabels().then((r) => { rows.value = r; }, () => undefined); });
  return (id: string): string => {
    const q = rows.value.find((x) => x.id === id);
    return (q && (locale.value === 'zh' ? q.label.zh || q.label.en : q.label.en || q.label.zh)) || id;
  };
}
