/**
 * A test stand-in for the web chat widget (agent-ui/src/widget/chat.ts minus the UI): one visitor token,
 * an outbox of unacked messages that is resent with the same clientIds on every (re)connect, and the
 * agent messages it received.
 */
import { io, type Socket } from 'socket.io-client';
import { TRANSIENT_CODES } from '../../agent-ui/src/widget/retry.js';

export interface SendAck {
  messageId: string;
  conversationId: string;
}

type Pending = { clientId: string; text: string; resolve: (r: SendAck) => void; reject: (e: Error) => void; done: boolean };

export class WidgetPeer {
  socket!: Socket;
  private outbox = new Set<Pending>();
  readonly inbox: { text: string; messageId: string }[] = [];
  conversationId?: string;

  constructor(
    private url: string,
    readonly token: string,
    readonly visitorId: string,
  ) {
    this.connect();
  }

  private connect(): void {
    this.socket = io(`${this.url}/webchat`, { auth: { token: this.token }, transports: ['websocket'], reconnectionDelay: 20, reconnectionDelayMax: 100 });
    this.socket.on('connect', () => {
      for (const p of this.outbox) this.emit(p);
    });
    this.socket.on('message.created', (p: { message: { id: string; text: string; direction: string } }) => {
      if (p.message.direction === 'out') this.inbox.push({ text: p.message.text, messageId: p.message.id });
    });
  }

  /** Point the widget at a hub on another URL (only when the restarted hub could not get the old port). */
  moveTo(url: string): void {
    this.socket.removeAllListeners();
    this.socket.close();
    this.url = url;
    this.connect();
  }

  send(clientId: string, text: string): Promise<SendAck> {
    return new Promise((resolve, reject) => {
      const p: Pending = { clientId, text, resolve, reject, done: false };
      this.outbox.add(p);
      if (this.socket.connected) this.emit(p);
    });
  }

  private emit(p: Pending): void {
    this.socket.emit('message.send', { clientId: p.clientId, text: p.text }, (ack: { ok: boolean; message?: { id: string; conversationId: string }; error?: { code: string; message: string } }) => {
      if (p.done) return;
      p.done = true;
      this.outbox.delete(p);
      if (ack.ok) {
        this.conversationId = ack.message!.conversationId;
        p.resolve({ messageId: ack.message!.id, conversationId: ack.message!.conversationId });
      } else if (TRANSIENT_CODES.has(ack.error?.code ?? '')) {
        // As the real widget does: keep it and send it again a little later (same client id).
        p.done = false;
        this.outbox.add(p);
        setTimeout(() => this.socket.connected && !p.done && this.emit(p), 100);
      } else p.reject(new Error(`message.send rejected: ${ack.error?.code} ${ack.error?.message}`));
    });
  }

  /** Messages sent but not acked yet. */
  get pending(): number {
    return this.outbox.size;
  }

  /**
   * Drop the transport and stay offline (no automatic reconnect) until online(): an ack the hub sends
   * meanwhile is lost, and the message stays in the outbox. The close is queued behind what the socket
   * has already written, so the hub reads every message sent before it.
   */
  offline(): Promise<void> {
    this.socket.io.reconnection(false);
    if (!this.socket.connected) return Promise.resolve();
    const gone = new Promise<void>((r) => this.socket.once('disconnect', () => r()));
    this.socket.io.engine.close();
    return gone;
  }

  /** Reconnect after offline(); resolves once connected (the outbox is resent on connect). */
  online(): Promise<void> {
    this.socket.io.reconnection(true);
    const back = this.connected();
    if (!this.socket.connected) this.socket.connect();
    return back;
  }

  connected(): Promise<void> {
    return this.socket.connected ? Promise.resolve() : new Promise((r) => this.socket.once('connect', () => r()));
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.close();
  }
}
