/**
 * One reader per mailbox across hub processes: a lease in Redis (`<prefix>:email:lease:<mailbox>`,
 * value = this holder's random id, PX expiry). Only the holder runs the mailbox's IMAP session
 * (backfill + IDLE); the others try to take the lease every renewMs and start reading when it is
 * theirs — which happens when the holder stops (it releases) or dies (the lease expires ttlMs after
 * its last renewal). Renew and release are compare-and-set scripts, so a holder that was paused
 * past its expiry cannot renew or delete a lease another process took meanwhile; it stops its
 * reader instead. Two readers can overlap only for the moments a paused holder needs to notice;
 * ingest's idempotency and the checkpoint's re-read make that harmless, never lossy.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

// KEYS[1] lease key; ARGV[1] holder id, ARGV[2] ttl ms. 1 = renewed, 0 = not ours any more.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
// KEYS[1] lease key; ARGV[1] holder id. 1 = released, 0 = not ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  ttlMs: number;
  renewMs: number;
}

/** What runs while the lease is held: start() when won, stop() when lost or at shutdown. */
export interface LeasedWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class MailboxLease {
  readonly holder = randomBytes(8).toString('hex');
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private held = false;
  private stopped = false;
  private tick: Promise<void> = Promise.resolve();
  private starting: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly mailbox: string,
    private readonly work: LeasedWork,
    private readonly log: Logger,
    private readonly o: LeaseOptions,
  ) {
    this.key = `${prefix}:lease:${mailbox}`;
  }

  /** Resolves after the first attempt (and the reader's first backfill if the lease was won). */
  async start(): Promise<void> {
    await this.step();
    await this.starting;
    this.timer = setInterval(() => {
      // One step at a time: a slow Redis must not stack attempts.
      this.tick = this.tick.then(() => this.step());
    }, this.o.renewMs);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.held) {
        const ok = (await this.redis.eval(RENEW, 1, this.key, this.holder, String(this.o.ttlMs))) === 1;
        if (ok) return;
        this.held = false;
        this.log.warn({ mailbox: this.mailbox }, 'email: mailbox lease lost, stopping its reader');
        await this.starting;
        await this.work.stop();
        return;
      }
      const won = (await this.redis.set(this.key, this.holder, 'PX', this.o.ttlMs, 'NX')) === 'OK';
      if (!won) return;
      this.held = true;
      this.log.info({ mailbox: this.mailbox }, 'email: mailbox lease taken, reading');
      // Not awaited: a backfill may take longer than the lease, and renewals must go on meanwhile.
      this.starting = this.work.start().catch((e: Error) => this.log.warn({ mailbox: this.mailbox, err: e.message }, 'email: reader did not start'));
    } catch (e) {
      // Redis unreachable: a holder keeps reading until its lease would have expired anyway (the
      // next successful renew tells); a non-holder simply tries again.
      this.log.warn({ mailbox: this.mailbox, err: (e as Error).message }, 'email: mailbox lease step failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.tick;
    if (this.held) {
      await this.starting;
      await this.work.stop();
      this.held = false;
      await this.redis.eval(RELEASE, 1, this.key, this.holder).catch(() => undefined);
    }
  }
}
