/**
 * Internal notes: an agent's or supervisor's words on a conversation for colleagues, never for the
 * customer. Stored as an outbound-looking message marked `internal`, with status 'received' so nothing
 * that picks up queued replies (the console's retry, the start-up resume) ever queues one; the outbound
 * worker refuses an internal message as well (hub/outbound.ts), and the web chat history leaves them out.
 * Only the agent consoles hear of a note (the /agent rooms of the conversation).
 */
import { Types } from 'mongoose';
import type { Hub } from './hub.js';
import type { SessionUser } from './api/auth-routes.js';
import { isDuplicateKey } from '../lib/errors.js';
import type { ConversationDoc } from './models/conversation.js';
import type { MessageDoc } from './models/message.js';

export async function addNote(hub: Hub, c: ConversationDoc, u: SessionUser, text: string, clientId: string): Promise<{ message: MessageDoc; duplicate: boolean }> {
  const now = new Date();
  const doc = {
    _id: new Types.ObjectId(),
    conversationId: c._id,
    customerId: c.customerId,
    direction: 'out',
    channel: c.channel,
    author: { type: 'agent', id: u.id, name: u.name },
    text,
    attachments: [],
    // its own id space: a reply's retry with the same client id can never find (and queue) a note
    externalId: `note:${u.id}:${clientId}`,
    clientId,
    internal: true,
    status: 'received',
    createdAt: now,
    updatedAt: now,
  };
  try {
    await hub.m.Message.collection.insertOne(doc);
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const existing = (await hub.m.Message.findOne({ channel: c.channel, externalId: doc.externalId }).lean()) as unknown as MessageDoc;
    return { message: existing, duplicate: true };
  }
  const message = doc as unknown as MessageDoc;
  // Not a customer-facing message: the list's preview, unread count and last activity stay as they were.
  hub.events.messageCreated(message, await hub.inbox.view(c));
  return { message, duplicate: false };
}
