// Canned replies: the shared set and the agent's own, read once per sign-in (and after each change
// made here); the reply box searches them with "/".
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '../api';
import type { CannedReply, CannedReplyBody } from '../../types';

export const useCannedStore = defineStore('canned', () => {
  const items = ref<CannedReply[]>([]);
  const state = ref<'idle' | 'loading' | 'ready' | 'error'>('idle');
  const error = ref('');
  let loading: Promise<void> | null = null;
  /** Whose personal replies `items` holds: another sign-in in this tab starts over. */
  let owner: string | null = null;

  function loadFor(userId: string | undefined): Promise<void> {
    if ((userId ?? null) !== owner) { reset(); owner = userId ?? null; }
    return load();
  }
  function load(force = false): Promise<void> {
    if (!force && (state.value === 'ready' || loading)) return loading ?? Promise.resolve();
    if (!items.value.length) state.value = 'loading';
    loading = api.cannedReplies().then(
      (r) => { items.value = r.items; state.value = 'ready'; error.value = ''; },
      (e) => { state.value = 'error'; error.value = (e as Error).message; },
    ).finally(() => { loading = null; });
    return loading;
  }
  async function create(body: CannedReplyBody & { scope: 'shared' | 'personal' }) { await api.createCanned(body); await load(true); }
  async function update(id: string, body: CannedReplyBody) { await api.updateCanned(id, body); await load(true); }
  async function remove(id: string) { await api.deleteCanned(id); await load(true); }
  function reset() { items.value = []; state.value = 'idle'; }
  return { items, state, error, load, loadFor, create, update, remove, reset };
});
