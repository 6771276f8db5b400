/**
 * Web chat through the connector conformance suite, with a real socket.io client playing the widget:
 * one visitor token, an outbox of unacked messages resent with the same clientId on every (re)connect,
 * and hub restarts on the same database, Redis prefix and port (the widget reconnects by itself).
 */
import { io, type Socket } from 'socket.io-client';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { describeConnectorConformance, type ConformanceAdapter, type DeliverResult } from './conformance.js';

const OVERRIDES = { 'webchat.messagesPer10s': 100_000 };

type Pending = { clientId: string; text: string; resolve: (r: DeliverResult) => void; reject: (e: Error) => void; done: boolean };

/** The far end of web chat: what agent-ui/src/widget/chat.ts does, minus the UI. */
class WidgetPeer {
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

  send(clientId: string, text: string): Promise<DeliverResult> {
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
        p.resolve({ messageId: ack.message!.id });
      } else p.reject(new Error(`message.send rejected: ${ack.error?.code} ${ack.error?.message}`));
    });
  }

  connected(): Promise<void> {
    return this.socket.connected ? Promise.resolve() : new Promise((r) => this.socket.once('connect', () => r()));
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.close();
  }
}

async function webchatAdapter(): Promise<ConformanceAdapter> {
  let h: TestHub = await startTestHub({ name: 'webchat_conf', overrides: OVERRIDES });
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Conformance Visitor' } });
  if (sess.status !== 200) throw new Error(`session: ${sess.status}`);
  const peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
  await peer.connected();
  let agentToken: string | undefined;
  let n = 0;

  return {
    deliver: (inboundId, text) => peer.send(inboundId, text),
    storedCount: (inboundId) => h.hub.m.Message.countDocuments({ channel: 'webchat', externalId: `${peer.visitorId}:${inboundId}` }),
    async restart() {
      const port = h.hub.port;
      const { mongoUri, redisPrefix } = h;
      await h.close();
      try {
        // Same port: the widget's own reconnect loop finds the new hub, as behind a load balancer.
        h = await startTestHub({ mongoUri, redisPrefix, overrides: { ...OVERRIDES, port } });
      } catch {
        h = await startTestHub({ mongoUri, redisPrefix, overrides: OVERRIDES });
        peer.moveTo(h.url);
      }
      await waitFor(() => peer.socket.connected, 10_000, 'widget reconnects to the restarted hub');
    },
    async reconnect() {
      // A network drop: the transport closes under the socket and socket.io reconnects by itself.
      const back = new Promise<void>((r) => peer.socket.once('connect', () => r()));
      peer.socket.io.engine.close();
      await back;
    },
    async inboundHistory() {
      const r = await peer.socket.timeout(5000).emitWithAck('history', {});
      if (!r.ok) throw new Error('history failed');
      return (r.messages as { direction: string; clientId?: string }[]).filter((m) => m.direction === 'in').map((m) => m.clientId!);
    },
    async triggerSend(text) {
      agentToken ??= await loginAs(h.url, 'agent1');
      const r = await api(h.url, `/api/conversations/${peer.conversationId}/messages`, { token: agentToken, body: { text, clientId: `conf-reply-${++n}-${Date.now()}` } });
      if (r.status !== 201) throw new Error(`reply: ${r.status} ${JSON.stringify(r.body)}`);
      return { messageId: r.body.message.id };
    },
    received: () => peer.inbox,
    outboundStatus: async (id) => (await h.hub.m.Message.findById(id).lean())?.status,
    async reportNative(messageId, native) {
      // The widget reports only reads.
      if (native !== 'read') return false;
      const r = await peer.socket.timeout(5000).emitWithAck('read', { upTo: messageId });
      if (!r.ok) throw new Error('read failed');
      return true;
    },
    connector: () => h.hub.webchat,
    mapStatus: [
      { native: 'sent', expected: 'sent' },
      { native: 'delivered', expected: 'delivered' },
      { native: 'read', expected: 'read' },
      { native: 'bogus', expected: undefined },
    ],
    async close() {
      peer.close();
      await h.close();
    },
  };
}

describeConnectorConformance('webchat', webchatAdapter);
