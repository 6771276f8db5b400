// Inbox keyboard: j/k or arrows move, Enter opens, "/" focuses the reply box, Esc goes back.
// Ctrl+Enter (send) belongs to the reply box itself. Keys typed into fields are left alone,
// except Esc, which first leaves the field.
import { onBeforeUnmount, onMounted, type Ref } from 'vue';

interface Opts {
  ids: () => string[];
  cursor: Ref<string | null>;
  open: (id: string) => void;
  back: () => void;
  focusReply: () => boolean;
}

function inField(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  return !!e && (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA' || e.tagName === 'SELECT' || e.isContentEditable);
}

export function useInboxKeys(o: Opts) {
  function move(delta: number) {
    const ids = o.ids();
    if (!ids.length) return;
    const i = o.cursor.value ? ids.indexOf(o.cursor.value) : -1;
    const next = ids[Math.min(ids.length - 1, Math.max(0, i + delta))];
    o.cursor.value = next;
    document.querySelector(`[data-conv-id="${next}"]`)?.scrollIntoView({ block: 'nearest' });
  }
  function onKey(e: KeyboardEvent) {
    if (e.defaultPrevented || e.altKey || e.metaKey) return;
    if (e.key === 'Escape') {
      if (document.querySelector('[data-modal-open]')) return; // the dialog handles its own Esc
      if (inField(e.target)) (e.target as HTMLElement).blur();
      else o.back();
      return;
    }
    if (inField(e.target) || e.ctrlKey) return;
    if (e.key === 'j' || e.key === 'ArrowDown') { e.preventDefault(); move(1); }
    else if (e.key === 'k' || e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'Enter' && o.cursor.value) {
      if ((e.target as HTMLElement | null)?.tagName === 'BUTTON' || (e.target as HTMLElement | null)?.tagName === 'A') return;
      e.preventDefault(); o.open(o.cursor.value);
    } else if (e.key === '/') { if (o.focusReply()) e.preventDefault(); }
  }
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
