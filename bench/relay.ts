/**
 * The baseline for bench/chat.ts: a bare socket.io relay with no storage, no Redis and no checks.
 * Visitors connect to namespace /webchat (any auth token), agents to /agent; every `message.send`
 * is acked at once and forwarded to every agent socket as `message.created`, in the same shape
 * the hub sends (a message and a conversation summary), so both sides serialise similar payloads.
 * Same socket.io server options as the hub (hub/hub.ts). Binds 127.0.0.1 on a free port and prints
 * `relay listening on http://127.0.0.1:PORT`; stops on SIGTERM/SIGINT or when stdin closes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Server } from 'socket.io';

const http = createServer((_req, res) => {
  res.statusCode = 404;
  res.end();
});
const io = new Server(http, { cors: { origin: true }, maxHttpBufferSize: 64 * 1024, pingInterval: 10_000, pingTimeout: 8_000 });
const agents = io.of('/agent');
const visitors = io.of('/webchat');

let seq = 0;
const idBase = randomBytes(8).toString('hex');
const convIds = new Map<string, string>();

visitors.on('connection', (socket) => {
  const visitor = String(socket.handshake.auth?.token ?? socket.id);
  let conversationId = convIds.get(visitor);
  if (!conversationId) {
    conversationId = idBase + (convIds.size + 1).toString(16).padStart(8, '0');
    convIds.set(visitor, conversationId);
  }
  const conversation = {
    id: conversationId,
    channel: 'webchat',
    status: 'queued',
    queue: 'general',
    priority: 0,
    assignee: null,
    customer: { id: conversationId, name: visitor, tier: 'standard' },
    lastMessageAt: '',
    lastMessagePreview: '',
    unreadCount: 0,
    tags: [] as string[],
    createdAt: new Date().toISOString(),
    updatedAt: '',
  };
  socket.on('message.send', (p: { clientId?: string; text?: string }, ack?: (r: unknown) => void) => {
    const now = new Date().toISOString();
    const message = {
      id: idBase + (++seq).toString(16).padStart(8, '0'),
      conversationId,
      direction: 'in',
      channel: 'webchat',
      author: { type: 'customer', name: visitor },
      text: String(p?.text ?? ''),
      attachments: [] as unknown[],
      clientId: p?.clientId,
      status: 'received',
      createdAt: now,
      updatedAt: now,
    };
    conversation.lastMessageAt = now;
    conversation.lastMessagePreview = message.text.slice(0, 140);
    conversation.unreadCount++;
    conversation.updatedAt = now;
    agents.emit('message.created', { message, conversation, updatedAt: now });
    if (typeof ack === 'function') ack({ ok: true, message });
  });
});

http.listen(0, '127.0.0.1', () => {
  const a = http.address() as AddressInfo;
  console.log(`relay listening on http://127.0.0.1:${a.port}`);
});

const stop = () => {
  io.close();
  http.close();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
