/**
 * Web chat connector: the widget talks socket.io to namespace /webchat with a visitor token.
 * A message is acked to the widget only after ingest stored it; the widget resends unacked messages with
 * the same clientId after a reconnect, and (webchat, visitorId:clientId) makes the resend a no-op.
 */
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { ChannelConnector, ConnectorContext, ConversationInfo, ConversationStatus, ConversationTarget, CustomerSession, DeliveryStatus, Limiter, MessageView, OutboundMessage, SendResult } from '../contract.js';
import { isLive } from '../contract.js';
import { guardEvents } from '../../lib/event-budget.js';
import { AppError, badRequest, clientError, rateLimited, socketRefusal, UnrecoverableSendError } from '../../lib/errors.js';
import type { WebchatConfig } from './config.js';
import { registerWebchatHttp } from './http.js';

type VisitorSocket = Socket & {
  data: {
    visitor: CustomerSession;
    conversationId?: string;
    /** Whether the visitor has other tabs open (any hub); undefined until known. See announceTab. */
    otherTabs?: boolean;
    /** Settles once every hub has heard of this tab. */
    tabAnnounced?: Promise<void>;
    /** The typing state last relayed for this tab (repeats are not relayed). */
    typing?: boolean;
  };
};

const SendSchema = z.object({
  clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'clientId must be 8-64 characters of [A-Za-z0-9_-]'),
  text: z.string().optional().default(''),
  attachmentIds: z.array(z.string().regex(/^[0-9a-f]{24}$/)).max(5).optional().default([]),
});

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/, 'a conversation id (24 hex)');
/** After a chat ends: the visitor's rating (CSAT) of it. */
const RateSchema = z.object({ conversationId: ObjectIdString, score: z.number().int().min(1).max(5), comment: z.string().max(1000).optional() }).strict();
/** After a chat ends: its transcript to an e-mail address the visitor gives. */
const TranscriptSchema = z.object({ conversationId: ObjectIdString, email: z.string().trim().min(3).max(254), locale: z.enum(['en', 'zh']).default('en') }).strict();
/** Transcripts a visitor may ask for per hour (each is an e-mail the bank sends to an address typed in). */
const TRANSCRIPTS_PER_HOUR = 5;

const parsed = <T>(schema: z.ZodType<T>, payload: unknown): T => {
  const r = schema.safeParse(payload);
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
  return r.data;
};

export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;

/** The web chat visitor of a conversation (kept in its channelData by onSend). */
const visitorOf = (c: ConversationTarget): string | undefined => {
  const v = c.channelData.visitorId;
  return c.channel === 'webchat' && typeof v === 'string' ? v : undefined;
};

export class WebchatConnector implements ChannelConnector {
  readonly kind = 'webchat' as const;
  private ctx?: ConnectorContext;
  private limiter?: Limiter;
  private transcriptLimiter?: Limiter;

  constructor(private readonly config: WebchatConfig) {}

  /** The context, once started (every socket and route exists only after start). */
  private get c(): ConnectorContext {
    if (!this.ctx) throw new Error('web chat connector used before start()');
    return this.ctx;
  }

  /** The namespace /webchat, or undefined before start (hooks called that early have nobody to reach). */
  private get ns(): Namespace | undefined {
    return this.ctx?.realtime;
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx;
    this.limiter = ctx.limiter('msg', this.config.messagesPer10s, 10, () => rateLimited('you are sending messages too fast'));
    this.transcriptLimiter = ctx.limiter('transcript', TRANSCRIPTS_PER_HOUR, 3600, () => rateLimited('too many transcripts asked for; try again later'));
    const ns = ctx.realtime;
    // Connections per visitor and minute (reconnects and tabs are far below it): each one costs a
    // message to every hub (announceTab), so a token must not be able to open them by the thousand.
    const perVisitor = ctx.limiter('conn', this.config.connectionsPerMinute, 60, () => rateLimited('too many connections for this chat; try again in a minute'));
    ns.use((socket, next) => {
      ctx.customers
        .verifySession(socket.handshake.auth?.token)
        .then(async (v) => {
          await perVisitor.consume(v.sub);
          socket.data.visitor = v;
          next();
        })
        .catch((e) => {
          // Not a refusal (Redis unreachable for the connection count): the widget tries again shortly.
          if (!(e instanceof AppError)) ctx.log.warn({ err: e }, 'web chat connection check failed');
          next(socketRefusal(e));
        });
    });
    ns.on('connection', (s) => this.onConnection(s as VisitorSocket));
    // Another hub's new tab: mark the tabs of that visitor held here, and say whether there were any.
    ns.on('visitor.tab', (sub: unknown, ack?: unknown) => {
      const had = typeof sub === 'string' && this.markTabs(sub);
      if (typeof ack === 'function') ack(had);
    });
    registerWebchatHttp(ctx, this.config);
    ctx.lifecycle({ type: 'started' });
  }

  async stop(): Promise<void> {
    // This process's sockets only (disconnectSockets goes through the Redis adapter to every hub), and by
    // closing the transport, not a namespace disconnect, which socket.io clients never reconnect after:
    // the widget reconnects to a live hub and resends its outbox.
    for (const s of this.ns?.sockets.values() ?? []) s.conn.close();
  }

  mapStatus(native: string): DeliveryStatus | undefined {
    return ({ sent: 'sent', delivered: 'delivered', read: 'read' } as Record<string, DeliveryStatus>)[native];
  }

  /** Deliver an agent's message to every tab the visitor has open, on any hub process. */
  async send(out: OutboundMessage): Promise<SendResult> {
    const visitorId = out.channelData.visitorId;
    if (typeof visitorId !== 'string') throw new UnrecoverableSendError('conversation has no web chat visitor');
    const message = this.withLinks({ ...out.message, status: 'sent' });
    this.c.realtime.to(visitorRoom(visitorId)).emit('message.created', { message, updatedAt: message.updatedAt });
    return { status: 'sent' };
  }

  // Hooks: each reaches every tab of the conversation's visitor, on whichever hub (the Redis adapter).

  conversationUpdated(c: ConversationTarget, now: { status: ConversationStatus; updatedAt: string }): void {
    const visitorId = visitorOf(c);
    if (visitorId) this.ns?.to(visitorRoom(visitorId)).emit('conversation.updated', { status: now.status, updatedAt: now.updatedAt });
  }

  /** Where the customer stands in the queue and how long the wait is likely to be. */
  queuePosition(c: ConversationTarget, position: number, ewtSec: number): void {
    const visitorId = visitorOf(c);
    if (visitorId) this.ns?.to(visitorRoom(visitorId)).emit('queue.position', { position, ewtSec, updatedAt: new Date().toISOString() });
  }

  /** The agent's typing indicator. */
  agentTyping(c: ConversationTarget, typing: boolean): void {
    const visitorId = visitorOf(c);
    if (visitorId) this.ns?.to(visitorRoom(visitorId)).emit('typing', { typing, updatedAt: new Date().toISOString() });
  }

  agentRead(c: ConversationTarget, upTo: string): void {
    const visitorId = visitorOf(c);
    if (visitorId) this.ns?.to(visitorRoom(visitorId)).emit('read', { upTo, updatedAt: new Date().toISOString() });
  }

  /**
   * A visitor's own message is echoed to their other tabs, on whichever hub they are. Most visitors
   * have one tab and the echo costs a Redis publish per message, so every socket knows whether its
   * visitor has other tabs: a new tab joins its room, then tells every hub, and each hub marks the
   * tabs of that visitor it holds (and answers whether it had any). A tab that closes is not
   * unmarked (a needless echo is harmless). A message whose echo was decided before a hub marked its
   * tabs was stored before the new tab's history is read: 'history' waits for the announcement.
   */
  private announceTab(socket: VisitorSocket): Promise<void> {
    const sub = socket.data.visitor.sub;
    const here = this.markTabs(sub, socket.id);
    return this.c.realtime
      .serverSideEmitWithAck('visitor.tab', sub)
      .then(
        (answers: unknown[]) => {
          socket.data.otherTabs = here || answers.some((a) => a === true);
        },
        () => {
          socket.data.otherTabs = true; // a hub did not answer: echo, to be safe
        },
      );
  }

  /** Mark this process's tabs of a visitor (but `except`) as having other tabs; true if there were any. */
  private markTabs(sub: string, except?: string): boolean {
    const nsp = this.c.realtime;
    let any = false;
    for (const id of nsp.adapter.rooms.get(visitorRoom(sub)) ?? []) {
      const s = nsp.sockets.get(id) as VisitorSocket | undefined;
      if (!s || id === except) continue;
      s.data.otherTabs = true;
      any = true;
    }
    return any;
  }

  private onConnection(socket: VisitorSocket): void {
    const v = socket.data.visitor;
    const { eventsPerSecond, eventBurst } = this.config;
    guardEvents(socket, { perSecond: eventsPerSecond, burst: eventBurst, disconnectAfter: eventBurst * 4 }, this.c.log);
    void socket.join(visitorRoom(v.sub));
    socket.data.tabAnnounced = this.announceTab(socket);
    // A (re)connected widget has no queue position on screen: the routing leader sends it again.
    void this.c.routing.refreshQueuePosition(v.cid).catch(() => undefined);
    const handle = <T>(event: string, fn: (payload: unknown) => Promise<T>) =>
      socket.on(event, (payload: unknown, ack?: unknown) => {
        fn(payload).then(
          (res) => typeof ack === 'function' && ack({ ok: true, ...res }),
          (e) => {
            if (!(e instanceof AppError)) this.ctx?.log.error({ err: e, event }, 'webchat handler failed');
            // Anything but a refusal is `unavailable`: the widget keeps the message and resends it.
            if (typeof ack === 'function') ack({ ok: false, error: clientError(e) });
          },
        );
      });
    handle('message.send', (p) => this.onSend(socket, p));
    handle('history', async () => {
      await socket.data.tabAnnounced;
      return this.history(socket);
    });
    socket.on('typing', (p: unknown) => {
      const typing = (p as { typing?: unknown })?.typing === true;
      if (typing === (socket.data.typing ?? false)) return;
      socket.data.typing = typing;
      this.liveConversationRef(socket).then(
        (c) => c && this.c.conversations.customerTyping(c, typing),
        (e) => this.ctx?.log.warn({ err: e }, 'visitor typing not relayed'),
      );
    });
    handle('csat.submit', async (p) => {
      const r = parsed(RateSchema, p);
      await this.c.conversations.rate(v.cid, r.conversationId, { score: r.score, comment: r.comment });
      return {};
    });
    handle('transcript.request', async (p) => {
      const r = parsed(TranscriptSchema, p);
      await this.transcriptLimiter!.consume(v.sub);
      await this.c.conversations.emailTranscript(v.cid, r.conversationId, r.email, r.locale);
      return {};
    });
    handle('read', async (p) => {
      const upTo = (p as { upTo?: unknown })?.upTo;
      if (typeof upTo !== 'string' || !/^[0-9a-f]{24}$/.test(upTo)) throw badRequest('read needs upTo: a message id');
      const c = await this.liveConversationRef(socket);
      if (c) await this.c.conversations.customerRead(c, upTo);
      return {};
    });
  }

  private async onSend(socket: VisitorSocket, payload: unknown): Promise<{ message: MessageView; duplicate: boolean }> {
    const v = socket.data.visitor;
    const parsed = SendSchema.safeParse(payload);
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '));
    const { clientId, text, attachmentIds } = parsed.data;
    const trimmed = text.trim();
    if (!trimmed && attachmentIds.length === 0) throw badRequest('message is empty');
    if (text.length > this.config.maxTextLength) throw badRequest(`message is longer than ${this.config.maxTextLength} characters`, 'too_long');
    const attachments = attachmentIds.length ? await this.c.files.owned(v.cid, attachmentIds) : [];
    // The rate limit (Redis) is checked while the message waits for its batch: see IngestOptions.admit.
    const admit = this.limiter!.consume(v.sub);
    const { message, conversation, duplicate } = await this.c.ingest({
      channel: 'webchat',
      externalId: `${v.sub}:${clientId}`,
      customer: { id: v.cid, name: v.name },
      from: v.sub,
      text,
      attachments,
      clientId,
      queue: this.config.defaultQueue,
      channelData: { visitorId: v.sub },
    }, { admit });
    socket.data.conversationId = conversation.id;
    // Attachments belong to the conversation from now on: agents' access is checked against it.
    if (attachments.length && !duplicate) await this.c.files.bindToConversation(attachments.map((a) => a.id), conversation.id);
    // Other tabs of the same visitor see their own message too (see announceTab; undefined = not known yet).
    const shown = this.withLinks(message);
    if (!duplicate && socket.data.otherTabs !== false) socket.to(visitorRoom(v.sub)).emit('message.created', { message: shown, updatedAt: shown.updatedAt });
    return { message: shown, duplicate };
  }

  /**
   * The widget opens attachments through short-lived signed links (never its 30-day token in a URL): each
   * attachment of a message sent to the visitor carries its link, fresh with every send and history load.
   */
  private withLinks<M extends { attachments?: { id: string }[] }>(m: M): M {
    if (!m.attachments?.length) return m;
    return { ...m, attachments: m.attachments.map((a) => ({ ...a, url: this.c.files.link(a.id) })) };
  }

  private async history(socket: VisitorSocket) {
    const v = socket.data.visitor;
    const messages = await this.c.conversations.history(v.cid, 200);
    const live = await this.liveConversation(socket);
    return { messages: messages.map((m) => this.withLinks(m)), conversationId: live?.id ?? null, status: live?.status ?? null };
  }

  /**
   * The visitor's live conversation for typing and read events: from the Redis inbox view when this
   * socket already knows it (it sent into it, or loaded history), else from MongoDB. Only this socket's
   * own conversation id is ever looked up (set by the hub, never by the client).
   */
  private async liveConversationRef(socket: VisitorSocket): Promise<ConversationInfo | null> {
    const id = socket.data.conversationId;
    if (id) {
      const v = await this.c.conversations.summary(id).catch(() => null);
      if (v && isLive(v.status)) return v;
    }
    return this.liveConversation(socket);
  }

  private async liveConversation(socket: VisitorSocket): Promise<ConversationInfo | null> {
    const c = await this.c.conversations.live(socket.data.visitor.cid);
    socket.data.conversationId = c?.id;
    return c;
  }
}
