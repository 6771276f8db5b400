import type { Connection } from 'mongoose';
import { cannedReplyModel } from './canned-reply.js';
import { conversationModel } from './conversation.js';
import { customerModels } from './customer.js';
import { messageModel } from './message.js';
import { userModels } from './user.js';
import { ivrModels } from '../../gateway/ivr/model.js';

/** All models bound to one connection (tests run several hubs with their own databases in one process). */
export function createModels(conn: Connection) {
  return { ...customerModels(conn), Conversation: conversationModel(conn), Message: messageModel(conn), ...userModels(conn), ...ivrModels(conn), CannedReply: cannedReplyModel(conn) };
}
export type Models = ReturnType<typeof createModels>;
export * from './types.js';
