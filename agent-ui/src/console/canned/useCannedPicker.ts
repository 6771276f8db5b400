// The reply box's "/" search: watches the text before the caret for "/query", offers matching canned
// replies, and on a pick replaces "/query" with the reply in the customer's language, variables filled.
import { computed, nextTick, ref, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { useCannedStore } from '../stores/canned';
import { useConversationsStore } from '../stores/conversations';
import { useAuthStore } from '../stores/auth';
import { maskSensitive } from '../../mask';
import type { CannedReply } from '../../types';
import { fillVariables, matchCanned, pickText, replyLang, slashQuery } from './logic';

export function useCannedPicker(convId: () => string, text: Ref<string>, area: Ref<HTMLTextAreaElement | null>) {
  const { locale } = useI18n();
  const canned = useCannedStore();
  const convs = useConversationsStore();
  const auth = useAuthStore();
  const query = ref<string | null>(null);
  const active = ref(0);

  const customer = computed(() => convs.customers[convId()]?.customer);
  const lang = computed(() => replyLang(customer.value?.language, String(locale.value)));
  const matches = computed(() => (query.value === null ? [] : matchCanned(canned.items, query.value, lang.value)));
  const open = computed(() => query.value !== null);
  const vars = computed(() => ({
    customer: { name: maskSensitive(customer.value?.name ?? convs.byId[convId()]?.customer.name ?? ''), tier: customer.value?.tier ?? '' },
    agent: { name: auth.user?.name ?? '' },
  }));
  const render = (r: CannedReply) => fillVariables(pickText(r, lang.value), vars.value);

  /** Read "/query" before the caret again (after typing or moving the caret). */
  function update() {
    const el = area.value;
    const q = el ? slashQuery(text.value.slice(0, el.selectionStart ?? text.value.length)) : null;
    if (q !== null && query.value === null) { active.value = 0; void canned.loadFor(auth.user?.id); }
    if (q !== query.value) active.value = 0;
    query.value = q;
  }
  function close() { query.value = null; }

  async function pick(r: CannedReply) {
    const el = area.value;
    const caret = el?.selectionStart ?? text.value.length;
    const before = text.value.slice(0, caret);
    const start = before.lastIndexOf('/');
    const body = render(r);
    text.value = before.slice(0, start) + body + text.value.slice(caret);
    query.value = null;
    await nextTick();
    const at = start + body.length;
    el?.focus();
    el?.setSelectionRange(at, at);
  }

  /** Keys while the list is open; true when the key was the picker's. */
  function onKey(e: KeyboardEvent): boolean {
    if (!open.value || e.isComposing) return false;
    const n = matches.value.length;
    if (e.key === 'ArrowDown' && n) active.value = (active.value + 1) % n;
    else if (e.key === 'ArrowUp' && n) active.value = (active.value + n - 1) % n;
    else if ((e.key === 'Enter' || e.key === 'Tab') && n && !e.shiftKey) void pick(matches.value[Math.min(active.value, n - 1)]);
    else if (e.key === 'Escape') { close(); e.stopPropagation(); }
    else return false;
    e.preventDefault();
    return true;
  }
  const activeId = computed(() => (open.value && matches.value[active.value] ? `canned-opt-${matches.value[active.value].id}` : undefined));
  return { open, matches, active, activeId, update, pick, onKey, close, render, state: computed(() => canned.state) };
}
