/**
 * Group commit: callers submit one item and get its own result; items that arrive while earlier
 * batches are being written are written together in the next batch. At most `maxInFlight` batches run
 * at once, so under load each database round trip carries many documents (the embedded store does
 * ~800 single inserts/s but ~15,000 documents/s in batches of 50), and when idle a lone item is
 * written at once with no added delay.
 */
export interface GroupCommitOptions {
  maxInFlight: number;
  maxBatch: number;
}

type Waiter<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

/**
 * flush() must return one settled outcome per item, in order: a result, or an Error for that item
 * alone. It may call release() once the part that needs a slot is done (the database write), so the
 * next batch starts while this one finishes its own follow-up work.
 */
export type FlushFn<T, R> = (items: T[], release: () => void) => Promise<(R | Error)[]>;

export class GroupCommit<T, R> {
  private queue: Waiter<T, R>[] = [];
  /** Batches holding a slot (at most maxInFlight). */
  private inFlight = 0;
  /** Batches not finished yet, slot released or not (drain waits for these). */
  private running = 0;
  /** Settles when the latest batch has answered its callers. */
  private answered: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flushFn: FlushFn<T, R>,
    private readonly opts: GroupCommitOptions,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Resolves when nothing is queued or in flight (graceful shutdown). */
  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: Waiter<T, R>[]): Promise<void> {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.inFlight--;
      this.pump();
    };
    // Batches may be written side by side, but their callers hear back in submission order (so the
    // events of one conversation go out in the order its messages came in).
    const earlier = this.answered;
    let answered!: () => void;
    this.answered = new Promise<void>((r) => (answered = r));
    this.running++;
    let outcome: (R | Error)[] | { failed: unknown };
    try {
      outcome = await this.flushFn(
        batch.map((w) => w.item),
        release,
      );
    } catch (e) {
      outcome = { failed: e };
    }
    release();
    await earlier;
    if (Array.isArray(outcome)) {
      const out = outcome;
      batch.forEach((w, i) => {
        const r = out[i];
        if (r instanceof Error) w.reject(r);
        else w.resolve(r as R);
      });
    } else {
      for (const w of batch) w.reject(outcome.failed);
    }
    answered();
    this.running--;
    if (this.running === 0 && this.queue.length === 0) for (const r of this.idleWaiters.splice(0)) r();
  }

}
