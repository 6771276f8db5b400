/** A binary min-heap ordered by `less`; items that compare equal come out in insertion order. */
export class MinHeap<T> {
  private h: { v: T; s: number }[] = [];
  private seq = 0;

  constructor(private readonly lessThan: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.h.length;
  }

  peek(): T | undefined {
    return this.h[0]?.v;
  }

  push(v: T): void {
    const h = this.h;
    h.push({ v, s: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  pop(): T | undefined {
    const h = this.h;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top.v;
  }

  clear(): void {
    this.h = [];
  }

  private less(i: number, j: number): boolean {
    const a = this.h[i];
    const b = this.h[j];
    return this.lessThan(a.v, b.v) || (!this.lessThan(b.v, a.v) && a.s < b.s);
  }
}

/** A routing timer; stale entries are detected by the caller (cheaper than deleting). */
export interface Timer {
  at: number;
  kind: 'offer' | 'sticky' | 'relax' | 'overflow' | 'wrapup';
  id: string;
  /** The task's queuedAt or the offer deadline it was set for, to recognise a stale timer. */
  stamp: number;
}

export class TimerHeap extends MinHeap<Timer> {
  constructor() {
    super((a, b) => a.at < b.at);
  }

  /** Remove and return the earliest timer due at or before `now`. */
  popDue(now: number): Timer | undefined {
    const t = this.peek();
    return t && t.at <= now ? this.pop() : undefined;
  }
}
