// The signed-in user's routing state (ACD) and the offers ringing for them. Socket events and HTTP
// answers both go through applyAgent()/offers so stale versions are dropped in one place.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, ApiError, type SettableState } from '../api';
import { acceptAgent, clockSkew, toLocalOffer, upsertOffer, liveOffers, type LocalOffer } from '../acd/logic';
import { useConversationsStore } from './conversations';
import type { AgentView, Channel, ConversationSummary, NotReadyReason, Offer } from '../../types';

const KEEP_EXPIRED_MS = 10_000;

export const useAcdStore = defineStore('acd', () => {
  const me = ref<AgentView | null>(null);
  const offers = ref<LocalOffer[]>([]);
  /** Hub clock minus ours (ms), so countdowns match the hub's deadlines. */
  const skewMs = ref(0);
  /** The contact missed by ring-no-answer, for the notice (cleared when the agent becomes available or dismisses it). */
  const missed = ref<{ name: string; channel: Channel } | null>(null);
  const ronaDismissed = ref(false);
  const changing = ref(false);
  const error = ref('');
  const offerBusy = ref<Record<string, 'accept' | 'reject'>>({});
  const offerError = ref<Record<string, string>>({});
  let errorTimer: ReturnType<typeof setTimeout> | undefined;

  const ronaActive = computed(() => !ronaDismissed.value && me.value?.state === 'notready' && me.value.reason === 'rona');

  function reset() {
    me.value = null;
    offers.value = [];
    gone.clear();
    missed.value = null;
    ronaDismissed.value = false;
    error.value = '';
    offerBusy.value = {};
    offerError.value = {};
  }

  function showError(msg: string) {
    error.value = msg;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { error.value = ''; }, 6000);
  }

  function applyAgent(a: AgentView | null, stamp?: string): boolean {
    if (!a) return false;
    if (!acceptAgent(me.value, a, stamp)) return false;
    const prev = me.value;
    me.value = { ...a, updatedAt: stamp ?? a.updatedAt };
    if (a.state !== 'notready' || a.reason !== 'rona') { ronaDismissed.value = false; if (prev?.reason === 'rona') missed.value = null; }
    // not ready or logged out: the hub has withdrawn whatever was ringing (a logout sends no offer.withdrawn)
    if (a.state === 'notready' || a.state === 'offline') { forget(offers.value); offers.value = []; }
    return true;
  }

  function addOffer(o: Offer, serverNow?: string) {
    if (serverNow) skewMs.value = clockSkew(serverNow, Date.now());
    offers.value = upsertOffer(liveOffers(offers.value, Date.now()), toLocalOffer(o, skewMs.value, Date.now()));
  }
  /** Offers that left the list lately, so a late offer.withdrawn (rona) can still name the contact. */
  const gone = new Map<string, { name: string; channel: Channel }>();
  function forget(list: LocalOffer[]) {
    for (const o of list) gone.set(o.conversation.id, { name: o.conversation.customer.name, channel: o.conversation.channel });
    while (gone.size > 20) gone.delete(gone.keys().next().value as string);
  }
  function removeOffer(id: string) {
    forget(offers.value.filter((o) => o.conversation.id === id));
    offers.value = offers.value.filter((o) => o.conversation.id !== id);
    delete offerBusy.value[id];
    delete offerError.value[id];
  }
  /**
   * Forget offers whose deadline passed a while ago (cards hide at the deadline itself; the entry is
   * kept a few seconds so the hub's offer.withdrawn can still name the missed contact).
   */
  function prune(now = Date.now()) {
    const live = liveOffers(offers.value, now - KEEP_EXPIRED_MS);
    if (live !== offers.value) { forget(offers.value.filter((o) => !live.includes(o))); offers.value = live; }
  }

  /** On load and after every (re)connect: the hub's view of our state and pending offers. */
  async function restore() {
    const asked = Date.now();
    try {
      const r = await api.acdMe();
      if (r.agent?.updatedAt) skewMs.value = clockSkew(r.agent.updatedAt, Date.now());
      applyAgent(r.agent);
      // the answer is the truth for offers, except ones that rang after we asked
      const fresh = offers.value.filter((o) => o.receivedAt > asked);
      offers.value = [];
      for (const o of r.offers) addOffer(o);
      for (const o of fresh) offers.value = upsertOffer(offers.value, o);
    } catch { /* not fatal: the next agent.state event or reconnect fills it in */ }
  }

  function onAgentState(p: { agent: AgentView; updatedAt: string }) {
    skewMs.value = clockSkew(p.updatedAt, Date.now());
    applyAgent(p.agent, p.updatedAt);
  }
  function onOfferCreated(p: { conversation: ConversationSummary; deadline: string; updatedAt: string }) {
    addOffer({ conversation: p.conversation, deadline: p.deadline }, p.updatedAt);
  }
  function onOfferWithdrawn(p: { conversationId: string; reason: 'rona' | 'rejected' }) {
    const o = offers.value.find((x) => x.conversation.id === p.conversationId);
    if (p.reason === 'rona') {
      missed.value = o ? { name: o.conversation.customer.name, channel: o.conversation.channel } : gone.get(p.conversationId) ?? missed.value;
      ronaDismissed.value = false;
    }
    removeOffer(p.conversationId);
  }

  function describe(e: unknown): string { return e instanceof ApiError ? e.code : (e as Error).message; }

  async function setState(state: SettableState, reason?: NotReadyReason) {
    changing.value = true;
    try {
      applyAgent((await api.setMyState(state, reason)).agent);
      if (state === 'available') missed.value = null;
    } catch (e) { showError(describe(e)); } finally { changing.value = false; }
  }
  async function endWrapUp() {
    changing.value = true;
    try { applyAgent((await api.endWrapUp()).agent); } catch (e) { showError(describe(e)); } finally { changing.value = false; }
  }

  /** Accept an offer; answers the conversation so the caller can open it, or null on failure. */
  async function accept(id: string): Promise<ConversationSummary | null> {
    if (offerBusy.value[id]) return null;
    offerBusy.value[id] = 'accept';
    delete offerError.value[id];
    try {
      const { conversation } = await api.acceptOffer(id);
      useConversationsStore().applyConversation(conversation);
      removeOffer(id);
      return conversation;
    } catch (e) {
      delete offerBusy.value[id];
      // invalid_state: withdrawn or taken meanwhile; the card goes, the error stays in the header
      if (e instanceof ApiError && e.code === 'invalid_state') { removeOffer(id); showError(e.code); } else offerError.value[id] = describe(e);
      return null;
    }
  }
  async function reject(id: string) {
    if (offerBusy.value[id]) return;
    offerBusy.value[id] = 'reject';
    delete offerError.value[id];
    try {
      await api.rejectOffer(id);
      removeOffer(id);
    } catch (e) {
      delete offerBusy.value[id];
      if (e instanceof ApiError && e.code === 'invalid_state') removeOffer(id); else offerError.value[id] = describe(e);
    }
  }
  function dismissRona() { ronaDismissed.value = true; }

  return {
    me, offers, skewMs, missed, ronaActive, changing, error, offerBusy, offerError,
    reset, applyAgent, restore, onAgentState, onOfferCreated, onOfferWithdrawn, prune, setState, endWrapUp, accept, reject, dismissRona,
  };
});
