/**
 * The caller's DTMF digits as they arrive (CallMedia `dtmf` events), kept in order until a node takes
 * them: a digit pressed during a prompt (barge-in) or typed ahead is not lost. A waiting `next()` is
 * given the digit directly; an abort (the node was killed) ends the wait with null.
 */
export class DigitBuffer {
  private queue: string[] = [];
  private waiter: ((d: string | null) => void) | null = null;
  private listeners = new Set<(d: string) => void>();

  push(digit: string): void {
    for (const l of this.listeners) l(digit);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(digit);
    } else this.queue.push(digit);
  }

  /** Called on every digit as it arrives (barge-in stops the prompt on it). */
  onDigit(l: (d: string) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get pending(): number {
    return this.queue.length;
  }

  take(): string | null {
    return this.queue.shift() ?? null;
  }

  /** The next digit, waiting at most `ms`; null on timeout or abort. */
  next(ms: number, signal: AbortSignal): Promise<string | null> {
    const d = this.take();
    if (d !== null) return Promise.resolve(d);
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (v: string | null) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.waiter === done) this.waiter = null;
        resolve(v);
      };
      const onAbort = () => done(null);
      const timer = setTimeout(() => done(null), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = done;
    });
  }

  clear(): void {
    this.queue = [];
  }
}
