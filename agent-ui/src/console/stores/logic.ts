// Pure merge rules shared by the store (and unit-tested on their own).
// Realtime events and HTTP answers race: an older `conversation.updated` can arrive after a newer
// HTTP answer, and the ack of a reply can arrive before or after its `message.created` echo.
import type { ConversationSummary, Message, ShownMessage } from '../../types';

export function time(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** True when `incoming` is older than what we hold and must be dropped. Equal stamps are accepted (idempotent). */
export function isStale(current: { updatedAt: string } | undefined, incomingUpdatedAt: string | undefined): boolean {
  if (!current) return false;
  return time(incomingUpdatedAt) < time(current.updatedAt);
}

export function isPending(m: ShownMessage): boolean {
  return (m as { pending?: boolean }).pending === true;
}

/**
 * Insert or replace a message. Matches by id, or by clientId (a pending bubble is replaced by the
 * stored message). Never leaves two entries for one message. Stale versions are ignored.
 * Returns a new array (the same array when nothing changed).
 */
export function mergeMessage(list: ShownMessage[], incoming: ShownMessage): ShownMessage[] {
  const matches = (m: ShownMessage) =>
    m.id === incoming.id || (!!incoming.clientId && m.clientId === incoming.clientId);
  const existing = list.filter(matches);
  const storedExisting = existing.find((m) => !isPending(m));
  if (isPending(incoming) && storedExisting) return list; // already stored: never go back to pending
  if (storedExisting && !isPending(incoming) && time(incoming.updatedAt) < time(storedExisting.updatedAt)) return list;
  const rest = existing.length ? list.filter((m) => !matches(m)) : list.slice();
  return insertSorted(rest, incoming);
}

/** Stored messages by createdAt (then id); pending ones stay at the end in send order. */
function insertSorted(list: ShownMessage[], m: ShownMessage): ShownMessage[] {
  if (isPending(m)) return [...list, m];
  let i = list.length;
  while (i > 0) {
    const prev = list[i - 1];
    if (isPending(prev)) { i--; continue; }
    const d = time(prev.createdAt) - time(m.createdAt);
    if (d < 0 || (d === 0 && prev.id <= m.id)) break;
    i--;
  }
  return [...list.slice(0, i), m, ...list.slice(i)];
}

export function mergeMessages(list: ShownMessage[], incoming: Message[]): ShownMessage[] {
  return incoming.reduce<ShownMessage[]>((acc, m) => mergeMessage(acc, m), list);
}

/** `status` 'snoozed' (the console's own) lists the live conversations put aside; '' the other live ones. `tag`: only those carrying it. */
export interface ListFilter { scope: 'mine' | 'queue' | 'all'; status: string; channel: string; tag?: string }

/** Whether a conversation belongs in the list under the current filters (for realtime arrivals). */
export function matchesFilter(c: ConversationSummary, f: ListFilter, me: { id: string; queues: string[] } | null): boolean {
  const snoozed = !!c.snoozedUntil;
  if (f.status === 'snoozed') {
    if (!isLive(c.status) || !snoozed) return false;
  } else {
    if (f.status && c.status !== f.status) return false;
    // No status chosen means the live ones, as the hub answers it: one resolved during the session leaves
    // the list as it would on the next load (the "resolved" filter shows it). A snoozed one waits under
    // "Snoozed" and comes back here when it wakes (its conversation.updated clears snoozedUntil).
    if (!f.status && (!isLive(c.status) || snoozed)) return false;
  }
  if (f.tag && !(c.tags ?? []).includes(f.tag)) return false;
  if (f.channel && c.channel !== f.channel) return false;
  if (f.scope === 'mine') return !!me && c.assignee?.id === me.id;
  if (f.scope === 'queue') return !!me && (me.queues.includes(c.queue) || c.assignee?.id === me.id);
  return true;
}

/** Newest activity first; ties broken by id so the order is stable. */
export function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  return time(b.lastMessageAt) - time(a.lastMessageAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function isLive(status: string): boolean {
  return status !== 'resolved' && status !== 'closed';
}

/** A failure worth sending again by itself: the hub unreachable or briefly failing, not a refusal. */
export function isTransient(e: { status?: number; code?: string }): boolean {
  return e.status === 0 || e.status === 429 || (e.status ?? 0) >= 500 || e.code === 'network_error';
}

/**
 * The customer read our messages up to one (`message.read`): every stored reply of ours up to its
 * time shows as read. Applied again after each merge, so a reply whose stored copy (POST answer or
 * socket echo, stamped before the read) lands after the read event does not fall back to "sent".
 */
export function applyRead(list: ShownMessage[], readAt: number | undefined): ShownMessage[] {
  if (readAt === undefined) return list;
  let changed = false;
  const out = list.map((m) => {
    if (m.direction !== 'out' || isPending(m) || m.status === 'failed' || m.status === 'read' || time(m.createdAt) > readAt) return m;
    changed = true;
    return { ...m, status: 'read' as const };
  });
  return changed ? out : list;
}
