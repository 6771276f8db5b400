/**
 * Web chat through the connector conformance suite, with the widget stand-in (test/helpers/widget.ts)
 * playing the widget over socket.io: one visitor token, an outbox of unacked messages resent with the
 * same clientId on every (re)connect. The hub is a child process (crash() SIGKILLs it and starts the
 * next one on the same port, where the widget's own reconnect loop finds it) on embedded services of
 * this file's own (stallStore() SIGSTOPs that store without freezing the other test files).
 */
import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { WebchatConnector } from '../../channels/webchat/connector.js';
import { api, loginAs } from '../helpers/hub.js';
import { restartHubProcess, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { startOwnServices } from '../helpers/own-services.js';
import { waitFor } from '../helpers/wait.js';
import { WidgetPeer } from '../helpers/widget.js';
import { describeConnectorConformance, type ConformanceAdapter } from './conformance.js';

const FILE_LIMIT = 600 * 1024;
const ENV = { CCHUB_WEBCHAT_MESSAGES_PER_10S: '100000', CCHUB_WEBCHAT_EVENTS_PER_SECOND: '100000', CCHUB_WEBCHAT_EVENT_BURST: '100000', CCHUB_WEBCHAT_MAX_ATTACHMENT_BYTES: String(FILE_LIMIT) };

async function webchatAdapter(): Promise<ConformanceAdapter> {
  const svc = await startOwnServices('webchat-conf');
  const mongoUri = `${svc.mongoUri}webchat_conf`;
  const hubOpts = { mongoUri, redisUrl: svc.redisUrl, redisPrefix: `conf${randomBytes(4).toString('hex')}`, env: ENV };
  let db: Connection | undefined;
  let hub: HubProcess | undefined;
  let peer: WidgetPeer | undefined;
  try {
    hub = await startHubProcess(hubOpts);
    db = await mongoose.createConnection(mongoUri).asPromise();
    const sess = await api(hub.url, '/api/webchat/session', { body: { name: 'Conformance Visitor' } });
    if (sess.status !== 200) throw new Error(`session: ${sess.status}`);
    peer = new WidgetPeer(hub.url, sess.body.token, sess.body.visitorId);
    await peer.connected();
  } catch (e) {
    peer?.close();
    await hub?.kill9();
    await db?.close();
    await svc.stop();
    throw e;
  }
  const w = peer;
  const messages = db.collection('messages');
  let h = hub;
  let agentToken: string | undefined;
  let n = 0;

  const sync = async () => {
    // An invalid read is refused before any store access, and socket.io handles a socket's events in
    // order: its answer means every message.send before it has reached ingest.
    const r = await w.socket.timeout(10_000).emitWithAck('read', { upTo: 'sync' });
    if (r.ok !== false || r.error?.code !== 'bad_request') throw new Error(`sync: unexpected answer ${JSON.stringify(r)}`);
  };

  return {
    deliver: (inboundId, text) => w.send(inboundId, text),
    // By the widget's clientId (random per test), not the externalId the connector derives from it: a
    // connector that derived it differently on a resend would store a copy this count still sees.
    storedCount: (inboundId) => messages.countDocuments({ channel: 'webchat', clientId: inboundId }),
    crash() {
      const unackedAtKill = w.pending;
      const next = restartHubProcess(h, hubOpts); // the signal goes out now, before any await
      return (async () => {
        h = await next;
        if (!(await next).samePort) w.moveTo(h.url);
        agentToken = undefined;
        await waitFor(() => w.socket.connected, 20_000, 'widget reconnects to the new hub');
        return { unackedAtKill };
      })();
    },
    stallStore: () => svc.stall('embedded-store'),
    sync,
    async reconnect() {
      // A network drop: the transport closes under the socket; the widget reconnects and resends.
      await w.offline();
      await w.online();
    },
    async deliverLosingAck(inboundId, text) {
      // The store is frozen from before the send until the transport is gone, so the hub cannot have
      // stored the message, let alone acked it, before the drop; sync() shows it read the message.
      const resume = svc.stall('embedded-store');
      let acked: Promise<{ messageId: string }>;
      try {
        acked = w.send(inboundId, text);
        await sync();
        await w.offline();
      } finally {
        resume();
      }
      return { acked };
    },
    async inboundHistory() {
      const r = await w.socket.timeout(5000).emitWithAck('history', {});
      if (!r.ok) throw new Error('history failed');
      return (r.messages as { direction: string; clientId?: string }[]).filter((m) => m.direction === 'in').map((m) => m.clientId!);
    },
    async triggerSend(text) {
      agentToken ??= await loginAs(h.url, 'agent1');
      const r = await api(h.url, `/api/conversations/${w.conversationId}/messages`, { token: agentToken, body: { text, clientId: `conf-reply-${++n}-${Date.now()}` } });
      if (r.status !== 201) throw new Error(`reply: ${r.status} ${JSON.stringify(r.body)}`);
      return { messageId: r.body.message.id };
    },
    received: () => w.inbox,
    outboundStatus: async (id) => (await messages.findOne({ _id: new mongoose.Types.ObjectId(id) }))?.status,
    async reportNative(messageId, native) {
      // The widget reports only reads.
      if (native !== 'read') return false;
      const r = await w.socket.timeout(5000).emitWithAck('read', { upTo: messageId });
      if (!r.ok) throw new Error('read failed');
      return true;
    },
    // v2: the widget's upload route (no threads, no receipts by a channel id: those tests skip).
    fileLimit: FILE_LIMIT,
    async sendFile(bytes) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(Math.max(0, bytes - 9), 0x41)]))], { type: 'application/pdf' }), 'conformance.pdf');
      const r = await fetch(`${h.url}/api/webchat/attachments`, { method: 'POST', body: form, headers: { authorization: `Bearer ${w.token}` } });
      await r.arrayBuffer();
      if (r.status !== 201 && r.status !== 413) throw new Error(`upload: ${r.status}`);
      return { accepted: r.status === 201 };
    },
    async storedFiles() {
      const [files, chunks] = await Promise.all([db!.collection('attachments.files').countDocuments(), db!.collection('attachments.chunks').countDocuments()]);
      return { files, chunks };
    },
    async startConversation(text, clientId) {
      agentToken ??= await loginAs(h.url, 'agent1');
      const r = await api(h.url, '/api/conversations', { token: agentToken, body: { channel: 'webchat', to: w.visitorId, text, clientId } });
      if (r.status !== 201 && r.status !== 200) throw new Error(`start: ${r.status} ${JSON.stringify(r.body)}`);
      return { status: r.status, messageId: r.body.message?.id };
    },
    // The hub runs in another process; the mapping is a pure table on the class (it reads no state).
    connector: () => WebchatConnector.prototype,
    mapStatus: [
      { native: 'sent', expected: 'sent' },
      { native: 'delivered', expected: 'delivered' },
      { native: 'read', expected: 'read' },
      { native: 'bogus', expected: undefined },
    ],
    async close() {
      w.close();
      await h.kill9();
      await db!.close();
      await svc.stop();
    },
  };
}

describeConnectorConformance('webchat', webchatAdapter);
