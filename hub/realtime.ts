/**
 * socket.io for agents (namespace /agent). Events are named resource.verb and carry updatedAt so a
 * client can drop stale ones. The Redis adapter fans them out to every hub process.
 */
import type { Server, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { ConversationDoc } from './models/conversation.js';
import type { MessageDoc } from './models/message.js';
import type { Tokens, AgentClaims } from './auth/tokens.js';
import type { Presence } from './presence.js';
import { conversationIdOf, messageView, type ConversationView } from './views.js';
import type { Models } from './models/index.js';
import { AppError, forbidden, socketRefusal, unauthorized } from '../lib/errors.js';
import { guardEvents, type EventBudget } from '../lib/event-budget.js';

/** Enough of a conversation to find the consoles watching it (a connector's ConversationInfo is one). */
type ConversationRooms = { id: string; queue: string; assigneeId: string | null };

/** Staff consoles send little (typing); this only stops a runaway or hostile client. */
const AGENT_EVENT_BUDGET: EventBudget = { perSecond: 50, burst: 200, disconnectAfter: 1000 };

export type AgentSocket = Socket & { data: { user: AgentClaims & { queues: string[] } } };

export class AgentRealtime {
  constructor(
    private readonly io: Server,
    private readonly m: Models,
    private readonly tokens: Tokens,
    private readonly presence: Presence,
    private readonly log: Logger,
    private readonly visitorTyping: (conversationId: string, typing: boolean, user: AgentSocket['data']['user']) => void,
    private readonly sessions: { connected(userId: string): void; disconnected(userId: string): void; acked?(userId: string, conversationIds: string[]): void },
  ) {
    const ns = io.of('/agent');
    ns.use((socket, next) => {
      void (async () => {
        const claims = await this.tokens.verify(socket.handshake.auth?.token, 'agent');
        const user = await this.m.User.findById(claims.sub, { queues: 1, active: 1, role: 1 }).lean();
        if (!user || !user.active) throw unauthorized('this account is disabled');
        if (claims.role === 'marketing') throw forbidden('role marketing has no inbox');
        socket.data.user = { ...claims, role: user.role, queues: user.queues ?? [] };
        next();
      })().catch((e) => {
        // A refusal says why (the console signs out on unauthorized/forbidden); anything else (the store
        // unreachable for the user lookup) is `unavailable`, and the console tries again shortly.
        if (!(e instanceof AppError)) this.log.warn({ err: e }, 'console connection check failed');
        next(socketRefusal(e));
      });
    });
    ns.on('connection', (socket) => this.onConnection(socket as AgentSocket));
  }

  private onConnection(socket: AgentSocket): void {
    const u = socket.data.user;
    guardEvents(socket, AGENT_EVENT_BUDGET, this.log);
    void socket.join([`user:${u.sub}`, `role:${u.role}`, ...u.queues.map((q: string) => `queue:${q}`)]);
    void this.presence.add(u.sub).catch((e) => this.log.warn({ err: e }, 'presence add failed'));
    this.sessions.connected(u.sub);
    socket.on('disconnect', () => {
      void this.presence.remove(u.sub).catch(() => undefined);
      this.sessions.disconnected(u.sub);
    });
    socket.on('typing', (p: unknown) => {
      if (!p || typeof p !== 'object') return;
      const { conversationId, typing } = p as { conversationId?: unknown; typing?: unknown };
      if (typeof conversationId !== 'string' || !/^[0-9a-f]{24}$/.test(conversationId)) return;
      this.visitorTyping(conversationId, typing === true, u);
    });
    // The console shows these conversations as assigned to this agent: routing stops chasing them
    // (hub/acd/heal.ts). Only the agent's own assignments are cleared, whatever ids are sent.
    socket.on('conversation.ack', (p: unknown) => {
      const ids = (p as { ids?: unknown } | null)?.ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || !ids.every((id) => typeof id === 'string' && /^[0-9a-f]{24}$/.test(id))) return;
      this.sessions.acked?.(u.sub, ids as string[]);
    });
  }

  emit(rooms: string[], event: string, payload: unknown): void {
    this.io.of('/agent').to(rooms).emit(event, payload);
  }

  /** Rooms that may see a conversation: its queue, its assignee, supervisors and admins. */
  private rooms(c: ConversationDoc | ConversationView | ConversationRooms): string[] {
    const assignee = 'assignee' in c ? c.assignee?.id : c.assigneeId;
    const r = [`queue:${c.queue}`, 'role:supervisor', 'role:admin'];
    if (assignee) r.push(`user:${assignee}`);
    return r;
  }

  messageCreated(message: MessageDoc, conversation: ConversationView): void {
    const m = messageView(message);
    this.io.of('/agent').to(this.rooms(conversation)).emit('message.created', { message: m, conversation, updatedAt: m.updatedAt });
  }

  conversationUpdated(v: ConversationView, previousAssignee?: string | null): void {
    const rooms = this.rooms(v);
    if (previousAssignee && previousAssignee !== v.assignee?.id) rooms.push(`user:${previousAssignee}`);
    this.io.of('/agent').to(rooms).emit('conversation.updated', { conversation: v, updatedAt: v.updatedAt });
  }

  typing(conversation: ConversationDoc | ConversationView | ConversationRooms, typing: boolean): void {
    this.io.of('/agent').to(this.rooms(conversation)).emit('typing', { conversationId: conversationIdOf(conversation), typing, updatedAt: new Date().toISOString() });
  }

  messageRead(conversation: ConversationDoc | ConversationView | ConversationRooms, upTo: string): void {
    this.io.of('/agent').to(this.rooms(conversation)).emit('message.read', { conversationId: conversationIdOf(conversation), upTo, updatedAt: new Date().toISOString() });
  }
}
