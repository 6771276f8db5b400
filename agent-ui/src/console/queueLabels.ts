import { onMounted, ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { api } from './api';

type QueueLabel = { id: string; label: { en: string; zh: string }; serviceLevelSec?: number };
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

/** A queue's answer target in seconds (its service level), for the response timer; 20 s until known. */
export function useQueueTarget() {
  const rows = ref<QueueLabel[]>([]);
  onMounted(() => { queueLabels().then((r) => { rows.value = r; }, () => undefined); });
  return (id: string): number => rows.value.find((x) => x.id === id)?.serviceLevelSec ?? 20;
}
