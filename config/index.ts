/**
 * The one typed configuration. Nothing else in the code base reads process.env.
 * Sources, later wins: defaults below → JSON file (CCHUB_CONFIG, default ./cchub.config.json if present)
 * → environment variables. A bad value stops start-up with a message naming the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import type { ConnectorDefinition } from '../channels/contract.js';
import { connectors, connectorSection } from '../channels/index.js';

const port = z.coerce.number().int().min(0).max(65535);

const BaseSchema = z.object({
  /** HTTP + socket.io listen port (0 = pick a free one, for tests). */
  port: port.default(8080),
  /** Interface to bind. */
  host: z.string().min(1).default('127.0.0.1'),
  /**
   * How many proxies of yours stand in front of the hub (0 = none: X-Forwarded-For is ignored). The client
   * IP is the address that many hops back, never the left-most entry a client could write itself.
   */
  trustProxy: z.coerce.number().int().min(0).max(10).default(0),
  /** Public URL printed at start-up and used in links. */
  publicUrl: z.string().url().optional(),
  /** MongoDB connection string; when absent the embedded FerretDB store is started by scripts/start.ts. */
  mongoUri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  /** Redis URL; when absent a local redis-server is started by scripts/start.ts. */
  redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Prefix of every Redis key, BullMQ queue and socket.io channel (several deployments or test runs can share one Redis). */
  redisPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, - and _ only').default('cchub'),
  /** Secret that signs agent and visitor tokens (HS256). At least 32 characters. Never logged. */
  jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Agent session lifetime in seconds. */
  agentTokenTtl: z.coerce.number().int().min(60).default(12 * 3600),
  /** Visitor token lifetime in seconds (history restored on reload within it). */
  visitorTokenTtl: z.coerce.number().int().min(60).default(30 * 24 * 3600),
  /** Absolute lifetime of a visitor session in seconds: resuming renews the token, never past this from the session's start. */
  visitorSessionMaxAge: z.coerce.number().int().min(60).default(7 * 24 * 3600),
  /** How long a signed attachment link (the widget's images and files) stays valid, in seconds. */
  attachmentLinkTtl: z.coerce.number().int().min(10).max(86_400).default(600),
  /** Bearer token /metrics asks for. Unset: /metrics answers only connections from loopback. */
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Sign-in attempts allowed per minute: per client IP, per account (any IP) and for the whole hub. */
  login: z
    .object({
      perIp: z.coerce.number().int().min(1).default(20),
      perAccount: z.coerce.number().int().min(1).default(10),
      global: z.coerce.number().int().min(1).default(300),
    })
    .prefault({}),
  /** Files customers upload (any connector), before a message refers to them. */
  uploads: z
    .object({
      /** Bytes one customer may upload per day. */
      bytesPerCustomerPerDay: z.coerce.number().int().min(1024).default(50 * 1024 * 1024),
      /** An upload never attached to a message is deleted after this many seconds (and is attachable for half of it). */
      unattachedTtl: z.coerce.number().int().min(60).default(3600),
    })
    .prefault({}),
  /** Console sockets one user may have open at once across every hub (tabs, devices). */
  agentSocketsPerUser: z.coerce.number().int().min(1).max(100).default(10),
  /** Where the embedded services keep their data. */
  dataDir: z.string().min(1).default('.data'),
  /** Log level for pino. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Seed demo users (with their well-known passwords), queues and customers at start-up. Off unless
   * asked for (`npm start` asks); refused when the hub listens beyond loopback.
   */
  seedDemo: z.coerce.boolean().default(false),
  /** Customer identities. */
  identities: z
    .object({
      /** Region (ISO 3166 alpha-2) a phone number without a country code is read in: 13800138000 → +8613800138000 with CN. */
      defaultRegion: z
        .string()
        .refine((r) => isSupportedCountry(r), 'a region libphonenumber knows (ISO 3166 alpha-2), such as CN')
        .transform((r) => r as CountryCode)
        .default('CN'),
    })
    .prefault({}),
  /** Agent-started conversations (POST /api/conversations). */
  outreach: z
    .object({
      /** Conversations one agent may start per minute. */
      startsPerMinute: z.coerce.number().int().min(1).default(20),
    })
    .prefault({}),
  /** Marketing campaigns, consent and opt-out (hub/campaigns/). */
  campaigns: z
    .object({
      /** A campaign with more recipients than this needs a supervisor's approval before it starts. */
      approvalThreshold: z.coerce.number().int().min(0).default(1000),
      /** Inbound texts (trimmed, case-insensitive) that turn the customer's marketing consent on that channel off. */
      optOutKeywords: z.array(z.string().min(1).max(40)).default(['STOP', 'TD', '退订', 'UNSUBSCRIBE', 'T']),
      /** Sent once when an opt-out keyword turns consent off (by the customer's language). */
      optOutConfirmation: z
        .object({ zh: z.string().min(1).max(300).default('您已成功退订营销信息，服务通知不受影响。'), en: z.string().min(1).max(300).default('You have unsubscribed from marketing messages. Service messages continue.') })
        .prefault({}),
      /** Appended to every marketing SMS (the opt-out wording regulators require). */
      smsOptOutSuffix: z.object({ zh: z.string().max(40).default('回复TD退订'), en: z.string().max(40).default('Reply STOP to opt out') }).prefault({}),
      /** No marketing between these local times in the customer's time zone (HH:MM, wraps midnight; equal: none). */
      quietHours: z
        .object({ start: z.string().regex(/^\d\d:\d\d$/).default('21:00'), end: z.string().regex(/^\d\d:\d\d$/).default('08:00') })
        .prefault({}),
      /** Time zone of customers who have none stored (IANA name). */
      defaultTimeZone: z.string().min(1).default('Asia/Shanghai'),
      /** At most `count` marketing messages per customer in `days`, across campaigns and channels. */
      frequencyCap: z.object({ count: z.coerce.number().int().min(1).default(2), days: z.coerce.number().min(0.0001).default(7) }).prefault({}),
      /**
       * Campaign messages per second per channel, across hub processes: keep it below the channel's own
       * limit (the SMS account's tps) so agents' replies always find room (service traffic goes first).
       */
      tps: z.object({ sms: z.coerce.number().int().min(1).default(50), email: z.coerce.number().int().min(1).default(20) }).prefault({}),
      /** Concurrent sending lanes per campaign (BullMQ jobs; each claims recipients one at a time). */
      lanes: z.coerce.number().int().min(1).max(64).default(4),
      /** A recipient claimed by a process that died is taken over after this many seconds. */
      leaseSeconds: z.coerce.number().min(1).default(60),
      /** The queue replies to a campaign land in when the campaign names none. */
      replyQueue: z.string().min(1).max(64).default('general'),
      /** A reply within this many days of a campaign message is a reply to that campaign. */
      replyWindowDays: z.coerce.number().min(0).default(7),
    })
    .prefault({}),
  /** Routing. */
  acd: z
    .object({
      /**
       * How often the routing leader looks for what a process that died left half done: queued
       * conversations routing never heard of, tasks of resolved conversations, agents logged in with
       * no console open on any hub.
       */
      orphanSweepSeconds: z.coerce.number().int().min(1).default(30),
      /** A queued conversation younger than this is not an orphan yet (its arrival may still be on its way). */
      orphanGraceSeconds: z.coerce.number().min(0).default(10),
      /**
       * An agent whose console is closed (or lost its connection) is logged out of routing after this
       * long without coming back, and what they held goes back to the queue.
       */
      logoutGraceSeconds: z.coerce.number().min(0).default(15),
      /**
       * An assignment whose agent has a console open but which no console acknowledged (it never
       * reached the agent's screen) is announced again after this long, and after as long again it
       * goes back to the queue and the agent is marked not answering (ring-no-answer).
       */
      ackSeconds: z.coerce.number().min(0.5).default(5),
      /**
       * The routing leader's lease: a leader that dies is replaced after at most this long (routing
       * pauses meanwhile); it renews it four times as often, so a leader whose process stalls for
       * longer than three quarters of it loses leadership.
       */
      leaseSeconds: z.coerce.number().min(1).max(60).default(4),
    })
    .prefault({}),
  /** Group commit of inbound messages: most insertMany calls in flight, and largest batch. */
  ingest: z
    .object({
      maxInFlight: z.coerce.number().int().min(1).max(16).default(1),
      maxBatch: z.coerce.number().int().min(1).max(1000).default(200),
      /** Conversations whose counters are written back to MongoDB per second (the live ones are in Redis). */
      counterWriteBackPerSecond: z.coerce.number().int().min(1).max(1000).default(10),
      /**
       * A message in the thread of a conversation resolved at most this long ago reopens it (back to the
       * queue); later, it opens a new conversation linked to the old one (previousConversationId).
       */
      reopenWindowHours: z.coerce.number().min(0).default(72),
    })
    .prefault({}),
  /** Files connectors and uploads store (GridFS bucket `attachments`, hub/files.ts). */
  files: z
    .object({
      /** Largest file in bytes any connector may store (a connector may ask for less); also the largest attachment ingest accepts. */
      maxBytes: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
      /** Content types accepted (type/subtype, or type/* for a whole family). */
      allowedTypes: z
        .array(z.string().regex(/^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/, 'must be type/subtype or type/*'))
        .default(['image/*', 'application/pdf', 'text/plain', 'text/csv', 'message/rfc822', 'audio/*', 'video/mp4', 'application/zip', 'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']),
    })
    .prefault({}),
  /** Delivery receipts (hub/receipts.ts). */
  receipts: z
    .object({
      /** How long a receipt that arrived before its send's result is kept, waiting for it. */
      pendingTtlSeconds: z.coerce.number().int().min(60).default(24 * 3600),
    })
    .prefault({}),
});

type Connectors = (typeof connectors)[number];
/** Each connector's section (channels/index.ts), under its kind: the connector declares it, config/ validates it. */
// (Widened for the call: over a tuple of different connectors TypeScript cannot pick one schema type for `d`.)
const sections = Object.fromEntries(connectors.map((d) => [d.kind, connectorSection(d as unknown as ConnectorDefinition)])) as {
  [D in Connectors as D['kind']]: ReturnType<typeof connectorSection<D['config']>>;
};

export const ConfigSchema = BaseSchema.extend(sections);

export type Config = z.infer<typeof ConfigSchema>;

/** Environment variable → config path. */
const ENV_MAP: Record<string, string> = {
  PORT: 'port',
  HOST: 'host',
  CCHUB_TRUST_PROXY: 'trustProxy',
  PUBLIC_URL: 'publicUrl',
  MONGODB_URI: 'mongoUri',
  REDIS_URL: 'redisUrl',
  CCHUB_REDIS_PREFIX: 'redisPrefix',
  CCHUB_JWT_SECRET: 'jwtSecret',
  CCHUB_DATA_DIR: 'dataDir',
  LOG_LEVEL: 'logLevel',
  CCHUB_SEED_DEMO: 'seedDemo',
  CCHUB_METRICS_TOKEN: 'metricsToken',
  CCHUB_LOGIN_PER_IP: 'login.perIp',
  CCHUB_LOGIN_PER_ACCOUNT: 'login.perAccount',
  CCHUB_LOGIN_GLOBAL: 'login.global',
  CCHUB_AGENT_SOCKETS_PER_USER: 'agentSocketsPerUser',
  CCHUB_VISITOR_SESSION_MAX_AGE: 'visitorSessionMaxAge',
  CCHUB_UPLOAD_BYTES_PER_DAY: 'uploads.bytesPerCustomerPerDay',
  CCHUB_ACD_ORPHAN_SWEEP_SECONDS: 'acd.orphanSweepSeconds',
  CCHUB_ACD_ORPHAN_GRACE_SECONDS: 'acd.orphanGraceSeconds',
  CCHUB_ACD_LOGOUT_GRACE_SECONDS: 'acd.logoutGraceSeconds',
  CCHUB_ACD_ACK_SECONDS: 'acd.ackSeconds',
  CCHUB_ACD_LEASE_SECONDS: 'acd.leaseSeconds',
  CCHUB_DEFAULT_REGION: 'identities.defaultRegion',
  CCHUB_REOPEN_WINDOW_HOURS: 'ingest.reopenWindowHours',
  CCHUB_FILES_MAX_BYTES: 'files.maxBytes',
  CCHUB_VOICE_ENABLED: 'voice.enabled',
  CCHUB_CAMPAIGN_APPROVAL_THRESHOLD: 'campaigns.approvalThreshold',
  CCHUB_CAMPAIGN_LEASE_SECONDS: 'campaigns.leaseSeconds',
  CCHUB_CAMPAIGN_SMS_TPS: 'campaigns.tps.sms',
  // ... and each connector's own variables (its definition's env), under its section.
  ...Object.fromEntries(connectors.flatMap((d) => Object.entries(d.env ?? {}).map(([name, key]) => [name, `${d.kind}.${key}`]))),
};
/** Paths read as on/off from the environment: anything but 0 or false is on. */
const isSwitch = (path: string) => path === 'seedDemo' || path.endsWith('.enabled');

/** The hub's own secrets (top-level keys), never printed or logged. */
const SECRET_KEYS = new Set(['jwtSecret', 'mongoUri', 'redisUrl', 'metricsToken']);
/** Each connector's secret key names, redacted at any depth of its section (ConnectorDefinition.secrets). */
const SECTION_SECRETS = new Map<string, Set<string>>(connectors.map((d) => [d.kind, new Set((d as { secrets?: string[] }).secrets ?? [])]));

export class ConfigError extends Error {}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/** Load and validate. `overrides` (used by tests and scripts) win over everything. */
export function loadConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  const file = env.CCHUB_CONFIG ?? (existsSync('cchub.config.json') ? 'cchub.config.json' : undefined);
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`config file ${file}: ${(e as Error).message}`);
    }
  }
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    // trustProxy is a number of hops; the old on/off spelling means one proxy.
    if (path === 'trustProxy') setPath(raw, path, v === 'true' ? 1 : v === 'false' ? 0 : v);
    else setPath(raw, path, isSwitch(path) ? v !== '0' && v !== 'false' : v);
  }
  for (const [k, v] of Object.entries(overrides)) setPath(raw, k, v);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.path.join('.') || '(root)';
      return `  ${key}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** A copy safe to log: secrets replaced. */
export function redactConfig(c: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(c).map(([k, v]) => {
      if (SECRET_KEYS.has(k)) return [k, v ? '[redacted]' : v];
      const names = SECTION_SECRETS.get(k);
      return [k, names?.size ? redactNamed(v, names) : v];
    }),
  );
}

/** A copy of `v` with every key named in `names`, at any depth, replaced (unset ones stay unset). */
export function redactNamed(v: unknown, names: Set<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => redactNamed(x, names));
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, names.has(k) && x !== undefined && x !== '' ? '[redacted]' : redactNamed(x, names)]));
}
