/** A min-heap of timers by time; stale entries are detected by the caller (cheaper than deleting). */
export interface Timer {
  at: number;
  kind: 'offer' | 'sticky' | 'relax' | 'overflow' | 'wrapup';
  id: string;
  /** The task's queuedAt or the offer deadline it was set for, to recognise a stale timer. */
  stamp: number;
}

export class TimerHeap {
  private h: Timer[] = [];

  get size(): number {
    return this.h.length;
  }

  push(t: Timer): void {
    const h = this.h;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  /** Remove and return the earliest timer due at or before `now`. */
  popDue(now: number): Timer | undefined {
    const h = this.h;
    if (!h.length || h[0].at > now) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].at < h[m].at) m = l;
        if (r < h.length && h[r].at < h[m].at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.h = [];
  }
}
