/**
 * Reads one mailbox's folder over IMAP (imapflow) and hands every mail to `handle` exactly in the
 * sense the hub needs: backfill from the checkpoint on start, then IDLE for new mail; a dropped
 * connection reconnects with backoff and resumes from the checkpoint; a UIDVALIDITY change (the
 * server renumbered the folder, RFC 3501 §2.3.1.1) reads the folder again from the start, which
 * ingest's idempotency turns into no duplicates.
 *
 * Mails are handled up to `concurrency` at a time (storing one is a round trip; backfill must not
 * wait for each in turn), and the checkpoint only moves past a UID once it and every UID below it
 * are handled: killed at any point, the reader re-reads from the first mail not yet stored.
 */
import { EventEmitter } from 'node:events';
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { Mailbox } from './config.js';
import type { Checkpoint, CheckpointStore } from './checkpoints.js';

export interface FetchedMail {
  uid: number;
  uidValidity: string;
  source: Buffer;
  size: number;
  /** Larger than maxMessageBytes: `source` holds the headers only. */
  truncated: boolean;
}

export type ReaderEvents = {
  started: [];
  degraded: [reason: string];
  reconnected: [];
  checkpoint: [Checkpoint];
  /** The folder was renumbered; the reader reads it again from the start. */
  uidValidityChanged: [from: string, to: string];
};

export interface ReaderOptions {
  mailbox: Pick<Mailbox, 'name' | 'imap'>;
  checkpoints: CheckpointStore;
  /** Resolves once the mail is durably stored (or deliberately set aside): only then is it checkpointed. */
  handle(mail: FetchedMail): Promise<void>;
  log: Logger;
  concurrency?: number;
  maxMessageBytes?: number;
  backoff?: { minMs: number; maxMs: number };
  /** UIDs fetched per FETCH command during backfill. */
  batchSize?: number;
}

/** Tracks handled UIDs and yields the highest UID with everything at or below it handled. */
class Watermark {
  private readonly pending: number[] = [];
  private readonly done = new Set<number>();
  constructor(public mark: number) {}
  add(uid: number) {
    this.pending.push(uid);
  }
  complete(uid: number): boolean {
    this.done.add(uid);
    let moved = false;
    while (this.pending.length && this.done.has(this.pending[0])) {
      const u = this.pending.shift()!;
      this.done.delete(u);
      this.mark = u;
      moved = true;
    }
    return moved;
  }
}

export class MailboxReader extends EventEmitter<ReaderEvents> {
  private client: ImapFlow | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private checkpoint: Checkpoint | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writeQueued = false;
  private readonly concurrency: number;
  private readonly maxBytes: number;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly batchSize: number;

  constructor(private readonly o: ReaderOptions) {
    super();
    this.concurrency = o.concurrency ?? 16;
    this.maxBytes = o.maxMessageBytes ?? 25 * 1024 * 1024;
    this.backoff = o.backoff ?? { minMs: 250, maxMs: 30_000 };
    this.batchSize = o.batchSize ?? 200;
  }

  /** Starts reading; resolves after the first connection's backfill (or its first failure: it keeps retrying). */
  start(): Promise<void> {
    let first: () => void = () => undefined;
    const firstDone = new Promise<void>((r) => (first = r));
    this.loop = this.run(() => first());
    return firstDone;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const c = this.client;
    if (c) await c.logout().catch(() => c.close());
    await this.loop;
    await this.writing;
  }

  private async run(firstDone: () => void): Promise<void> {
    let delay = this.backoff.minMs;
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.session(() => {
          if (failures > 0) this.emit('reconnected');
          failures = 0;
          delay = this.backoff.minMs;
          firstDone();
        });
      } catch (e) {
        if (this.stopped) break;
        failures++;
        const reason = (e as Error).message?.slice(0, 300) ?? String(e);
        this.o.log.warn({ mailbox: this.o.mailbox.name, err: reason, retryInMs: delay }, 'email: mailbox connection failed');
        this.emit('degraded', reason);
        firstDone();
      }
      if (this.stopped) break;
      // Backoff between attempts; stop() cuts it short.
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => (clearTimeout(t), r());
      });
      delay = Math.min(delay * 2, this.backoff.maxMs);
    }
  }

  private async session(connected: () => void): Promise<void> {
    const { imap } = this.o.mailbox;
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      auth: { user: imap.user, pass: imap.password },
      logger: false,
      disableAutoIdle: true,
      // Re-issue IDLE every few minutes: NAT boxes and servers drop silent connections (RFC 2177 asks ≤ 29 min).
      maxIdleTime: 5 * 60_000,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
    });
    this.client = client;
    let closed = false;
    let pending = true;
    let signal: () => void = () => undefined;
    client.on('error', (e: Error) => this.o.log.warn({ mailbox: this.o.mailbox.name, err: e.message }, 'email: imap error'));
    client.on('close', () => ((closed = true), signal()));
    client.on('exists', () => ((pending = true), signal()));
    try {
      await client.connect();
      const box = await client.mailboxOpen(imap.folder);
      const uidValidity = String(box.uidValidity);
      let cp = this.checkpoint ?? (await this.o.checkpoints.get(this.o.mailbox.name));
      if (cp && cp.uidValidity !== uidValidity) {
        this.o.log.warn({ mailbox: this.o.mailbox.name, from: cp.uidValidity, to: uidValidity }, 'email: UIDVALIDITY changed, reading the folder again');
        this.emit('uidValidityChanged', cp.uidValidity, uidValidity);
        cp = undefined;
      }
      this.checkpoint = cp ?? { uidValidity, lastUid: 0 };
      if (!cp) await this.save(this.checkpoint);
      connected();
      this.emit('started');
      while (!this.stopped && !closed) {
        if (pending) {
          pending = false;
          await this.drain(client, uidValidity);
          continue;
        }
        const woke = new Promise<void>((r) => (signal = r));
        // idle() returns when IDLE ends; the next command (our FETCH) ends it.
        client.idle().catch(() => undefined);
        await woke;
      }
      if (closed && !this.stopped) throw new Error('connection closed');
    } finally {
      this.client = undefined;
      if (!closed) client.close();
    }
  }

  /** Everything above the checkpoint, in UID order, `concurrency` at a time. */
  private async drain(client: ImapFlow, uidValidity: string): Promise<void> {
    for (;;) {
      const from = this.checkpoint!.lastUid + 1;
      // UID n:* always names the highest message even when it is below n (RFC 3501 §6.4.8): filter.
      const list: { uid: number; size: number }[] = [];
      for await (const m of client.fetch(`${from}:*`, { uid: true, size: true }, { uid: true })) if (m.uid >= from) list.push({ uid: m.uid, size: m.size ?? 0 });
      if (!list.length) return;
      list.sort((a, b) => a.uid - b.uid);
      const mark = new Watermark(this.checkpoint!.lastUid);
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      for (let i = 0; i < list.length && !failure && !this.stopped; i += this.batchSize) {
        const batch = list.slice(i, i + this.batchSize);
        const small = batch.filter((m) => m.size <= this.maxBytes).map((m) => m.uid);
        const big = new Set(batch.filter((m) => m.size > this.maxBytes).map((m) => m.uid));
        const sources = new Map<number, Buffer>();
        if (small.length) for await (const m of client.fetch(small.join(','), { uid: true, source: true }, { uid: true })) if (m.source) sources.set(m.uid, m.source);
        if (big.size) for await (const m of client.fetch([...big].join(','), { uid: true, headers: true }, { uid: true })) if (m.headers) sources.set(m.uid, Buffer.concat([m.headers, Buffer.from('\r\n')]));
        for (const { uid, size } of batch) {
          const source = sources.get(uid);
          if (!source) continue; // expunged meanwhile
          while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
          if (failure || this.stopped) break;
          mark.add(uid);
          const p: Promise<void> = this.o
            .handle({ uid, uidValidity, source, size, truncated: big.has(uid) })
            .then(() => {
              if (mark.complete(uid)) this.advance({ uidValidity, lastUid: mark.mark });
            })
            .catch((e) => (failure ??= e))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      }
      await Promise.all(inFlight);
      await this.writing;
      if (failure) throw failure;
      if (this.stopped) return;
    }
  }

  private advance(cp: Checkpoint): void {
    this.checkpoint = cp;
    // At most one write in flight and one queued; the queued one writes the newest mark when it runs.
    if (this.writeQueued) return;
    this.writeQueued = true;
    this.writing = this.writing.then(() => {
      this.writeQueued = false;
      return this.save(this.checkpoint!).catch((e: Error) => this.o.log.warn({ mailbox: this.o.mailbox.name, err: e.message }, 'email: checkpoint not saved (will be re-read)'));
    });
  }

  private async save(cp: Checkpoint): Promise<void> {
    await this.o.checkpoints.set(this.o.mailbox.name, cp);
    this.emit('checkpoint', cp);
  }
}
