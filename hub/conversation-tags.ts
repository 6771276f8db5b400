/**
 * Tags on a conversation (agents' own labels: "complaint", "挂失"...), added and removed by anyone who
 * may open it. The new list is written only if the conversation has not changed since it was read
 * (its updatedAt), and read again otherwise: two agents tagging at once both keep their tag. The inbox
 * view and the consoles hear the change like any other (conversation.updated).
 */
import type { Hub } from './hub.js';
import type { ConversationDoc } from './models/conversation.js';
import { conflict } from '../lib/errors.js';

/** Tags one conversation may carry: enough to label, bounded for the list and the store. */
export const MAX_TAGS = 20;
/** Letters (any script), digits, space, _ and -; 1-32 characters. */
export const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _-]{0,31}$/u;

/** Tags compare lower-cased and with single spaces, so "VIP " and "vip" are one tag. */
export const normaliseTag = (t: string) => t.trim().replace(/\s+/g, ' ').toLowerCase();

export async function changeTags(hub: Hub, c: ConversationDoc, add: string[], remove: string[]): Promise<ConversationDoc> {
  const drop = new Set(remove.map(normaliseTag));
  let cur = c;
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = [...new Set([...(cur.tags ?? []), ...add.map(normaliseTag)])].filter((t) => !drop.has(t));
    if (next.length > MAX_TAGS) throw conflict('too_many_tags', `a conversation carries at most ${MAX_TAGS} tags`);
    const same = next.length === (cur.tags ?? []).length && next.every((t, i) => t === cur.tags![i]);
    if (same) return cur;
    const upd = (await hub.m.Conversation.findOneAndUpdate({ _id: cur._id, updatedAt: cur.updatedAt }, { $set: { tags: next, updatedAt: new Date() } }, { new: true }).lean()) as ConversationDoc | null;
    if (upd) {
      // The list view first (a refetch right after this answer shows the tag), then the event.
      await hub.inbox.upsert(upd);
      hub.events.conversationUpdated(upd);
      return upd;
    }
    // Changed meanwhile (routing, a colleague's tag): apply ours to what is stored now.
    cur = (await hub.m.Conversation.findById(cur._id).lean()) as ConversationDoc;
  }
  throw conflict('busy', 'the conversation keeps changing; try again');
}
