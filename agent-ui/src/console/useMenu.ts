// A button-triggered menu (WAI-ARIA menu button): Enter/Space/↓ open it on the first item, ↑ on the
// last; ↑/↓/Home/End move; Esc or Tab close it (Esc returns focus to the button); a click outside
// closes it. Keys handled here are preventDefault()ed so the inbox shortcuts leave them alone.
import { nextTick, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export function useMenu(root: Ref<HTMLElement | null>, button: Ref<HTMLElement | null>, menu: Ref<HTMLElement | null>) {
  const open = ref(false);
  const items = () => Array.from(menu.value?.querySelectorAll<HTMLElement>('[role^=menuitem]:not([disabled])') ?? []);
  function focusAt(i: number) {
    const list = items();
    if (list.length) list[(i + list.length) % list.length].focus();
  }
  async function show(at: 'first' | 'last' = 'first') {
    open.value = true;
    await nextTick();
    focusAt(at === 'first' ? 0 : -1);
  }
  function hide(refocus = true) {
    if (!open.value) return;
    open.value = false;
    if (refocus) button.value?.focus();
  }
  function onButtonKey(e: KeyboardEvent) {
    if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ') { e.preventDefault(); void show('first'); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); void show('last'); }
  }
  function onMenuKey(e: KeyboardEvent) {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown') { e.preventDefault(); focusAt(i + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); focusAt(i - 1); }
    else if (e.key === 'Home') { e.preventDefault(); focusAt(0); }
    else if (e.key === 'End') { e.preventDefault(); focusAt(-1); }
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); hide(); }
    else if (e.key === 'Tab') hide(false);
  }
  function onDocDown(e: MouseEvent) {
    if (open.value && root.value && !root.value.contains(e.target as Node)) hide(false);
  }
  onMounted(() => document.addEventListener('mousedown', onDocDown));
  onBeforeUnmount(() => document.removeEventListener('mousedown', onDocDown));
  return { open, show, hide, toggle: () => (open.value ? hide() : void show()), onButtonKey, onMenuKey };
}
