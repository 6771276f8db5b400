// "You are number N in the queue" for the waiting visitor, from `queue.position` events. Hidden
// once an agent replies or the conversation is assigned/closed; a position stamped at or before
// that moment (already in flight) is dropped, one stamped after a requeue shows again.
export interface QueuePosition { position: number; ewtSec: number; updatedAt: string }

const stamp = (iso: string | undefined): number => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
};
const WAITING = new Set(['open', 'queued']);

export class QueueTracker {
  current: QueuePosition | null = null;
  private hiddenAt = 0;

  /** A queue.position event; true when what is shown changed. */
  position(p: QueuePosition): boolean {
    if (!(p.position > 0)) return false;
    const t = stamp(p.updatedAt);
    if (t <= this.hiddenAt) return false;
    if (this.current && t < stamp(this.current.updatedAt)) return false;
    this.current = p;
    return true;
  }
  /** The conversation's status changed (conversation.updated or history); anything but waiting hides. */
  status(status: string | null, updatedAt?: string): boolean {
    if (!status || WAITING.has(status)) return false;
    return this.hide(updatedAt);
  }
  /** An agent wrote: we are being served. */
  agentMessage(updatedAt?: string): boolean { return this.hide(updatedAt); }

  private hide(at?: string): boolean {
    this.hiddenAt = Math.max(this.hiddenAt, stamp(at));
    const was = this.current !== null;
    this.current = null;
    return was;
  }
}

/** The sentence for the visitor: minutes rounded, at least 1; under a minute said as such. */
export function queueText(p: QueuePosition, s: { queue: string; queueSoon: string }): string {
  const n = String(p.position);
  if (!(p.ewtSec >= 60)) return s.queueSoon.replace('{n}', n);
  return s.queue.replace('{n}', n).replace('{m}', String(Math.round(p.ewtSec / 60)));
}
