// Thin fetch wrapper for the agent API: adds the bearer token, turns the hub's
// `{error:{code,message}}` bodies into ApiError, and signs out on 401.
import type {
  AcdOverview, AdminChannel, CannedReply, CannedReplyBody, AdminQueue, AdminQueueBody, AdminTeam, AdminUser, AdminUserCreate, AdminUserPatch, AgentView, Capacity, ConversationDetail,
  ConversationSummary, CustomerProfile, Message, NotReadyReason, Offer, User, WrapUpCode,
} from '../types';

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) { super(message); }
}

const TOKEN_KEY = 'cchub.agent.token';
let onUnauthorized: (() => void) | null = null;

export const tokenStore = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (t: string | null) => (t ? localStorage.setItem(TOKEN_KEY, t) : localStorage.removeItem(TOKEN_KEY)),
};
export function setUnauthorizedHandler(fn: () => void) { onUnauthorized = fn; }
/** The session is no longer valid (the hub refused the token): back to the sign-in page. */
export function sessionRejected() { onUnauthorized?.(); }

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const token = tokenStore.get();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network_error', (e as Error).message);
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && path !== '/api/auth/login') onUnauthorized?.();
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText);
  }
  return data as T;
}

export type SettableState = 'available' | 'notready' | 'offline';

export interface ListQuery { scope: string; status?: string; channel?: string; tag?: string; before?: string | null; limit?: number }

function qs(q: Record<string, string | number | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const api = {
  login: (username: string, password: string) =>
    request<{ token: string; user: User }>('POST', '/api/auth/login', { username, password }),
  me: () => request<{ user: User }>('GET', '/api/me'),
  queueLabels: () => request<{ items: { id: string; label: { en: string; zh: string }; serviceLevelSec?: number; disabled?: boolean }[] }>('GET', '/api/queues'),
  conversations: (q: ListQuery) =>
    request<{ items: ConversationSummary[]; nextCursor: string | null }>(
      'GET', `/api/conversations${qs({ scope: q.scope, status: q.status === 'snoozed' ? undefined : q.status, channel: q.channel, tag: q.tag, before: q.before, limit: q.limit ?? 50 })}`),
  conversation: (id: string) => request<ConversationDetail>('GET', `/api/conversations/${id}`),
  olderMessages: (id: string, before: string) =>
    request<{ items: Message[] }>('GET', `/api/conversations/${id}/messages${qs({ before, limit: 50 })}`),
  reply: (id: string, text: string, clientId: string, copies: { cc?: string[]; bcc?: string[] } = {}) =>
    request<{ message: Message }>('POST', `/api/conversations/${id}/messages`, { text, clientId, ...(copies.cc?.length ? { cc: copies.cc } : {}), ...(copies.bcc?.length ? { bcc: copies.bcc } : {}) }),
  note: (id: string, text: string, clientId: string) =>
    request<{ message: Message }>('POST', `/api/conversations/${id}/notes`, { text, clientId }),
  search: (q: string) => request<{ items: ConversationSummary[] }>('GET', `/api/search${qs({ q, limit: 50 })}`),
  tags: (id: string, add: string[], remove: string[]) => request<{ conversation: ConversationSummary }>('POST', `/api/conversations/${id}/tags`, { add, remove }),
  snooze: (id: string, until: string) => request<{ conversation: ConversationSummary }>('POST', `/api/conversations/${id}/snooze`, { until }),
  unsnooze: (id: string) => request<{ conversation: ConversationSummary }>('POST', `/api/conversations/${id}/unsnooze`, {}),
  claim: (id: string) => request<{ conversation: ConversationSummary }>('POST', `/api/conversations/${id}/claim`),
  read: (id: string) => request<{ conversation: ConversationSummary }>('POST', `/api/conversations/${id}/read`),
  resolve: (id: string, wrapUpCode: string, note?: string) =>
    request<{ conversation: ConversationSummary }>('POST', `/api/conversations/${id}/resolve`, { wrapUpCode, note }),
  customer: (id: string) => request<CustomerProfile>('GET', `/api/customers/${id}`),
  startConversation: (body: { channel: string; to: string; text: string; subject?: string; clientId: string }) =>
    request<{ conversation: ConversationSummary; message: Message }>('POST', '/api/conversations', body),
  wrapUpCodes: () => request<{ items: WrapUpCode[] }>('GET', '/api/wrapup-codes'),
  // ACD: the agent's own routing state and offers
  acdMe: () => request<{ agent: AgentView | null; offers: Offer[] }>('GET', '/api/acd/me'),
  setMyState: (state: SettableState, reason?: NotReadyReason) =>
    request<{ agent: AgentView | null }>('POST', '/api/acd/me/state', { state, reason }),
  endWrapUp: () => request<{ agent: AgentView | null }>('POST', '/api/acd/me/wrapup-end'),
  acceptOffer: (id: string) => request<{ conversation: ConversationSummary }>('POST', `/api/acd/offers/${id}/accept`),
  rejectOffer: (id: string) => request<{ ok: true }>('POST', `/api/acd/offers/${id}/reject`),
  // ACD: supervisors and admins
  acdOverview: () => request<AcdOverview>('GET', '/api/acd/overview'),
  reassign: (id: string, agentId: string, force?: boolean) =>
    request<{ conversation: ConversationSummary }>('POST', `/api/acd/conversations/${id}/reassign`, { agentId, force }),
  takeover: (id: string) => request<{ conversation: ConversationSummary }>('POST', `/api/acd/conversations/${id}/takeover`),
  move: (id: string, queue: string) => request<{ conversation: ConversationSummary }>('POST', `/api/acd/conversations/${id}/move`, { queue }),
  setPriority: (id: string, priority: number) =>
    request<{ conversation: ConversationSummary }>('POST', `/api/acd/conversations/${id}/priority`, { priority }),
  forceState: (agentId: string, state: SettableState, reason?: NotReadyReason) =>
    request<{ agent: AgentView | null }>('POST', `/api/acd/agents/${agentId}/state`, { state, reason }),
  // Administration (admins only)
  adminUsers: () => request<{ users: AdminUser[] }>('GET', '/api/admin/users'),
  createUser: (body: AdminUserCreate) => request<{ user: AdminUser }>('POST', '/api/admin/users', body),
  updateUser: (id: string, body: AdminUserPatch) => request<{ user: AdminUser }>('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, body),
  adminTeams: () => request<{ teams: AdminTeam[]; defaults: Capacity }>('GET', '/api/admin/teams'),
  saveTeam: (id: string, body: { name: string; capacity: Capacity }) =>
    request<{ team: AdminTeam }>('PUT', `/api/admin/teams/${encodeURIComponent(id)}`, body),
  deleteTeam: (id: string) => request<{ ok: true }>('DELETE', `/api/admin/teams/${encodeURIComponent(id)}`),
  adminQueues: () => request<{ queues: AdminQueue[] }>('GET', '/api/admin/queues'),
  saveQueue: (id: string, body: AdminQueueBody) => request<{ queue: AdminQueue }>('PUT', `/api/admin/queues/${encodeURIComponent(id)}`, body),
  setQueueEnabled: (id: string, enabled: boolean) => request<{ queue: AdminQueue }>('POST', `/api/admin/queues/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`),
  deleteQueue: (id: string) => request<{ ok: true }>('DELETE', `/api/admin/queues/${encodeURIComponent(id)}`),
  cannedReplies: () => request<{ items: CannedReply[] }>('GET', '/api/canned-replies'),
  createCanned: (body: CannedReplyBody & { scope: 'shared' | 'personal' }) => request<{ item: CannedReply }>('POST', '/api/canned-replies', body),
  updateCanned: (id: string, body: CannedReplyBody) => request<{ item: CannedReply }>('PUT', `/api/canned-replies/${encodeURIComponent(id)}`, body),
  deleteCanned: (id: string) => request<{ ok: true }>('DELETE', `/api/canned-replies/${encodeURIComponent(id)}`),
  adminChannels: () => request<{ channels: AdminChannel[]; updatedAt: string }>('GET', '/api/admin/channels'),
  /** Attachments need the Authorization header, so they are fetched as blobs. */
  async attachmentBlob(id: string): Promise<Blob> {
    const token = tokenStore.get();
    const res = await fetch(`/api/attachments/${id}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, res.statusText);
    return res.blob();
  },
};
