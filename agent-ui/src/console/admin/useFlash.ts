// A brief confirmation ("Saved.") or an error next to a section's toolbar; ok fades after 2.5 s.
// The text is a function so it follows a language switch while it shows.
import { computed, onBeforeUnmount, shallowRef } from 'vue';

export function useFlash() {
  const current = shallowRef<{ kind: 'ok' | 'error'; text: () => string } | null>(null);
  const flash = computed(() => (current.value ? { kind: current.value.kind, text: current.value.text() } : null));
  let timer: ReturnType<typeof setTimeout> | undefined;
  function say(kind: 'ok' | 'error', text: () => string) {
    current.value = { kind, text };
    clearTimeout(timer);
    timer = setTimeout(() => { current.value = null; }, kind === 'ok' ? 2500 : 10_000);
  }
  onBeforeUnmount(() => clearTimeout(timer));
  return { flash, say };
}
