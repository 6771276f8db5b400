// Supervisor's live view of queues, agents and waiting contacts (GET /api/acd/overview). Refreshed
// while the view is open: on socket events (throttled to once a second) and by a 5 s poll fallback.
import { defineStore } from 'pinia';
import { uuid } from '../../uuid';
import { ref } from 'vue';
import { api, type SettableState } from '../api';
import { acceptAgent, clockSkew, throttle } from '../acd/logic';
import { useConversationsStore } from './conversations';
import type { AcdOverview, AgentView, ConversationSummary, NotReadyReason } from '../../types';

const POLL_MS = 5000;
const THROTTLE_MS = 1000;

export const useSupervisorStore = defineStore('supervisor', () => {
  const data = ref<AcdOverview | null>(null);
  const state = ref<'idle' | 'loading' | 'error'>('idle');
  const error = ref('');
  /** Customer names of waiting conversations (the overview only has ids). */
  const names = ref<Record<string, { name: string; tier: string }>>({});
  /** When the overview arrived (our clock) and the hub's clock minus ours, for ticking wait times. */
  const receivedAt = ref(0);
  const skewMs = ref(0);
  let users = 0;
  let poll: ReturnType<typeof setInterval> | null = null;
  let inFlight: Promise<void> | null = null;
  let again = false;

  async function load() {
    if (!data.value) state.value = 'loading';
    try {
      const o = await api.acdOverview();
      receivedAt.value = Date.now();
      skewMs.value = clockSkew(o.updatedAt, receivedAt.value);
      data.value = o;
      state.value = 'idle';
      error.value = '';
      void lookupNames(o);
    } catch (e) {
      state.value = 'error';
      error.value = (e as Error).message;
    }
  }
  /** One request at a time; calls meanwhile collapse into one more afterwards. */
  function refresh(): Promise<void> {
    if (inFlight) { again = true; return inFlight; }
    inFlight = load().finally(() => {
      inFlight = null;
      if (again) { again = false; void refresh(); }
    });
    return inFlight;
  }
  const throttled = throttle(() => void refresh(), THROTTLE_MS);

  async function lookupNames(o: AcdOverview) {
    if (!o.waiting.some((w) => !names.value[w.conversationId])) return;
    try {
      const { items } = await api.conversations({ scope: 'all', status: 'queued', limit: 100 });
      const next = { ...names.value };
      for (const c of items) next[c.id] = { name: c.customer.name, tier: c.customer.tier };
      names.value = next;
    } catch { /* names are a nicety: ids are shown instead */ }
  }

  /** The view mounted: load now, then poll. Reference-counted. */
  function start() {
    if (users++ === 0) {
      void refresh();
      poll = setInterval(() => void refresh(), POLL_MS);
    }
  }
  function stop() {
    if (--users > 0) return;
    users = 0;
    if (poll) clearInterval(poll);
    poll = null;
    throttled.cancel();
  }
  /** A socket event that may change the overview (conversation.updated, agent.state, reconnect). */
  function poke() { if (users > 0) throttled(); }

  /** agent.state: update the row at once (the throttled refresh brings the queue counts). */
  function onAgentState(a: AgentView, stamp: string) {
    const o = data.value;
    const i = o?.agents.findIndex((x) => x.id === a.id) ?? -1;
    if (o && i >= 0 && acceptAgent(o.agents[i], a, stamp)) o.agents[i] = { ...o.agents[i], ...a, updatedAt: stamp };
    poke();
  }

  async function act<T>(p: Promise<T>): Promise<T> {
    try { return await p; } finally { void refresh(); }
  }
  const forceState = (agentId: string, s: SettableState, reason?: NotReadyReason) => act(api.forceState(agentId, s, reason));
  /** Conversation actions also update the inbox copy (the socket echo may come later or not at all). */
  async function conv(p: Promise<{ conversation: ConversationSummary }>) {
    const r = await act(p);
    useConversationsStore().applyConversation(r.conversation);
    return r.conversation;
  }
  const move = (id: string, queue: string) => conv(api.move(id, queue));
  const setPriority = (id: string, priority: number) => conv(api.setPriority(id, priority));
  /**
   * Reassign, with an optional handover note: stored first as an internal note on the conversation (never
   * sent to the customer), so the new agent finds it above the chat when it lands with them.
   */
  async function reassign(id: string, agentId: string, force?: boolean, note?: string) {
    const text = note?.trim();
    if (text) await act(api.note(id, text, uuid()));
    return conv(api.reassign(id, agentId, force));
  }
  const takeover = (id: string) => conv(api.takeover(id));

  function reset() { data.value = null; names.value = {}; state.value = 'idle'; error.value = ''; }

  return { data, state, error, names, receivedAt, skewMs, refresh, start, stop, poke, onAgentState, forceState, move, setPriority, reassign, takeover, reset };
});
