import type { TaskSnapshot } from './types.js';

/** Highest priority first, then longest waiting (enqueuedAt survives requeues, so a returned task goes back to the head). */
export function before(a: TaskSnapshot, b: TaskSnapshot): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt < b.enqueuedAt;
  return a.seq < b.seq;
}

/** One queue's waiting tasks, kept sorted; binary-search insert, O(1) peek of the head. */
export class WaitList {
  private items: TaskSnapshot[] = [];

  get size(): number {
    return this.items.length;
  }

  insert(t: TaskSnapshot): void {
    this.items.splice(this.lowerBound(t), 0, t);
  }

  remove(t: TaskSnapshot): boolean {
    const i = this.indexOf(t);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** 1-based position, 0 when absent. */
  position(t: TaskSnapshot): number {
    return this.indexOf(t) + 1;
  }

  *iterate(limit = Infinity): Generator<TaskSnapshot> {
    const n = Math.min(limit, this.items.length);
    for (let i = 0; i < n; i++) yield this.items[i];
  }

  /** Index of the first item not before t (binary search). */
  private lowerBound(t: TaskSnapshot): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.items[mid], t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(t: TaskSnapshot): number {
    // From the first item not before t, scan the (tiny) run of equals; a task whose order keys
    // changed while listed is found by the full scan.
    for (let i = this.lowerBound(t); i < this.items.length; i++) {
      if (this.items[i] === t || this.items[i].id === t.id) return i;
      if (before(t, this.items[i])) break;
    }
    return this.items.findIndex((x) => x.id === t.id);
  }
}
