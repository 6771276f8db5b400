/**
 * The hub process: HTTP API, socket.io realtime, ingest, outbound queue and channel connectors, wired
 * over one MongoDB connection and one Redis. Several hubs can share the same database and Redis.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import multipart from '@fastify/multipart';
import cors from '@fastify/cors';
import mongoose, { type Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { createFanoutAdapter } from './fanout.js';
import { within } from './within.js';
import { logRedisErrors } from './redis-errors.js';
import { coalesceWebsocketWrites } from './coalesce-writes.js';
import { Server } from 'socket.io';
import pino, { type Logger } from 'pino';
import type { Config } from '../config/index.js';
import { Tokens } from './auth/tokens.js';
import { AuditLog } from './audit.js';
import { Presence } from './presence.js';
import { SocketCap } from './socket-cap.js';
import { UploadSweep } from './upload-sweep.js';
import { SnoozeSweeper } from './snooze.js';
import { SearchIndex } from './search/index.js';
import { createModels, type Models } from './models/index.js';
import { Ingest } from './ingest/ingest.js';
import { Identities } from './identities.js';
import { CustomerMerge } from './customer-merge.js';
import { Outreach } from './outreach.js';
import { AgentRealtime } from './realtime.js';
import { Conversations } from './conversations.js';
import { Outbound } from './outbound.js';
import { FileStore } from './files.js';
import { Receipts } from './receipts.js';
import { errorBody, unsupportedType } from '../lib/errors.js';
import { registerAuthRoutes } from './api/auth-routes.js';
import { registerConversationRoutes } from './api/conversation-routes.js';
import { registerAgentUploadRoutes } from './api/agent-uploads.js';
import { registerAcdRoutes } from './api/acd-routes.js';
import { registerAdminRoutes } from './api/admin-routes.js';
import { registerCannedRoutes } from './api/canned-routes.js';
import { registerCustomerRoutes } from './api/customer-routes.js';
import { registerIvrRoutes } from './api/ivr-routes.js';
import { registerAgentCalls } from './agent-calls.js';
import { Ivr, defaultPromptDir } from '../gateway/ivr/index.js';
import { connectors as registry } from '../channels/index.js';
import type { Channel, ConnectorDefinition, ConversationTarget } from '../channels/contract.js';
import { Connectors } from './connectors.js';
import { connectorContext } from './connector-context.js';
import { Metrics } from './metrics.js';
import { conversationTarget, conversationView, type ConversationView } from './views.js';
import type { ConversationDoc } from './models/conversation.js';
import { AcdService } from './acd/service.js';
import { AcdBridge } from './acd/bridge.js';
import { InboxView } from './inbox-view.js';
import type { MessageDoc } from './models/message.js';
import { isLive } from './models/types.js';
import { findByIds } from './by-ids.js';
import { securityHeaders } from './security-headers.js';
import { Campaigns } from './campaigns/index.js';

export interface HubEvents {
  messageCreated(message: MessageDoc, conversation: ConversationView): void;
  conversationUpdated(conversation: ConversationDoc, previousAssignee?: string | null): void;
}

export class Hub {
  readonly app: FastifyInstance<any, any, any, any>;
  readonly io: Server;
  readonly m: Models;
  readonly tokens: Tokens;
  readonly audit: AuditLog;
  readonly presence: Presence;
  readonly socketCap: SocketCap;
  readonly uploadSweep: UploadSweep;
  /** Wakes snoozed conversations at their time or when the customer writes (hub/snooze.ts). */
  readonly snoozes: SnoozeSweeper;
  /** Conversation search (hub/search/): tokens of messages and customers in Redis sets. */
  readonly search: SearchIndex;
  readonly ingest: Ingest;
  readonly agents: AgentRealtime;
  readonly conversations: Conversations;
  readonly outbound: Outbound;
  readonly merges: CustomerMerge;
  readonly outreach: Outreach;
  /** Marketing campaigns, consent and opt-out (hub/campaigns/). */
  readonly campaigns: Campaigns;
  readonly files: FileStore;
  readonly receipts: Receipts;
  /** The enabled channel connectors (channels/index.ts), their lifecycle states and hooks. */
  readonly connectors: Connectors;
  readonly metrics = new Metrics();
  readonly acd: AcdService;
  readonly inbox: InboxView;
  readonly acdBridge: AcdBridge;
  readonly events: HubEvents;
  /** IVR flows, prompts and the engine the call layer runs calls through (gateway/ivr). */
  readonly ivr: Ivr;
  private subRedis: Redis;
  private closing = false;
  /** conversation id → what connectors' hooks get about it (see targetsOf). */
  private targetOfConversation = new Map<string, ConversationTarget | null>();
  private flushTimer?: NodeJS.Timeout;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly conn: Connection,
    readonly redis: Redis,
    connectorDefs: readonly ConnectorDefinition[],
  ) {
    this.m = createModels(conn);
    this.files = new FileStore(conn, config.files);
    // A missing secret is only acceptable for a single local process; say so loudly.
    const secret = config.jwtSecret ?? randomBytes(32).toString('hex');
    if (!config.jwtSecret) log.warn('CCHUB_JWT_SECRET is not set: using a random secret; sessions end when this process stops and other hub processes cannot verify them');
    this.tokens = new Tokens(secret, { agent: config.agentTokenTtl, visitor: config.visitorTokenTtl, visitorSession: config.visitorSessionMaxAge, attachmentLink: config.attachmentLinkTtl });
    this.audit = new AuditLog(this.m, log);
    this.presence = new Presence(redis, config.redisPrefix);
    this.socketCap = new SocketCap(redis, config.redisPrefix, config.agentSocketsPerUser);
    this.uploadSweep = new UploadSweep(conn, config.uploads.unattachedTtl, log.child({ mod: 'uploads' }));
    this.snoozes = new SnoozeSweeper(this, log.child({ mod: 'snooze' }));
    this.inbox = new InboxView(redis, config.redisPrefix, this.m, log.child({ mod: 'inbox' }));
    this.search = new SearchIndex(redis, config.redisPrefix, this.inbox, log.child({ mod: 'search' }));
    this.app = Fastify({ loggerInstance: log.child({ mod: 'http' }, { level: log.level === 'silent' ? 'silent' : 'warn' }), bodyLimit: 256 * 1024,
      // Exactly this many proxy hops (a number): req.ip is the address the outermost of our proxies saw,
      // whatever a client writes at the left of X-Forwarded-For.
      trustProxy: config.trustProxy > 0 ? (_addr: string, hop: number) => hop < config.trustProxy : false,
      // A malformed or over-long URL (e.g. a 5,000-character id) is refused by the router before any
      // route runs: the same error body as everything else, without echoing the URL back.
      frameworkErrors: (err, _req, reply: FastifyReply) => {
        const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
        void reply.code(tooLong ? 414 : 400).send({ error: { code: tooLong ? 'url_too_long' : 'bad_url', message: tooLong ? 'a part of the URL is too long' : 'the URL is malformed' } });
      },
    });
    this.io = new Server(this.app.server, { cors: { origin: true }, maxHttpBufferSize: 64 * 1024, pingInterval: 10_000, pingTimeout: 8_000 });
    coalesceWebsocketWrites(this.io);
    this.subRedis = logRedisErrors(redis.duplicate({ enableAutoPipelining: false }), log, 'fanout subscriber');
    this.io.adapter(createFanoutAdapter(redis, this.subRedis, { key: `${config.redisPrefix}:socket.io` }, log.child({ mod: 'fanout' })));
    this.events = {
      messageCreated: (m, v) => {
        this.agents.messageCreated(m, v);
        // Searchable by its text (notes are colleagues' words: not mixed into the customer's search).
        if (!(m as { internal?: boolean }).internal) this.search.add(v.id, m.text, (m as { subject?: string }).subject);
      },
      conversationUpdated: (c, prev) => {
        // The view first, then the event with its live counters (order per conversation is kept by updatedAt).
        void this.inbox
          .upsert(c)
          .then(() => this.inbox.view(c))
          .then((v) => this.agents.conversationUpdated(v, prev))
          .catch((e) => this.log.warn({ err: e }, 'conversation event failed'));
        this.connectors.hook(conversationTarget(c), 'conversationUpdated', { status: c.status, updatedAt: new Date(c.updatedAt).toISOString() });
      },
    };
    this.ingest = new Ingest(this.m, config.ingest, {
      conversationOpened: (c, route) => {
        this.events.conversationUpdated(c);
        // Findable by the customer's name and the address it came from (phone, e-mail).
        this.search.add(String(c._id), c.customerName, c.subject, searchableAddress(c.channelData));
        if (route) void this.acdBridge.conversationOpened(c).catch((e) => this.log.error({ err: e }, 'routing arrival failed (reconciled by the next leader)'));
      },
      stored: (r) => {
        this.metrics.messagesIngested.inc({ channel: r.message.channel });
        const v = r.view ?? conversationView(r.conversation);
        this.events.messageCreated(r.message, v);
        // The customer wrote to a snoozed conversation: it comes back now (hub/snooze.ts).
        if (r.message.direction === 'in' && v.snoozedUntil) this.snoozes.customerWrote(v.id);
      },
      replayed: (r) => {
        // With the live counters (the cached document's may be older than what the consoles show).
        void (r.view ? Promise.resolve(r.view) : this.inbox.view(r.conversation))
          .then((v) => this.events.messageCreated(r.message, v))
          .catch((e) => this.log.warn({ err: e }, 'replayed message not announced'));
      },
      bump: (items) => this.inbox.bump(items),
      counterError: (e) => this.log.error({ err: e }, 'conversation counters not updated (messages are stored)'),
      opening: (customerId, channel) => this.campaigns.replyRouting(customerId, channel),
    }, this.files, new Identities(this.m, config.identities));
    this.connectors = new Connectors(connectorDefs, config, log.child({ mod: 'connectors' }), this.metrics);
    this.acdBridge = new AcdBridge(this);
    this.acd = new AcdService({
      redis,
      prefix: config.redisPrefix,
      log: log.child({ mod: 'acd' }),
      leaseMs: config.acd.leaseSeconds * 1000,
      queues: () => this.acdBridge.queues(),
      effects: {
        stored: (d, r) => this.acdBridge.stored(d, r),
        applied: (d, r) => this.acdBridge.applied(d, r),
        becameLeader: (r) => this.acdBridge.reconcile(r),
        periodic: (r) => this.acdBridge.periodic(r),
      },
      onLatency: (ms) => this.metrics.routingLatency.observe(ms / 1000),
    });
    this.agents = new AgentRealtime(
      this.io,
      this.m,
      this.tokens,
      this.presence,
      log.child({ mod: 'realtime' }),
      (convId, typing, user) => {
        // Only the agent on the conversation (or a supervisor) shows as typing to its customer.
        const lead = user.role === 'supervisor' || user.role === 'admin';
        void this.typingTarget(convId)
          .then((t) => t && (lead || t.assigneeId === user.sub) && this.connectors.hook(t.target, 'agentTyping', typing))
          .catch(() => undefined);
      },
      {
        connected: (id) => void this.acdBridge.agentConnected(id).catch((e) => this.log.warn({ err: e }, 'routing login failed')),
        disconnected: (id) => this.acdBridge.agentDisconnected(id),
        acked: (id, ids) => void this.acdBridge.acked(id, ids).catch((e) => this.log.warn({ err: e }, 'assignment acknowledgement not stored')),
      },
      this.socketCap,
    );
    this.conversations = new Conversations(this);
    this.receipts = new Receipts(this.m, redis, config.redisPrefix, config.receipts.pendingTtlSeconds, log.child({ mod: 'receipts' }), (msg) => this.outboundStatus(msg));
    this.outbound = new Outbound(redis, config.redisPrefix, this.m, this.connectors.routes, log.child({ mod: 'outbound' }), (msg) => this.outboundStatus(msg), this.files, this.receipts);
    this.merges = new CustomerMerge(this);
    this.outreach = new Outreach(this);
    this.ivr = new Ivr({ conn, m: this.m, promptDir: defaultPromptDir(resolve(config.dataDir)), queues: async () => (await this.acdBridge.listedQueues()).map((q) => q.id), log: log.child({ mod: 'ivr' }) });
    this.campaigns = new Campaigns(this);
    // A conversation resolved in another process must leave this process's live cache too.
    this.io.on('conversation.closed', (openKey: string) => this.ingest.forgetConversation(openKey));
  }

  /** `connectors` replaces the registry (tests add a connector of their own). */
  static async create(config: Config, log: Logger = pino({ level: config.logLevel }), opts: { connectors?: readonly ConnectorDefinition[] } = {}): Promise<Hub> {
    if (!config.mongoUri || !config.redisUrl) throw new Error('mongoUri and redisUrl are required (scripts/start.ts starts the embedded ones)');
    const conn = await mongoose.createConnection(config.mongoUri, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 20 }).asPromise();
    // Auto-pipelining: every command issued in one turn of the event loop (the rate-limit checks of
    // the frames read together, the fan-out publishes of one stored batch) goes out in one write.
    // Connections that block or subscribe are duplicates with it off.
    const redis = logRedisErrors(new Redis(config.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false, enableAutoPipelining: true }), log, 'main');
    await redis.ping();
    const hub = new Hub(config, log, conn, redis, opts.connectors ?? registry);
    await hub.init();
    return hub;
  }

  /** What the hub gives one connector (channels/contract.ts ConnectorContext). */
  connectorContext(kind: Channel) {
    return connectorContext(this, kind, this.log.child({ connector: kind }), (e) => this.connectors.report(kind, e));
  }

  forgetOpenConversation(openKey: string): void {
    this.ingest.forgetConversation(openKey);
    this.io.serverSideEmit('conversation.closed', openKey);
  }

  private async init(): Promise<void> {
    // How long each step of a start took: logged once started (a slow start is usually the store).
    const phases: Record<string, number> = {};
    let mark = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      phases[name] = Math.round(now - mark);
      mark = now;
    };
    await Promise.all(Object.values(this.m).map((model) => model.createIndexes()));
    phase('indexes');
    await this.ingest.ids.loadMerges();
    await this.campaigns.init();
    phase('campaigns');
    // Tight limits for every multipart body: fields are buffered in memory before a file is reached.
    await this.app.register(multipart, { limits: { fileSize: 50 * 1024 * 1024, files: 1, fields: 4, fieldSize: 1024, fieldNameSize: 64, parts: 6, headerPairs: 20 } });
    securityHeaders(this.app, { https: (this.config.publicUrl ?? '').startsWith('https:') });
    // A multipart body is read only by routes that take uploads (config.multipart); anywhere else it
    // would reach the JSON validation as no body at all (`{}`), so a PUT of defaults would pass as valid.
    this.app.addHook('preValidation', async (req) => {
      if (req.isMultipart() && !(req.routeOptions.config as { multipart?: boolean } | undefined)?.multipart) throw unsupportedType('this route takes a JSON body, not multipart/form-data');
    });
    // The widget runs on the bank's own site: its endpoints answer any origin. Tokens travel in headers,
    // never cookies, so this opens nothing to cross-site requests; the agent API allows no other origin.
    const publicPaths = [...this.connectors.publicPaths, '/api/attachments/'];
    await this.app.register(cors, {
      delegator: (req, cb) => {
        const url = req.url ?? '';
        const open = publicPaths.some((p) => url.startsWith(p));
        cb(null, open ? { origin: true, methods: ['GET', 'POST'], allowedHeaders: ['Content-Type', 'Authorization'], maxAge: 600 } : { origin: false });
      },
    });
    // Connectors start once the HTTP plugins are in place (they add routes) and before routing, whose
    // first pass may already call their hooks; outbound sends wait for them (Outbound.start).
    phase('http');
    for (const [kind, c] of this.connectors.byChannel) {
      const log = this.log.child({ connector: kind });
      await c.start(connectorContext(this, kind, log, (e) => this.connectors.report(kind, e)));
      phase(`connector:${kind}`);
    }
    this.outbound.start();
    await this.campaigns.start();
    this.uploadSweep.start();
    this.snoozes.start();
    phase('workers');
    await this.acd.start();
    phase('acd');
    this.log.info({ phases }, 'hub initialised');
    // Replies stored by a process that died before queueing them.
    void this.outbound.resumeStored().then(
      (n) => n && this.log.info({ messages: n }, 'outbound messages stored before a restart handed to the queue'),
      (e) => this.log.error({ err: e }, 'could not resume stored outbound messages'),
    );
    // Built in the background; until then lists are read from MongoDB.
    void this.inbox.ensureBuilt().catch((e) => this.log.error({ err: e }, 'inbox view build failed'));
    // Counters back to MongoDB, a few a second: each update holds the embedded store's write lock for
    // ~6 ms, so 100/s took ~60% of it and tripled message write latency (measured with bench:chat).
    // Spread over the second in tiny commands: ten updates at once held the lock ~60 ms, a latency spike
    // for every message behind it.
    const perTick = Math.max(1, Math.round(this.config.ingest.counterWriteBackPerSecond / 10));
    this.flushTimer = setInterval(() => void this.inbox.flush(perTick).catch((e) => this.log.warn({ err: e }, 'counter write-back failed')), 100);
    this.flushTimer.unref();
    this.app.setErrorHandler((err, req, reply) => {
      const { status, body } = errorBody(err);
      const fastifyStatus = (err as { statusCode?: number }).statusCode;
      if (status === 500 && fastifyStatus && fastifyStatus < 500) {
        // Fastify's own edge errors: malformed JSON, body too large, bad content type.
        return reply.code(fastifyStatus).send({ error: { code: edgeCode(fastifyStatus), message: (err as Error).message } });
      }
      if (status >= 500) req.log.error({ err: err as Error }, 'request failed');
      return reply.code(status).send(body);
    });
    // A response sent before the request body was read to its end (a refused upload: 413 mid-stream,
    // 401/429 before reading) leaves the rest of that body on a keep-alive connection, where the
    // client's next request would queue behind it and hang. Close such a connection after the answer.
    this.app.addHook('onSend', (req, reply, payload, done) => {
      if (!req.raw.complete) reply.header('connection', 'close');
      done(null, payload);
    });
    this.app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));
    this.app.addHook('onResponse', (req, reply, done) => {
      this.metrics.httpRequests.inc({ method: req.method, status: String(reply.statusCode) });
      done();
    });
    this.app.get('/healthz', async () => ({ ok: true }));
    this.app.get('/readyz', async (_req, reply) => {
      if (this.closing) return reply.code(503).send({ ok: false, reason: 'shutting down' });
      // Each dependency answers within 2 s or counts as down; which one is said, not its address or error.
      const up = async (p: Promise<unknown>) => {
        let ok = false;
        await within(p.then(() => (ok = true)), 2000);
        return ok;
      };
      const [store, redis] = await Promise.all([up(this.conn.db!.admin().ping()), up(this.redis.ping())]);
      // Connectors are listed, not counted: one channel's outage (a refused IMAP login) must not take
      // this hub, and every other channel and console on it, out of the load balancer.
      const connectors = this.connectors.states();
      if (store && redis) return { ok: true, connectors };
      const down = [...(store ? [] : ['store']), ...(redis ? [] : ['redis'])];
      this.log.warn({ down }, 'not ready');
      return reply.code(503).send({ ok: false, down, connectors });
    });
    this.app.get('/metrics', async (req, reply) => {
      // Behind a token when one is set; otherwise only for this machine (the socket's own address: a
      // forwarded header could be written by anyone).
      const token = this.config.metricsToken;
      if (token ? !bearerIs(req.headers.authorization, token) : !isLoopbackAddress(req.socket.remoteAddress)) {
        return reply.code(token ? 401 : 403).send({ error: { code: token ? 'unauthorized' : 'forbidden', message: token ? 'send the metrics token as a bearer token' : 'metrics are served to this machine only unless CCHUB_METRICS_TOKEN is set' } });
      }
      this.metrics.routingLeader.set(this.acd.isLeader ? 1 : 0);
      reply.header('Content-Type', this.metrics.registry.contentType);
      return this.metrics.registry.metrics();
    });
    registerAuthRoutes(this.app, this);
    registerConversationRoutes(this.app, this);
    registerAgentUploadRoutes(this.app, this);
    registerAcdRoutes(this.app, this);
    registerAdminRoutes(this.app, this);
    registerCustomerRoutes(this.app, this);
    registerIvrRoutes(this.app, this);
    registerAgentCalls(this);
    registerCannedRoutes(this.app, this);
    this.campaigns.registerRoutes(this.app);
    this.serveUi();
  }

  /**
   * What connectors' hooks get about each conversation (null: not found), cached: those parts never
   * change. Used by queue positions and agent typing, which must not read MongoDB per event.
   */
  async targetsOf(ids: string[]): Promise<Map<string, ConversationTarget | null>> {
    const unknown = ids.filter((id) => !this.targetOfConversation.has(id));
    if (unknown.length) {
      if (this.targetOfConversation.size > 50_000) this.targetOfConversation.clear();
      for (const c of await findByIds<ConversationDoc>(this.m.Conversation, unknown, { channel: 1, customerId: 1, channelData: 1 })) {
        this.targetOfConversation.set(String(c._id), conversationTarget(c));
      }
    }
    return new Map(ids.map((id) => [id, this.targetOfConversation.get(id) ?? null]));
  }

  /**
   * Where an agent's typing indicator goes: the assignee from the Redis inbox view (current), the
   * conversation from targetsOf. Null when it is not live, its connector shows no agent typing, or
   * the view does not know it.
   */
  private async typingTarget(convId: string): Promise<{ target: ConversationTarget; assigneeId: string | null } | null> {
    const v = await this.inbox.summary(convId).catch(() => null);
    if (!v || !isLive(v.status) || !this.connectors.has(v.channel, 'agentTyping')) return null;
    const target = (await this.targetsOf([convId])).get(convId);
    return target ? { target, assigneeId: v.assignee?.id ?? null } : null;
  }

  /** A delivery status changed: consoles replace the message (same id, newer updatedAt). */
  outboundStatus(msg: MessageDoc): void {
    void this.m.Conversation.findById(msg.conversationId)
      .lean()
      .then((c) => (c ? this.inbox.view(c as ConversationDoc) : null))
      .then((v) => v && this.agents.messageCreated(msg, v))
      .catch(() => undefined);
  }

  /** The built console, widget and demo page (npm run build:ui → dist/). */
  private serveUi(): void {
    const dist = join(process.cwd(), 'dist');
    const consoleDir = join(dist, 'console');
    if (existsSync(consoleDir)) {
      // wildcard: files are looked up per request, so a rebuilt console is served without a restart.
      void this.app.register(fastifyStatic, { root: consoleDir, prefix: '/console/', decorateReply: true, wildcard: true });
      this.app.get('/console', (_req, reply) => reply.redirect('/console/'));
    }
    const widget = join(dist, 'widget', 'widget.js');
    if (existsSync(widget)) this.app.get('/widget.js', (_req, reply) => reply.header('Cache-Control', 'no-cache').sendFile('widget.js', join(dist, 'widget')));
    const demo = join(dist, 'demo');
    if (existsSync(demo)) {
      void this.app.register(fastifyStatic, { root: demo, prefix: '/demo/', decorateReply: false });
      this.app.get('/demo', (_req, reply) => reply.redirect('/demo/'));
    }
    this.app.get('/', (_req, reply) => reply.redirect('/console/'));
  }

  async listen(): Promise<string> {
    await this.app.listen({ port: this.config.port, host: this.config.host });
    const a = this.app.server.address() as AddressInfo;
    return `http://${a.address}:${a.port}`;
  }

  get port(): number {
    return (this.app.server.address() as AddressInfo).port;
  }

  /** Graceful: stop taking connections, let in-flight writes finish, then close stores. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Campaign lanes first: a send cut short by a stopped connector would only be retried.
    await this.campaigns.close();
    for (const [kind, c] of this.connectors.byChannel) {
      await c.stop().catch((e) => this.log.warn({ err: e, connector: kind }, 'connector did not stop cleanly'));
      this.connectors.report(kind, { type: 'stopped' });
    }
    // Bounded: shutdown must end even when Redis restarted under a blocking read (the lease then expires).
    if (!(await within(this.acd.stop(), 5000))) this.log.warn('routing did not stop within 5 s; going on with the shutdown');
    // Local sockets only, transport closed so consoles reconnect to another hub (as connectors do in stop()).
    for (const s of this.io.of('/agent').sockets.values()) s.conn.close();
    await new Promise<void>((r) => this.io.close(() => r()));
    await this.app.close().catch(() => undefined);
    await this.ingest.drain();
    clearInterval(this.flushTimer);
    await this.inbox.flushAll().catch((e) => this.log.warn({ err: e }, 'counter write-back at shutdown failed'));
    await this.outbound.close();
    this.presence.close();
    this.socketCap.close();
    this.uploadSweep.stop();
    this.snoozes.stop();
    this.subRedis.disconnect();
    await this.redis.quit().catch(() => undefined);
    await this.conn.close();
  }
}

/** Fastify's own edge errors (malformed JSON, body too large, content type) in the hub's error vocabulary. */
function edgeCode(status: number): string {
  return ({ 413: 'too_large', 415: 'unsupported_type', 429: 'rate_limited' } as Record<number, string>)[status] ?? 'bad_request';
}

/** Whether an Authorization header carries exactly this bearer token (compared in constant time). */
function bearerIs(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

const isLoopbackAddress = (a: string | undefined): boolean => !!a && (a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.'));

/** The customer's address a connector keeps on the conversation (SMS msisdn, e-mail from), for search. */
function searchableAddress(d: unknown): string {
  const o = (d ?? {}) as Record<string, unknown>;
  return [o.msisdn, o.from, o.email, o.address].filter((x) => typeof x === 'string').join(' ');
}
