/**
 * Reassembly of long MO messages. Parts are held unacknowledged: the SMSC keeps every part until we
 * answer its deliver_sm, so a crash before the whole message is stored loses nothing (the SMSC sends
 * the parts again) and needs no store of our own. When the last part arrives the message is ingested
 * once and every held part is acked; a resent part while we hold one is acked with the others; a part
 * that never comes is given up after the timeout: what arrived is stored, marked incomplete.
 */
export interface Part {
  seq: number;
  text: string;
  /** Resolves this part's deliver_sm (answer it with this status). */
  ack(status: number): void;
}

export interface Assembled {
  key: string;
  total: number;
  texts: (string | undefined)[];
  complete: boolean;
}

interface Pending {
  total: number;
  parts: Map<number, Part[]>;
  timer: NodeJS.Timeout;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  /** Messages stored lately (key → when): a part resent after that is acked, not started over as a new message. */
  private readonly done = new Map<string, number>();
  /** Messages being stored now: a part resent meanwhile is acked with the store's outcome. */
  private readonly storing = new Map<string, Promise<number>>();
  constructor(
    private readonly timeoutMs: number,
    /** Store the message; resolves once stored. Every held part is acked with the result. */
    private readonly store: (a: Assembled) => Promise<void>,
  ) {}

  /** Add a part (key: sender + reference); the last one triggers the store. */
  add(key: string, total: number, part: Part): void {
    const doneAt = this.done.get(key);
    if (doneAt !== undefined && Date.now() - doneAt < this.timeoutMs * 2) return part.ack(0);
    const inFlight = this.storing.get(key);
    if (inFlight) return void inFlight.then((st) => part.ack(st));
    let p = this.pending.get(key);
    if (!p) {
      p = { total, parts: new Map(), timer: setTimeout(() => void this.flush(key, false), this.timeoutMs) };
      p.timer.unref();
      this.pending.set(key, p);
    }
    const same = p.parts.get(part.seq);
    if (same) same.push(part); // a resend of a part we hold: acked together with it
    else p.parts.set(part.seq, [part]);
    if (p.parts.size >= p.total) void this.flush(key, true);
  }

  private async flush(key: string, complete: boolean): Promise<void> {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    const texts = Array.from({ length: p.total }, (_, i) => p.parts.get(i + 1)?.[0]?.text);
    const stored = this.store({ key, total: p.total, texts, complete }).then(
      () => {
        this.done.set(key, Date.now());
        if (this.done.size > 100_000) this.done.delete(this.done.keys().next().value!);
        return 0;
      },
      () => 0x64, // ESME_RX_T_APPN: the SMSC delivers the parts again
    );
    this.storing.set(key, stored);
    const status = await stored;
    this.storing.delete(key);
    for (const list of p.parts.values()) for (const part of list) part.ack(status);
  }

  /** Parts held now (a shutdown leaves them unacked: the SMSC redelivers). */
  get size(): number {
    return this.pending.size;
  }

  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}
