/**
 * The one channel-agnostic ingest every connector calls. It finds or creates the customer and the live
 * conversation and stores the message exactly once, idempotent on (channel, externalId). The promise
 * resolves only after the message is durably stored: connectors ack their channel after it.
 */
import { Types } from 'mongoose';
import sanitizeHtml from 'sanitize-html';
import { maskSensitive } from '../mask.js';
import { z } from 'zod';
import { AppError, badRequest, isDuplicateKey } from '../../lib/errors.js';
import type { ConversationDoc } from '../models/conversation.js';
import type { MessageDoc } from '../models/message.js';
import { CHANNELS, isLive, type Channel, type Models } from '../models/index.js';
import { findByIds } from '../by-ids.js';
import { stripNul } from '../../lib/storable.js';
import { Identities } from '../identities.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { threadConversation, threadOpenKey } from './threads.js';
import type { FileStore } from '../files.js';
import type { Bump } from '../inbox-view.js';
import type { ConversationView } from '../views.js';

/**
 * sanitize-html's defaults plus images: a mail's pictures (http/https, cid: parts of the same mail,
 * data:) are kept so the console can show them — remote ones only once the agent asks (agent-ui
 * mailHtml.ts), never by themselves.
 */
const INBOUND_HTML: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img'],
  allowedAttributes: { ...sanitizeHtml.defaults.allowedAttributes, img: ['src', 'alt', 'title', 'width', 'height'] },
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
};

const attachment = z.object({
  id: z.string().regex(/^[0-9a-f]{24}$/),
  name: z.string().max(255),
  contentType: z.string().max(255),
  size: z.number().int().min(0),
});

export const InboundMessageSchema = z.object({
  channel: z.enum(CHANNELS),
  /** The channel's own id for this message: the idempotency key. */
  externalId: z.string().min(1).max(512),
  customer: z.object({
    id: z.string().regex(/^[0-9a-f]{24}$/).optional(),
    /** verified: false for contact data typed into a form (never attaches to the customer holding it). */
    identity: z.object({ channel: z.enum(CHANNELS), address: z.string().min(1).max(320), verified: z.boolean().optional() }).optional(),
    name: z.string().max(200).optional(),
    language: z.string().max(16).optional(),
  }),
  from: z.string().max(320).optional(),
  to: z.string().max(320).optional(),
  cc: z.string().max(2000).optional(),
  text: z.string().max(100_000),
  html: z.string().max(2_000_000).optional(),
  subject: z.string().max(1000).optional(),
  attachments: z.array(attachment).max(20).default([]),
  clientId: z.string().max(128).optional(),
  queue: z.string().max(64).optional(),
  channelData: z.record(z.string(), z.unknown()).optional(),
  receivedAt: z.date().optional(),
  /**
   * The channel's thread this message belongs to (e.g. the first Message-ID of an e-mail thread): the
   * message joins that thread's conversation, not the customer's live one (hub/ingest/threads.ts).
   */
  threadKey: z.string().min(1).max(512).optional(),
  /** Tags and extra routing priority a new conversation opens with (a voice call's IVR tags and priority). */
  tags: z.array(z.string().min(1).max(64)).max(20).optional(),
  priority: z.number().int().min(0).max(100).optional(),
});
export type InboundMessage = z.input<typeof InboundMessageSchema>;
type Parsed = z.output<typeof InboundMessageSchema>;

export interface IngestResult {
  message: MessageDoc;
  conversation: ConversationDoc;
  /** True when this external id was stored before: nothing new was written. */
  duplicate: boolean;
  /** The conversation's summary with live counters, when known to the inbox view. */
  view?: ConversationView | null;
}

export interface IngestOptions {
  /**
   * Admission check the message must pass before it is written (e.g. a rate limit in Redis). It runs
   * while the message waits for its batch, so its round trip costs no latency under load; if it
   * rejects, the message is not stored and ingest rejects with its error.
   */
  admit?: Promise<unknown>;
}

export interface IngestHooks {
  /** A new conversation was opened (before its first message is stored); route: false when its agent claims it (agent-started). */
  conversationOpened?(conversation: ConversationDoc, route: boolean): void;
  /** A new message was stored (not called for duplicates). */
  stored?(result: IngestResult): void;
  /**
   * A message sent again was already stored. Its first attempt may have died between storing and
   * announcing it (a killed process, a lost connection to the store), so it is announced again (the
   * consoles merge events by message id).
   */
  replayed?(result: IngestResult): void;
  /** Move the conversations' counters (unread, count, last message) and return their summaries. */
  bump?(items: Bump[]): Promise<Map<string, ConversationView | null>>;
  /** bump failed (Redis unreachable): the messages are stored, their counters lag. */
  counterError?(e: unknown): void;
  /**
   * A customer's message is about to open a routed conversation: where it should go and what it is
   * tagged with instead of the channel's defaults (a reply to a campaign goes to the campaign's queue,
   * hub/campaigns/replies.ts). Null: the defaults. A failure here is the defaults too.
   */
  opening?(customerId: Types.ObjectId, channel: Channel): Promise<{ queue?: string; tags?: string[] } | null>;
}

type Prepared = { msg: Parsed; admit?: Promise<unknown>; doc: Record<string, unknown> & { _id: Types.ObjectId; conversationId: Types.ObjectId }; preview: string; conversation: ConversationDoc };

const CACHE_LIMIT = 50_000;

export class Ingest {
  /** openKey → live conversation id. Invalidated on resolve in every process (hub/cluster-events). */
  private openConversations = new Map<string, ConversationDoc>();
  /** openKey → lookup in progress (see liveConversation). */
  private opening = new Map<string, Promise<ConversationDoc>>();
  private commit: GroupCommit<Prepared, IngestResult>;

  private readonly reopenWindowMs: number;

  constructor(
    private readonly m: Models,
    opts: GroupCommitOptions & { reopenWindowHours?: number },
    private readonly hooks: IngestHooks = {},
    /** Attachment references are checked against it (they must name a stored file within its limit). */
    private readonly files?: FileStore,
    /** Who a contact is (normalised addresses, merges). */
    readonly ids: Identities = new Identities(m, { defaultRegion: 'CN' }),
  ) {
    this.reopenWindowMs = (opts.reopenWindowHours ?? 72) * 3600_000;
    this.commit = new GroupCommit((items, release) => this.flush(items, release), opts);
  }

  async ingest(input: InboundMessage, opts: IngestOptions = {}): Promise<IngestResult> {
    // Settled here too, so a rejection is never unhandled if parsing below throws first.
    opts.admit?.catch(() => undefined);
    const parsed = InboundMessageSchema.safeParse(stripNul(input));
    if (!parsed.success) throw badRequest(`invalid message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    // Card and ID numbers are masked before anything is stored or announced: the originals are kept
    // nowhere (docs/SECURITY.md), so no API, socket, log or backup can carry them.
    const msg = maskInbound(parsed.data);
    // Name, type and size as stored, never as claimed; an unknown id or one past the limit is refused.
    if (msg.attachments.length && this.files) msg.attachments = await this.files.validateRefs(msg.attachments);
    const customerId = await this.resolveCustomer(msg);
    const conversation = await this.liveConversation(customerId, msg);
    const conversationId = conversation._id;
    const html = msg.html ? sanitizeHtml(msg.html, INBOUND_HTML) : undefined;
    const now = msg.receivedAt ?? new Date();
    const doc = {
      _id: new Types.ObjectId(),
      conversationId,
      customerId,
      direction: 'in',
      channel: msg.channel,
      author: { type: 'customer', name: msg.customer.name },
      from: msg.from,
      to: msg.to,
      ...(msg.cc ? { cc: msg.cc } : {}),
      text: msg.text,
      html,
      subject: msg.subject,
      attachments: msg.attachments,
      externalId: msg.externalId,
      clientId: msg.clientId,
      status: 'received',
      channelData: msg.channelData,
      createdAt: now,
      updatedAt: now,
      __v: 0,
    };
    const preview = (msg.text || (html ? sanitizeHtml(html, { allowedTags: [] }) : '') || (msg.attachments.length ? `[${msg.attachments[0].name}]` : '')).slice(0, 140);
    const result = await this.commit.submit({ msg, admit: opts.admit, doc, preview, conversation });
    if (!result.duplicate) this.hooks.stored?.(result);
    else this.hooks.replayed?.(result);
    return result;
  }

  /** Drop a conversation from the live cache (it was resolved, here or in another process). */
  forgetConversation(openKey: string): void {
    this.openConversations.delete(openKey);
  }

  drain(): Promise<void> {
    return this.commit.drain();
  }

  /**
   * The customer an inbound message is from (hub/identities.ts: addresses normalised, keyed by kind,
   * merged customers followed); concurrent first contacts of one identity share one lookup.
   */
  resolveCustomer(msg: Pick<Parsed, 'customer'>): Types.ObjectId | Promise<Types.ObjectId> {
    if (msg.customer.id) return this.ids.current(new Types.ObjectId(msg.customer.id));
    const ident = msg.customer.identity;
    if (!ident) throw badRequest('invalid message: customer needs an id or an identity');
    return this.ids.resolve(ident, { name: msg.customer.name, language: msg.customer.language });
  }

  /**
   * The customer's live conversation on this channel (cached: the document as opened, not its later
   * counters). Concurrent lookups of one conversation share one: they resume in the order they came,
   * so a customer's messages are submitted (and their events sent) in the order they arrived.
   */
  private liveConversation(customerId: Types.ObjectId, msg: Parsed, route = true): ConversationDoc | Promise<ConversationDoc> {
    const openKey = msg.threadKey ? threadOpenKey(msg.channel, msg.threadKey) : `${msg.channel}:${String(customerId)}`;
    const cached = this.openConversations.get(openKey);
    if (cached) return cached;
    return shared(this.opening, openKey, () => (msg.threadKey ? this.findOrOpenThread(openKey, customerId, msg, msg.threadKey) : this.findOrOpen(openKey, customerId, msg, undefined, false, route)));
  }

  /**
   * The customer's live conversation on a channel for a conversation an agent starts (hub/outreach.ts):
   * the one the customer's next message would join, or a new one opened without routing (its agent
   * claims it) and announced to the consoles.
   */
  async conversationFor(customerId: Types.ObjectId, init: { channel: Channel; subject?: string; queue?: string; channelData?: Record<string, unknown> }): Promise<ConversationDoc> {
    const msg = { channel: init.channel, subject: init.subject, queue: init.queue, channelData: init.channelData, customer: {} } as Parsed;
    return this.liveConversation(customerId, msg, false);
  }

  /** The thread's live conversation, reopened or opened anew (hub/ingest/threads.ts). */
  private async findOrOpenThread(openKey: string, customerId: Types.ObjectId, msg: Parsed, threadKey: string): Promise<ConversationDoc> {
    const conv = await threadConversation(openKey, msg.channel, threadKey, {
      m: this.m,
      reopenWindowMs: this.reopenWindowMs,
      open: (previous) => this.findOrOpen(openKey, customerId, msg, previous, true),
      reopened: (c) => this.hooks.conversationOpened?.(c, true),
    });
    remember(this.openConversations, openKey, conv);
    return conv;
  }

  private async findOrOpen(openKey: string, customerId: Types.ObjectId, msg: Parsed, previous?: Types.ObjectId, looked = false, route = true): Promise<ConversationDoc> {
    const existing = looked ? null : ((await this.m.Conversation.findOne({ openKey }).lean()) as ConversationDoc | null);
    if (existing) {
      remember(this.openConversations, openKey, existing);
      return existing;
    }
    const customer = await this.m.Customer.findById(customerId, { name: 1, tier: 1, tags: 1 }).lean();
    const routeAs = route && this.hooks.opening ? await this.hooks.opening(customerId, msg.channel).catch(() => null) : null;
    const now = new Date();
    // Upsert on the unique openKey: two first messages racing open one conversation.
    let conv: ConversationDoc | null = null;
    let created = false;
    try {
      const res = await this.m.Conversation.findOneAndUpdate(
        { openKey },
        {
          $setOnInsert: {
            openKey,
            customerId,
            customerName: customer?.name ?? msg.customer.name ?? '',
            customerTier: customer?.tier ?? 'standard',
            channel: msg.channel,
            status: 'queued',
            queue: routeAs?.queue ?? msg.queue ?? 'general',
            priority: contactPriority(customer?.tier, customer?.tags as string[] | undefined) + (msg.priority ?? 0),
            subject: msg.subject,
            queuedAt: now,
            lastMessageAt: now,
            lastMessagePreview: '',
            unreadCount: 0,
            messageCount: 0,
            tags: [...new Set([...(routeAs?.tags ?? []), ...(msg.tags ?? [])])],
            requiredSkills: [],
            channelData: msg.channelData ?? {},
            ...(msg.threadKey ? { threadKey: msg.threadKey } : {}),
            ...(previous ? { previousConversationId: previous } : {}),
          },
        },
        { upsert: true, new: true, setDefaultsOnInsert: false, includeResultMetadata: true },
      ).lean();
      const meta = res as unknown as { value: ConversationDoc | null; lastErrorObject?: { updatedExisting?: boolean } };
      conv = meta.value;
      created = !meta.lastErrorObject?.updatedExisting;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      conv = (await this.m.Conversation.findOne({ openKey }).lean()) as ConversationDoc | null;
    }
    if (!conv) throw new Error('could not open a conversation');
    // Opened for a customer merged meanwhile (its identity was read before the merge): a merge moves
    // what is stored when it runs, and again once every hub has heard of it, so what is opened after
    // that second move is moved here (hub/customer-merge.ts).
    const now2 = this.ids.current(customerId);
    if (created && String(now2) !== String(customerId)) {
      await this.m.Conversation.updateOne({ _id: conv._id, customerId }, { $set: { customerId: now2 } });
      conv = { ...conv, customerId: now2 };
    }
    remember(this.openConversations, openKey, conv);
    if (created) this.hooks.conversationOpened?.(conv, route);
    return conv;
  }

  /**
   * One batch: one insertMany (unordered) makes the messages durable; then the conversations' counters
   * move in Redis (hooks.bump, one round trip), not in MongoDB: a MongoDB update per conversation per
   * batch is what capped chat throughput on the embedded store (~6 ms each behind its write lock).
   */
  private async flush(all: Prepared[], release: () => void = () => undefined): Promise<(IngestResult | Error)[]> {
    // Admission checks (already running since each message arrived): the refused are not written.
    const admitted = all.some((it) => it.admit) ? await Promise.allSettled(all.map((it) => it.admit)) : null;
    const refused = (i: number) => admitted?.[i].status === 'rejected';
    const items = admitted ? all.filter((_, i) => !refused(i)) : all;
    if (items.length === 0) release();
    const results = items.length ? await this.flushAdmitted(items, release) : [];
    if (!admitted) return results;
    let k = 0;
    return all.map((_, i) => {
      const r = admitted[i];
      if (r.status === 'rejected') return r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      return results[k++];
    });
  }

  private async flushAdmitted(items: Prepared[], release: () => void): Promise<(IngestResult | Error)[]> {
    const stored = await this.store(items);
    // Stored: the next batch may go to the database while this one moves its counters.
    release();
    // Counters move per message id, once: a duplicate goes in too, and counts only if its first
    // attempt was stored but never counted (the process died in between; see inbox-view.ts bump).
    const bumps = new Map<string, Bump & { at: Date; messageIds: string[] }>();
    const docs = new Map<string, ConversationDoc>();
    items.forEach((it, i) => {
      const s = stored[i];
      if (s instanceof Error) return;
      const msg = s.duplicate ? s.message : (it.doc as unknown as MessageDoc);
      const id = String(msg.conversationId);
      const at = new Date(msg.createdAt);
      const b = bumps.get(id) ?? { id, unread: 1, messages: 1, at, preview: it.preview, messageIds: [] };
      b.messageIds.push(String(msg._id));
      if (at >= b.at) {
        b.at = at;
        b.preview = it.preview;
      }
      bumps.set(id, b);
      if (!s.duplicate) docs.set(id, it.conversation);
    });
    // The messages are durable already: a failed counter update must not fail their acks.
    let views = new Map<string, ConversationView | null>();
    if (this.hooks.bump && bumps.size) {
      try {
        views = await this.hooks.bump([...bumps.values()]);
      } catch (e) {
        this.hooks.counterError?.(e);
      }
    }
    // Stored into a conversation resolved meanwhile (its summary says so: resolve flips it before any
    // hub forgets the conversation, and every bump comes after its insert): move to the live one.
    const moved = new Map<number, { conversation: ConversationDoc; view: ConversationView | null }>();
    for (const [i, s] of stored.entries()) {
      if (s instanceof Error || s.duplicate) continue;
      const status = views.get(String(items[i].doc.conversationId))?.status;
      if (status && !isLive(status)) moved.set(i, await this.rehome(items[i]));
    }
    // Duplicates may belong to an older conversation than the live one: read those (rare).
    const unknown = [...new Set(stored.flatMap((s, i) => (s instanceof Error ? [] : String(s.message.conversationId) === String(items[i].doc.conversationId) ? [] : [String(s.message.conversationId)])))];
    for (const c of await findByIds<ConversationDoc>(this.m.Conversation, unknown)) docs.set(String(c._id), c);
    return stored.map((s, i) => {
      if (s instanceof Error) return s;
      const m = moved.get(i);
      if (m) return { ...s, conversation: m.conversation, view: m.view };
      const id = String(s.message.conversationId);
      const conversation = docs.get(id) ?? items[i].conversation;
      return { ...s, conversation, view: views.get(id) ?? null };
    });
  }

  /**
   * A message stored into a conversation that was resolved while it waited for its batch: it moves to
   * the customer's live conversation on its channel (opened now if none, and routed), and its counts go
   * with it. A crash before the move leaves it in the resolved conversation's history.
   */
  private async rehome(it: Prepared): Promise<{ conversation: ConversationDoc; view: ConversationView | null }> {
    const from = it.conversation;
    if (String(this.openConversations.get(from.openKey)?._id) === String(from._id)) this.forgetConversation(from.openKey);
    const conversation = await this.liveConversation(it.doc.customerId as Types.ObjectId, it.msg);
    await this.m.Message.updateOne({ _id: it.doc._id }, { $set: { conversationId: conversation._id } });
    it.doc.conversationId = conversation._id;
    let view: ConversationView | null = null;
    if (this.hooks.bump) {
      try {
        const at = it.doc.createdAt as Date;
        const views = await this.hooks.bump([
          { id: String(from._id), unread: -1, messages: -1 },
          { id: String(conversation._id), unread: 1, messages: 1, at, preview: it.preview, messageIds: [String(it.doc._id)] },
        ]);
        view = views.get(String(conversation._id)) ?? null;
      } catch (e) {
        this.hooks.counterError?.(e);
      }
    }
    return { conversation, view };
  }

  /**
   * Insert documents (unordered) and say which failed: index → the write error of that document (a
   * duplicate, a value refused), or AppError 422 for a document the store cannot take. Only
   * per-document write errors name their document; when the whole command fails because of one
   * document (the embedded store writes a batch in one transaction; the driver refuses to encode one),
   * each is written alone — one bad document must neither fail nor, worse, pass as stored the messages
   * it shared a batch with. A failure that is not about a document (the store or PostgreSQL
   * unreachable or restarting) is thrown: every caller gets it, and the channels retry.
   */
  private async insertEach(docs: Record<string, unknown>[]): Promise<Map<number, unknown>> {
    const failed = new Map<number, unknown>();
    try {
      await this.m.Message.collection.insertMany(docs, { ordered: false });
      return failed;
    } catch (e) {
      const list = writeErrorsOf(e);
      if (list.length) {
        for (const we of list) failed.set(we.index, we);
        return failed;
      }
      // Not about one document (the store or PostgreSQL unreachable, restarting, overloaded): every
      // caller gets the error, which the channels retry.
      if (!documentRefused(e)) throw e;
      if (docs.length === 1) {
        failed.set(0, new AppError(422, 'unstorable', `the message could not be stored: ${String((e as Error).message).slice(0, 200)}`));
        return failed;
      }
    }
    for (const [k, doc] of docs.entries()) {
      const one = await this.insertEach([doc]);
      if (one.has(0)) failed.set(k, one.get(0));
    }
    return failed;
  }

  private async store(items: Prepared[]): Promise<({ message: MessageDoc; duplicate: boolean } | Error)[]> {
    const out: ({ message: MessageDoc; duplicate: boolean } | Error | undefined)[] = new Array(items.length);
    // The same external id twice in one batch: write the first, answer the rest as duplicates of it.
    const firstByKey = new Map<string, number>();
    const unique: number[] = [];
    items.forEach((it, i) => {
      const key = `${it.doc.channel}\u0000${it.doc.externalId}`;
      if (firstByKey.has(key)) return;
      firstByKey.set(key, i);
      unique.push(i);
    });
    const failed = await this.insertEach(unique.map((i) => items[i].doc));
    const failedAt = new Map([...failed].map(([k, we]) => [unique[k], we]));
    const inserted = unique.filter((i) => !failedAt.has(i));
    for (const i of inserted) out[i] = { message: items[i].doc as unknown as MessageDoc, duplicate: false };
    // Duplicates: answer with the message stored earlier.
    const dupIdx = [...failedAt.entries()].filter(([, we]) => isDuplicateKey(we) || isDuplicateKey((we as { err?: unknown }).err)).map(([i]) => i);
    for (const [i, we] of failedAt) if (!dupIdx.includes(i)) out[i] = we instanceof Error ? we : new AppError(422, 'unstorable', `the message could not be stored: ${String((we as { errmsg?: string }).errmsg ?? 'write error').slice(0, 200)}`);
    const lookups = [...dupIdx, ...items.map((_, i) => i).filter((i) => !unique.includes(i))];
    if (lookups.length) {
      const found = (await this.m.Message.find({
        $or: lookups.map((i) => ({ channel: items[i].doc.channel, externalId: items[i].doc.externalId })),
      }).lean()) as unknown as MessageDoc[];
      const byKey = new Map(found.map((f) => [`${f.channel}\u0000${f.externalId}`, f]));
      for (const i of lookups) {
        const key = `${items[i].doc.channel}\u0000${items[i].doc.externalId}`;
        const first = firstByKey.get(key)!;
        const existing = byKey.get(key);
        if (existing) out[i] = { message: existing, duplicate: true };
        else if (out[first] && !(out[first] instanceof Error)) out[i] = { message: (out[first] as { message: MessageDoc }).message, duplicate: true };
        else out[i] = new Error('duplicate message not found');
      }
    }
    return out.map((o) => o ?? new Error('not stored'));
  }
}

/** The per-document write errors of a failed insert (none when the whole command failed). */
function writeErrorsOf(e: unknown): { index: number; code?: number }[] {
  const we = (e as { writeErrors?: { index: number; code?: number }[] | { index: number; code?: number } }).writeErrors;
  return !we ? [] : Array.isArray(we) ? we : [we];
}

/**
 * A failed insert that is about what a document holds, not about the store: the driver could not
 * encode a document (too large, a key it refuses), or PostgreSQL refused a value (SQLSTATE class 22,
 * data exception, e.g. 22P05 for U+0000). Anything else — a connection lost, PostgreSQL restarting
 * (57P01), a timeout — says nothing about the documents and must be retried, never refused.
 */
function documentRefused(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  const msg = String((e as Error)?.message ?? '');
  return name === 'RangeError' || name === 'BSONError' || /larger than the maximum size|must not contain null bytes/i.test(msg) || /SQLSTATE 22[0-9A-Z]{3}/.test(msg);
}

/** Routing priority from what we know of the customer: VIP tier first, then retention risk. */
export function contactPriority(tier?: string | null, tags?: string[] | null): number {
  return (tier === 'vip' ? 10 : tier === 'gold' ? 3 : 0) + (tags?.includes('retention-risk') ? 5 : 0);
}

/** The lookup of `key` already in progress, or a new one (forgotten once it settles): callers resume in the order they came. */
function shared<V>(inFlight: Map<string, Promise<V>>, key: string, start: () => Promise<V>): Promise<V> {
  let p = inFlight.get(key);
  if (!p) {
    p = start().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** A message with card and ID numbers masked in everything a person wrote: text, HTML, subject, names. */
function maskInbound<M extends { text: string; html?: string; subject?: string; customer: { name?: string }; attachments: { name: string }[] }>(msg: M): M {
  return {
    ...msg,
    text: maskSensitive(msg.text),
    html: msg.html === undefined ? undefined : maskSensitive(msg.html),
    subject: msg.subject === undefined ? undefined : maskSensitive(msg.subject),
    customer: { ...msg.customer, name: msg.customer.name === undefined ? undefined : maskSensitive(msg.customer.name) },
    attachments: msg.attachments.map((a) => ({ ...a, name: maskSensitive(a.name) })),
  };
}
