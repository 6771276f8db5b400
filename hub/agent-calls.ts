/**
 * The agent's side of a live call (voice), on the /agent namespace: the console asks for the media of
 * the call it was assigned (`call.leg`, docs/API.md "Calls") and the hub hands the request to the
 * connector of the conversation's channel (ChannelConnector.agentCall), which owns the call.
 *
 * Authorised on every request against the conversation as stored now — live, and assigned to this
 * user — never from the token or from an earlier request: a call taken away (RONA, a supervisor's
 * reassignment, resolved) stops answering its old agent at once. Joining and hanging up are audited.
 */
import type { AgentCallOp } from '../channels/contract.js';
import { AppError, badRequest, clientError, conflict, forbidden, notFound } from '../lib/errors.js';
import type { Hub } from './hub.js';
import type { ConversationDoc } from './models/conversation.js';
import { isLive } from './models/types.js';
import type { AgentSocket } from './realtime.js';
import { conversationTarget } from './views.js';

const OPS: readonly AgentCallOp[] = ['join', 'connect', 'produce', 'consume', 'hangup'];
const ID = /^[0-9a-f]{24}$/;

type Ack = (r: { ok: true; data: unknown } | { error: { code: string; message: string } }) => void;

export function registerAgentCalls(hub: Hub): void {
  hub.io.of('/agent').on('connection', (s) => {
    const socket = s as AgentSocket;
    socket.on('call.leg', (p: unknown, ack?: unknown) => {
      if (typeof ack !== 'function') return;
      void handle(hub, socket, p).then(
        (data) => (ack as Ack)({ ok: true, data: data ?? null }),
        (e) => {
          if (!(e instanceof AppError)) hub.log.warn({ err: e }, 'call.leg failed');
          (ack as Ack)({ error: clientError(e) });
        },
      );
    });
  });
}

async function handle(hub: Hub, socket: AgentSocket, p: unknown): Promise<unknown> {
  const { conversationId, op, data } = (p ?? {}) as { conversationId?: unknown; op?: unknown; data?: unknown };
  if (typeof conversationId !== 'string' || !ID.test(conversationId)) throw badRequest('conversationId must be a conversation id', 'invalid_id');
  if (typeof op !== 'string' || !OPS.includes(op as AgentCallOp)) throw badRequest(`op must be one of ${OPS.join(', ')}`, 'invalid_op');
  const user = socket.data.user;
  const c = (await hub.m.Conversation.findById(conversationId).lean()) as ConversationDoc | null;
  if (!c) throw notFound('conversation');
  if (!isLive(c.status)) throw conflict('already_resolved', 'conversation is resolved');
  // The assignment as stored now: the token says who the user is, never what they hold.
  if (c.assigneeId !== user.sub) throw forbidden('only the agent the call is assigned to may take it');
  const connector = hub.connectors.get(c.channel);
  if (!connector?.agentCall) throw conflict('no_call', 'this conversation has no call');
  const result = await connector.agentCall(conversationTarget(c), user.sub, op as AgentCallOp, data);
  if (op === 'join' || op === 'hangup') {
    void hub.audit.record({ type: 'user', id: user.sub, name: user.name, role: user.role }, `call.${op}`, { type: 'conversation', id: conversationId });
  }
  return result;
}
