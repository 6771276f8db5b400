/**
 * A web chat visitor for tests: a session from the hub's HTTP edge and a connected /webchat socket
 * (through Sockets, so it is closed with the file's other clients), with send() that resolves with the
 * hub's ack and fails on a refusal. For the widget's outbox and resend behaviour use WidgetPeer.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { api } from './hub.js';
import type { Sockets } from './sockets.js';

export interface TestVisitor {
  token: string;
  visitorId: string;
  socket: Socket;
  /** Send one message (a fresh clientId unless given); resolves with the stored message the ack names. */
  send(text: string, clientId?: string): Promise<{ id: string; conversationId: string }>;
}

export async function newVisitor(base: string, sockets: Sockets, name = 'Test Visitor'): Promise<TestVisitor> {
  const sess = await api(base, '/api/webchat/session', { body: { name } });
  if (sess.status !== 200) throw new Error(`webchat session: ${sess.status} ${JSON.stringify(sess.body)}`);
  const socket = await sockets.connect(base, '/webchat', sess.body.token);
  return {
    token: sess.body.token,
    visitorId: sess.body.visitorId,
    socket,
    async send(text, clientId = `v-${randomBytes(8).toString('hex')}`) {
      const ack = await socket.timeout(10_000).emitWithAck('message.send', { clientId, text });
      if (!ack.ok) throw new Error(`message.send refused: ${ack.error?.code} ${ack.error?.message}`);
      return { id: ack.message.id, conversationId: ack.message.conversationId };
    },
  };
}
