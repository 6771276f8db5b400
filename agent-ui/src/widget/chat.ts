// The visitor's socket.io session on /webchat. Owns the outbox: a message leaves it only when the
// hub acked it as stored (or rejected it for good). On every (re)connect it loads history and then
// resends the outbox in order with the same clientIds.
import { io, type Socket } from 'socket.io-client';
import type { Attachment, Message } from '../types';
import { Outbox, type OutboxItem } from './outbox';
import { uuid } from '../uuid';
import type { QueuePosition } from './queuePosition';
import { TRANSIENT_CODES } from './retry';

type Ack<T> = ({ ok: true } & T) | { ok: false; error: { code: string; message: string } };
export interface ChatEvents {
  connected: () => void;
  disconnected: () => void;
  authFailed: () => void;
  history: (messages: Message[], status: string | null) => void;
  message: (m: Message) => void;
  pending: (item: OutboxItem) => void;
  failed: (clientId: string, reason: string) => void;
  typing: (typing: boolean) => void;
  read: (upTo: string) => void;
  status: (status: string, updatedAt?: string) => void;
  position: (p: QueuePosition) => void;
}

const ACK_TIMEOUT_MS = 10_000;

export class ChatClient {
  private socket: Socket;
  private flushing = false;
  private lastRead = '';
  private handlers: Partial<ChatEvents> = {};

  constructor(origin: string, token: string, private outbox: Outbox) {
    // timeout: a connection accepted but never handshaken is abandoned and retried after 8 s (default 20 s)
    this.socket = io(`${origin}/webchat`, { path: '/socket.io', auth: { token }, transports: ['websocket', 'polling'], timeout: 8000 });
    const s = this.socket;
    s.on('connect', () => { this.handlers.connected?.(); void this.syncThenFlush(); });
    s.on('disconnect', () => this.handlers.disconnected?.());
    s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      this.handlers.disconnected?.();
      if (/unauthori[sz]ed|invalid[_ ]token|jwt|expired/i.test(`${err.message} ${err.data?.code ?? ''}`)) this.handlers.authFailed?.();
      // Refused by the hub (its connection limit, or Redis briefly unreachable): socket.io does not retry a
      // refusal by itself, so try again later ourselves. (Network failures have no data and are retried by socket.io.)
      else if (err.data?.code === 'rate_limited') setTimeout(() => { if (!s.connected) s.connect(); }, 15_000 + Math.random() * 15_000);
      else if (err.data?.code) setTimeout(() => { if (!s.connected) s.connect(); }, 2_000 + Math.random() * 3_000);
    });
    s.on('message.created', (p: { message: Message }) => {
      if (p.message.clientId) this.outbox.remove(p.message.clientId);
      this.handlers.message?.(p.message);
    });
    s.on('typing', (p: { typing: boolean }) => this.handlers.typing?.(p.typing));
    s.on('read', (p: { upTo: string }) => this.handlers.read?.(p.upTo));
    s.on('conversation.updated', (p: { status: string; updatedAt?: string }) => this.handlers.status?.(p.status, p.updatedAt));
    s.on('queue.position', (p: QueuePosition) => this.handlers.position?.(p));
  }

  on<K extends keyof ChatEvents>(k: K, fn: ChatEvents[K]) { this.handlers[k] = fn; }
  get connected() { return this.socket.connected; }
  pendingItems() { return this.outbox.list(); }

  send(text: string, attachments: Attachment[] = []): OutboxItem {
    const item: OutboxItem = { clientId: uuid(), text, attachments, createdAt: new Date().toISOString() };
    this.outbox.add(item);
    this.handlers.pending?.(item);
    void this.flush();
    return item;
  }
  /** Retry a message that the hub rejected: a fresh attempt with the same clientId. */
  retry(item: OutboxItem) { this.outbox.add(item); void this.flush(); }

  /**
   * A request the hub answers with an ack (the rating, the transcript): resolves on ok, rejects with
   * an Error carrying the hub's `code` (or `offline` / `timeout`).
   */
  async request(event: 'csat.submit' | 'transcript.request', payload: Record<string, unknown>): Promise<void> {
    if (!this.socket.connected) throw Object.assign(new Error('offline'), { code: 'offline' });
    let r: Ack<object>;
    try {
      r = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload) as Ack<object>;
    } catch { throw Object.assign(new Error('timeout'), { code: 'timeout' }); }
    if (!r.ok) throw Object.assign(new Error(r.error?.message ?? 'refused'), { code: r.error?.code ?? 'refused' });
  }

  typing(on: boolean) { if (this.socket.connected) this.socket.emit('typing', { typing: on }); }
  read(upTo: string) {
    if (upTo === this.lastRead || !this.socket.connected) return;
    this.lastRead = upTo;
    this.socket.emit('read', { upTo });
  }
  close() { this.socket.removeAllListeners(); this.socket.disconnect(); }

  private async syncThenFlush() {
    try {
      const r = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('history', {}) as Ack<{ messages: Message[]; status: string | null }>;
      if (r.ok) {
        // anything already stored is no longer pending (its ack may have been lost in a reconnect)
        for (const m of r.messages) if (m.clientId) this.outbox.remove(m.clientId);
        this.handlers.history?.(r.messages, r.status ?? null);
      }
    } catch { /* timeout: the flush below still runs, history comes on the next connect */ }
    await this.flush();
  }

  /** One message in flight at a time, oldest first, so the agent sees them in the visitor's order. */
  private async flush() {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.socket.connected) {
        const item = this.outbox.list()[0];
        if (!item) break;
        let r: Ack<{ message: Message }>;
        try {
          r = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message.send', {
            clientId: item.clientId, text: item.text || undefined, attachmentIds: item.attachments.map((a) => a.id),
          }) as Ack<{ message: Message }>;
        } catch { break; } // no ack in time: keep it, try again on reconnect / next send
        if (r.ok) {
          this.outbox.remove(item.clientId);
          this.handlers.message?.(r.message);
        } else if (TRANSIENT_CODES.has(r.error?.code)) {
          break; // retry later
        } else {
          this.outbox.remove(item.clientId);
          this.handlers.failed?.(item.clientId, r.error?.message ?? 'rejected');
        }
      }
    } finally { this.flushing = false; }
    if (this.socket.connected && this.outbox.list().length) setTimeout(() => void this.flush(), 3000);
  }
}
