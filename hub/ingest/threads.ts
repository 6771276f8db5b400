/**
 * Which conversation a message with a thread key joins (an e-mail thread, a channel's own thread id).
 *
 * A thread's live conversation holds openKey "thread:<channel>:<threadKey>"; the unique openKey index
 * makes sure there is at most one, whoever opens or reopens it. The rules, in order:
 *   1. the thread's live conversation (by openKey);
 *   2. else its latest conversation, if resolved within the reopen window: reopened (back to the queue);
 *   3. else a new conversation with this openKey, linked to that latest one (previousConversationId).
 * No transactions on the embedded store: each step is one atomic write (a conditional findOneAndUpdate,
 * serialised by the store front, or an upsert on the unique openKey). A step that loses a race to
 * another process (its reopen found the conversation reopened already, or its openKey taken by a new
 * one) starts again at 1 and finds the winner's conversation.
 */
import type { Types } from 'mongoose';
import { isDuplicateKey } from '../../lib/errors.js';
import type { ConversationDoc } from '../models/conversation.js';
import type { Channel, Models } from '../models/index.js';

export const threadOpenKey = (channel: Channel, threadKey: string): string => `thread:${channel}:${threadKey}`;

export interface ThreadDeps {
  m: Models;
  /** How long after it was resolved a conversation is reopened by a message in its thread. */
  reopenWindowMs: number;
  /** Open (or find, on a race) the conversation with this openKey, linked to `previous` when given. */
  open(previous?: Types.ObjectId): Promise<ConversationDoc>;
  /** A resolved conversation was reopened: route it again and tell the consoles. */
  reopened(c: ConversationDoc): void;
}

export async function threadConversation(openKey: string, channel: Channel, threadKey: string, d: ThreadDeps): Promise<ConversationDoc> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const live = (await d.m.Conversation.findOne({ openKey }).lean()) as ConversationDoc | null;
    if (live) return live;
    const [last] = (await d.m.Conversation.find({ channel, threadKey }).sort({ createdAt: -1 }).limit(1).lean()) as ConversationDoc[];
    if (!last) return d.open();
    if (last.openKey === openKey) continue; // reopened since the read above
    const resolvedAt = last.resolvedAt ? new Date(last.resolvedAt).getTime() : 0;
    if (last.status !== 'resolved' || Date.now() - resolvedAt > d.reopenWindowMs) return d.open(last._id);
    const now = new Date();
    try {
      const reopened = (await d.m.Conversation.findOneAndUpdate(
        // Only as it was read: resolved and not reopened by anyone since.
        { _id: last._id, openKey: last.openKey, status: 'resolved' },
        {
          $set: { status: 'queued', openKey, queuedAt: now, reopenedAt: now, assigneeId: null, assigneeName: null, updatedAt: now },
          $unset: { resolvedAt: 1, disposition: 1 },
          $inc: { reopenCount: 1 },
        },
        { new: true },
      ).lean()) as ConversationDoc | null;
      if (reopened) {
        d.reopened(reopened);
        return reopened;
      }
    } catch (e) {
      // A new conversation took this thread's openKey meanwhile: step 1 finds it.
      if (!isDuplicateKey(e)) throw e;
    }
  }
  throw new Error(`could not settle the conversation of thread ${threadKey}`);
}
