/**
 * One 20 ms frame clock per engine for everything Node sends or mixes in real time (players,
 * recorders): one timer for 200 calls instead of 400. Ticks are scheduled against the monotonic
 * clock, so timer lateness does not accumulate; a late wake runs the ticks it owes (at most a few,
 * up to 200 ms, then it skips ahead rather than bursting seconds of audio after a stall of the event loop).
 */
export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;

export class FrameClock {
  private readonly subscribers = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private next = 0;

  constructor(private readonly onError: (err: unknown) => void) {}

  subscribe(fn: () => void): () => void {
    this.subscribers.add(fn);
    if (!this.timer) {
      this.next = performance.now() + FRAME_MS;
      this.schedule();
    }
    return () => {
      this.subscribers.delete(fn);
      if (!this.subscribers.size && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.wake(), Math.max(0, this.next - performance.now()));
  }

  private wake(): void {
    const now = performance.now();
    let owed = 0;
    while (this.next <= now && owed < 10) {
      owed++;
      this.next += FRAME_MS;
    }
    if (this.next <= now) this.next = now + FRAME_MS; // too far behind: skip ahead
    for (let i = 0; i < owed; i++) {
      for (const fn of [...this.subscribers]) {
        try {
          fn();
        } catch (err) {
          this.onError(err);
        }
      }
    }
    if (this.subscribers.size) this.schedule();
    else this.timer = undefined;
  }

  stop(): void {
    this.subscribers.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
