// The inbox: summaries for the list, messages and customer details for opened conversations.
// Realtime events and HTTP answers both go through apply*() so stale versions are dropped in one place.
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { api } from '../api';
import { useAuthStore } from './auth';
import { applyRead, byActivity, isPending, isStale, isTransient, matchesFilter, mergeMessage, mergeMessages, time, type ListFilter } from './logic';
import type { ApiError } from '../api';
import type { Attachment, ConversationSummary, Customer, Message, PendingMessage, ShownMessage } from '../../types';
import { uuid } from '../../uuid';

/** An e-mail reply's copy recipients. */
/** What a reply carries besides its text: e-mail copies, and files uploaded for it (a fax's document). */
export interface Copies { cc?: string[]; bcc?: string[]; attachments?: Attachment[] }
/** "a@x.cn, b@y.cn; c@z.cn" → the addresses (empty parts dropped). */
export const splitAddresses = (v: string | undefined): string[] => (v ?? '').split(/[,;\s]+/).map((a) => a.trim()).filter(Boolean);

type LoadState = 'idle' | 'loading' | 'error';
const TYPING_TTL_MS = 6000;

export const useConversationsStore = defineStore('conversations', () => {
  const byId = reactive<Record<string, ConversationSummary>>({});
  const messages = reactive<Record<string, ShownMessage[]>>({});
  const customers = reactive<Record<string, { customer: Customer; history: ConversationSummary[] }>>({});
  const typing = reactive<Record<string, boolean>>({});
  const typingTimers: Record<string, ReturnType<typeof setTimeout>> = {};
  const filter = reactive<ListFilter>({ scope: 'queue', status: '', channel: '', tag: '' });
  const nextCursor = ref<string | null>(null);
  const listState = ref<LoadState>('idle');
  const listError = ref('');
  const activeId = ref<string | null>(null);
  const detailState = ref<LoadState>('idle');
  const detailError = ref('');
  let listGen = 0;
  /** Per conversation: the customer read our replies up to this message (id; its time once known). */
  const readMarks: Record<string, { upTo: string; at?: number }> = {};
  /** Replies written while the hub was unreachable: sent again, same clientId, on reconnect. */
  const unsent = new Map<string, { id: string; text: string; internal: boolean; copies?: Copies }>();
  /** Which user this state belongs to; a different sign-in starts from scratch. */
  const owner = ref<string | null>(null);

  function reset(user: string | null) {
    for (const r of [byId, messages, customers, typing, readMarks]) for (const k of Object.keys(r)) delete (r as Record<string, unknown>)[k];
    unsent.clear();
    Object.assign(filter, { scope: 'queue', status: '', channel: '', tag: '' });
    nextCursor.value = null;
    activeId.value = null;
    listState.value = 'idle';
    owner.value = user;
    listGen++;
  }

  const list = computed(() => {
    const auth = useAuthStore();
    return Object.values(byId).filter((c) => matchesFilter(c, filter, auth.user)).sort(byActivity);
  });
  const active = computed(() => (activeId.value ? byId[activeId.value] ?? null : null));

  /** Every change to a conversation's messages goes through here, so the read mark is never undone. */
  function put(id: string, list: ShownMessage[]) {
    const mark = readMarks[id];
    if (mark && mark.at === undefined) {
      const m = list.find((x) => x.id === mark.upTo);
      if (m) mark.at = time(m.createdAt);
    }
    messages[id] = applyRead(list, mark?.at);
  }

  function applyConversation(c: ConversationSummary, updatedAt = c.updatedAt): boolean {
    if (isStale(byId[c.id], updatedAt ?? c.updatedAt)) return false;
    byId[c.id] = c;
    return true;
  }

  async function fetchList(reset = true) {
    const gen = reset ? ++listGen : listGen;
    listState.value = 'loading';
    listError.value = '';
    try {
      const res = await api.conversations({ ...filter, before: reset ? null : nextCursor.value });
      if (gen !== listGen) return; // filters changed meanwhile
      if (reset) for (const id of Object.keys(byId)) if (id !== activeId.value) delete byId[id];
      res.items.forEach((c) => applyConversation(c));
      nextCursor.value = res.nextCursor;
      listState.value = 'idle';
    } catch (e) {
      if (gen !== listGen) return;
      listState.value = 'error';
      listError.value = (e as Error).message;
    }
  }

  async function open(id: string) {
    activeId.value = id;
    detailState.value = 'loading';
    detailError.value = '';
    try {
      const d = await api.conversation(id);
      if (activeId.value !== id) return;
      applyConversation(d.conversation);
      put(id, mergeMessages(messages[id] ?? [], d.messages));
      customers[id] = { customer: d.customer, history: d.history };
      detailState.value = 'idle';
      void markRead(id);
    } catch (e) {
      if (activeId.value !== id) return;
      detailState.value = 'error';
      detailError.value = (e as Error).message;
    }
  }
  function close() { activeId.value = null; }

  async function markRead(id: string) {
    try { applyConversation((await api.read(id)).conversation); } catch { /* not fatal: badge stays */ }
  }

  function onMessageCreated(p: { message: Message; conversation: ConversationSummary; updatedAt: string }) {
    const id = p.message.conversationId;
    if (messages[id]) put(id, mergeMessage(messages[id], p.message));
    applyConversation(p.conversation, p.conversation.updatedAt ?? p.updatedAt);
    if (p.message.direction === 'in') setTyping(id, false);
    if (id === activeId.value && p.message.direction === 'in' && globalThis.document?.visibilityState === 'visible') void markRead(id);
  }

  /** The customer read our replies up to `upTo` (hub event `message.read`): show them as read. */
  function onCustomerRead(id: string, upTo: string) {
    // Kept even when the message is not here yet (its POST answer may still be on its way): applied when it lands.
    const known = (messages[id] ?? []).find((m) => m.id === upTo);
    const at = known ? time(known.createdAt) : undefined;
    const prev = readMarks[id];
    if (prev?.at !== undefined && at !== undefined && at < prev.at) return; // an older receipt
    readMarks[id] = { upTo, at };
    if (messages[id]) put(id, messages[id]);
  }

  function setTyping(id: string, on: boolean) {
    clearTimeout(typingTimers[id]);
    typing[id] = on;
    if (on) typingTimers[id] = setTimeout(() => { typing[id] = false; }, TYPING_TTL_MS);
  }

  /** A reply to the customer, or (internal) a note for colleagues that the hub never sends out. */
  async function send(id: string, text: string, clientId = uuid(), internal = false, copies: Copies = {}) {
    const conv = byId[id];
    const p: PendingMessage = {
      id: `pending:${clientId}`, conversationId: id, direction: 'out', channel: conv?.channel ?? 'webchat',
      author: { type: 'agent', id: useAuthStore().user?.id, name: useAuthStore().user?.name },
      text, attachments: copies.attachments ?? [], clientId, status: 'queued', pending: true, internal: internal || undefined,
      ...(copies.cc?.length ? { cc: copies.cc.join(', ') } : {}), ...(copies.bcc?.length ? { bcc: copies.bcc.join(', ') } : {}),
      createdAt: new Date().toISOString(), updatedAt: new Date(0).toISOString(),
    };
    put(id, mergeMessage(messages[id] ?? [], p));
    try {
      const { message } = await (internal ? api.note(id, text, clientId) : api.reply(id, text, clientId, copies));
      unsent.delete(clientId);
      put(id, mergeMessage(messages[id] ?? [], message));
    } catch (e) {
      const err = e as ApiError;
      // Unreachable or failing hub: it stays pending ("waiting") and goes again on reconnect, as the widget's do.
      const waiting = isTransient(err) && err.status !== 429;
      if (waiting) unsent.set(clientId, { id, text, internal, copies });
      else unsent.delete(clientId);
      const list = messages[id] ?? [];
      const shown: PendingMessage = waiting ? { ...p, waiting: true } : { ...p, error: err.message, retryable: isTransient(err) };
      put(id, list.map((m) => (m.clientId === clientId && m.id === p.id ? shown : m)));
    }
  }
  /** Resend a failed reply with the same clientId so the hub can deduplicate. */
  function retry(id: string, m: ShownMessage) {
    if (m.clientId) void send(id, m.text, m.clientId, m.internal === true, { cc: splitAddresses(m.cc), bcc: splitAddresses(m.bcc), ...(m.attachments.length ? { attachments: m.attachments } : {}) });
  }
  /** Send again, in the order written, what was written while the hub was unreachable. */
  async function flushUnsent() {
    for (const [clientId, u] of [...unsent]) {
      if (!unsent.has(clientId)) continue;
      await send(u.id, u.text, clientId, u.internal, u.copies);
      if (unsent.has(clientId)) return; // still unreachable: the next reconnect tries again
    }
  }

  async function setTags(id: string, add: string[], remove: string[]) { applyConversation((await api.tags(id, add, remove)).conversation); }
  async function snooze(id: string, until: string) { applyConversation((await api.snooze(id, until)).conversation); }
  async function unsnooze(id: string) { applyConversation((await api.unsnooze(id)).conversation); }
  async function claim(id: string) { applyConversation((await api.claim(id)).conversation); }
  async function resolve(id: string, code: string, note?: string) {
    applyConversation((await api.resolve(id, code, note)).conversation);
  }
  async function loadOlder(id: string) {
    const first = (messages[id] ?? []).find((m) => !(m as PendingMessage).pending);
    if (!first) return 0;
    const { items } = await api.olderMessages(id, first.createdAt);
    put(id, mergeMessages(messages[id] ?? [], items));
    return items.length;
  }
  function setFilter(f: Partial<ListFilter>) {
    Object.assign(filter, f);
    void fetchList(true);
  }
  /** After a reconnect: refetch the list and the open conversation (events may have been missed). */
  function resync() {
    void fetchList(true);
    if (activeId.value) void open(activeId.value);
    void flushUnsent();
  }

  return {
    owner, reset, byId, messages, customers, typing, filter, nextCursor, listState, listError, activeId, detailState, detailError,
    list, active, applyConversation, setTags, snooze, unsnooze, fetchList, open, close, markRead, onMessageCreated, onCustomerRead, setTyping, send, retry,
    claim, resolve, loadOlder, setFilter, resync, flushUnsent,
  };
});
