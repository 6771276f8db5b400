// The console's one socket.io connection (namespace /agent). It only maps server events onto
// store actions; ordering and dedup rules live in the store (stores/logic.ts).
import { io, type Socket } from 'socket.io-client';
import type { AgentClientEvents, AgentServerEvents } from './types';
import { useConversationsStore } from './console/stores/conversations';
import { useAuthStore } from './console/stores/auth';
import { useConnectionStore } from './console/stores/connection';
import { useAcdStore } from './console/stores/acd';
import { useSupervisorStore } from './console/stores/supervisor';
import { useCallStore } from './console/stores/call';
import { api, sessionRejected } from './console/api';
import { announce } from './console/alerts';
import { i18n } from './console/i18n';
import { router } from './console/router';
import { maskSensitive } from './mask';
import type { CallOp, ConversationSummary, Message } from './types';

const LIVE = new Set(['queued', 'assigned', 'pending']);

/**
 * A customer's new message in one of my conversations: announced unless I am looking at it already
 * (the open conversation in a visible tab).
 */
function announceMessage(m: Message, c: ConversationSummary, activeId: string | null) {
  if (m.direction !== 'in' || m.author.type !== 'customer') return;
  if (c.assignee?.id !== useAuthStore().user?.id) return;
  if (c.id === activeId && globalThis.document?.visibilityState === 'visible') return;
  announce('message', i18n.global.t('alert.message', { name: c.customer.name }), maskSensitive(m.text).slice(0, 120), `msg:${c.id}`,
    () => void router.push({ name: 'inbox', params: { id: c.id } }));
}

let socket: Socket<AgentServerEvents, AgentClientEvents> | null = null;

export function connectRealtime(token: string, origin = ''): void {
  disconnectRealtime();
  const conversations = useConversationsStore();
  const connection = useConnectionStore();
  const acd = useAcdStore();
  const sup = useSupervisorStore();
  const s: Socket<AgentServerEvents, AgentClientEvents> = io(`${origin}/agent`, {
    path: '/socket.io',
    auth: { token },
    transports: ['websocket', 'polling'],
    timeout: 8000, // give up on a stalled handshake sooner than the 20 s default, then retry
  });
  socket = s;

  s.on('connect', () => {
    const wasOffline = connection.everConnected && !connection.online;
    connection.setOnline(true);
    // events sent while we were away are lost (an admin's change of our queues too): refetch what is on screen
    if (wasOffline) void useAuthStore().refresh().then(() => conversations.resync());
    // routing state and pending offers, on the first connect too (the hub may have just set us available)
    void acd.restore();
    sup.poke();
    void ackMine(s);
  });
  s.on('disconnect', (reason) => {
    connection.setOnline(false);
    // Dropped by the hub itself (an admin disabled the account or changed its role or queues):
    // socket.io does not come back by itself after that. Connect again: a disabled account is refused
    // (unauthorized, below: back to sign-in), anyone else is back at once with their new rooms.
    if (reason === 'io server disconnect') s.connect();
  });
  s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    connection.markError();
    const code = err.data?.code;
    // A refusal by the hub (not a network failure, which socket.io retries by itself) is not retried by
    // socket.io: a rejected session goes back to sign-in, a role without an inbox (forbidden) stays
    // refused, anything else (the hub briefly unable to check) is tried again shortly.
    if (code === 'unauthorized') sessionRejected();
    else if (code && code !== 'forbidden') setTimeout(() => { if (socket === s && !s.connected) s.connect(); }, 2_000 + Math.random() * 3_000);
  });

  s.on('message.created', (p) => {
    conversations.onMessageCreated(p);
    announceMessage(p.message, p.conversation, conversations.activeId);
  });
  s.on('conversation.updated', (p) => {
    conversations.applyConversation(p.conversation, p.conversation.updatedAt ?? p.updatedAt);
    // Assigned to me and now on my screen: tell routing, which otherwise announces it again and then
    // gives it to someone else (hub/acd/heal.ts).
    const me = useAuthStore().user?.id;
    if (me && p.conversation.assignee?.id === me && LIVE.has(p.conversation.status)) s.emit('conversation.ack', { ids: [p.conversation.id] });
    sup.poke();
  });
  s.on('typing', (p) => conversations.setTyping(p.conversationId, p.typing));
  // not in docs/API.md yet, but the hub emits it when the visitor's widget reports `read`
  s.on('message.read', (p) => conversations.onCustomerRead(p.conversationId, p.upTo));
  // ACD: our own state (supervisors get everyone's), offers ringing for us and their withdrawal
  s.on('agent.state', (p) => {
    if (p.agent.id === useAuthStore().user?.id) acd.onAgentState(p);
    sup.onAgentState(p.agent, p.updatedAt);
  });
  s.on('user.updated', () => void useAuthStore().refresh().then(() => conversations.fetchList(true)));
  s.on('offer.created', (p) => {
    const fresh = !acd.offers.some((o) => o.conversation.id === p.conversation.id);
    acd.onOfferCreated(p);
    if (fresh) {
      const c = p.conversation;
      announce('offer', i18n.global.t('alert.offer', { channel: i18n.global.t(`channel.${c.channel}`), name: c.customer.name }), maskSensitive(c.subject || c.lastMessagePreview), `offer:${c.id}`);
    }
  });
  s.on('offer.withdrawn', (p) => acd.onOfferWithdrawn(p));
  // A call ended (the caller or this agent hung up): wrap-up follows.
  s.on('call.ended', (p) => useCallStore().ended(p));
}

/** One request about the agent's call (docs/API.md "Calls"); rejects with the hub's error code. */
export async function callLeg(conversationId: string, op: CallOp, data?: unknown): Promise<unknown> {
  const s = socket;
  if (!s?.connected) throw Object.assign(new Error('offline'), { code: 'offline' });
  const r = await s.timeout(15_000).emitWithAck('call.leg', { conversationId, op, data });
  if ('error' in r) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.data;
}

/** After every (re)connect: what is assigned to me is on my screen (announcements sent meanwhile were lost). */
async function ackMine(s: Socket<AgentServerEvents, AgentClientEvents>): Promise<void> {
  try {
    const res = await api.conversations({ scope: 'mine', limit: 100 });
    const ids = res.items.filter((c) => LIVE.has(c.status)).map((c) => c.id);
    if (ids.length && socket === s) s.emit('conversation.ack', { ids });
  } catch {
    /* the next connect tries again; routing announces it again meanwhile */
  }
}

export function sendTyping(conversationId: string, typing: boolean): void {
  socket?.emit('typing', { conversationId, typing });
}

export function disconnectRealtime(): void {
  socket?.removeAllListeners();
  socket?.disconnect();
  socket = null;
}
