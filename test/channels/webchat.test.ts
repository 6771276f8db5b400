/**
 * Web chat through the connector conformance suite, with a real socket.io client playing the widget:
 * one visitor token, an outbox of unacked messages resent with the same clientId on every (re)connect,
 * and hub restarts on the same database, Redis prefix and port (the widget reconnects by itself).
 */
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { WidgetPeer } from '../helpers/widget.js';
import { describeConnectorConformance, type ConformanceAdapter } from './conformance.js';

const FILE_LIMIT = 600 * 1024;
const OVERRIDES = { 'webchat.messagesPer10s': 100_000, 'webchat.maxAttachmentBytes': FILE_LIMIT };

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
    // v2: the widget's upload route (no threads, no receipts by a channel id: those tests skip).
    fileLimit: FILE_LIMIT,
    async sendFile(bytes) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(Math.max(0, bytes - 9), 0x41)]))], { type: 'application/pdf' }), 'conformance.pdf');
      const r = await fetch(`${h.url}/api/webchat/attachments`, { method: 'POST', body: form, headers: { authorization: `Bearer ${sess.body.token}` } });
      await r.arrayBuffer();
      if (r.status !== 201 && r.status !== 413) throw new Error(`upload: ${r.status}`);
      return { accepted: r.status === 201 };
    },
    async storedFiles() {
      const db = h.hub.conn.db!;
      const [files, chunks] = await Promise.all([db.collection('attachments.files').countDocuments(), db.collection('attachments.chunks').countDocuments()]);
      return { files, chunks };
    },
    connector: () => h.hub.connectors.get('webchat')!,
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
