// Messages the visitor sent that the hub has not acknowledged yet, persisted so a reload or a
// dropped connection never loses them. Each keeps its clientId: the hub returns the same stored
// message for a resent clientId, so resending after an unknown outcome cannot duplicate.
import type { Attachment } from '../types';
import type { KV } from './storage';

export interface OutboxItem { clientId: string; text: string; attachments: Attachment[]; createdAt: string }

export class Outbox {
  private items: OutboxItem[];
  constructor(private kv: KV, private key = 'cchub.webchat.outbox') {
    try {
      const v = JSON.parse(kv.get(key) ?? '[]');
      this.items = Array.isArray(v) ? v.filter((i) => i && typeof i.clientId === 'string') : [];
    } catch { this.items = []; }
  }
  private save() { this.kv.set(this.key, this.items.length ? JSON.stringify(this.items) : null); }
  add(item: OutboxItem) {
    if (this.items.some((i) => i.clientId === item.clientId)) return;
    this.items.push(item);
    this.save();
  }
  /** Drop after the hub acknowledged (or permanently rejected) the message. */
  remove(clientId: string) {
    const n = this.items.length;
    this.items = this.items.filter((i) => i.clientId !== clientId);
    if (this.items.length !== n) this.save();
  }
  has(clientId: string) { return this.items.some((i) => i.clientId === clientId); }
  /** Oldest first, so a flush keeps the visitor's order. */
  list(): OutboxItem[] { return this.items.slice(); }
  clear() { this.items = []; this.save(); }
}
