/**
 * The connector conformance suite (test/channels/conformance.ts) for email, through the real
 * protocols: the peer puts mail into the service mailbox (IMAP APPEND into Dovecot: what an MTA's
 * delivery does), and its "ack" is the reader's checkpoint passing that mail's UID — the IMAP
 * equivalent of an SMPP resp. Replies go out by SMTP (OpenSMTPD → Dovecot) and are read from the
 * customer's mailbox; receipts come back as DSN/MDN mail.
 */
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { describeConnectorConformance, type ConformanceAdapter } from '../conformance.js';
import { parseMail } from '../../../channels/email/parse.js';
import { CheckpointStore } from '../../../channels/email/checkpoints.js';
import { testRedisUrl } from '../../helpers/db.js';
import { api, loginAs, startTestHub, type TestHub } from '../../helpers/hub.js';
import { startMailServers } from '../../helpers/mail-servers.js';
import { waitFor } from '../../helpers/wait.js';

const DOMAIN = 'conformance.example';
const FILE_LIMIT = 64 * 1024;

async function emailAdapter(): Promise<ConformanceAdapter> {
  const servers = await startMailServers([
    { name: 'service', password: 'service-pass' },
    { name: 'customer', password: 'customer-pass' },
  ]);
  const overrides = {
    email: {
      enabled: true,
      // The suite sends dozens of mails from one peer address within seconds: the flood limit is not what it tests.
      floodPerSender: { mails: 100_000, perSeconds: 60 },
      maxAttachmentBytes: FILE_LIMIT,
      mailboxes: [
        {
          name: 'service',
          address: 'service@bank.example',
          queue: 'general',
          imap: { host: servers.host, port: servers.imapPort, secure: false, user: 'service', password: 'service-pass', folder: 'INBOX' },
          smtp: { host: servers.host, port: servers.smtpPort, secure: false },
        },
      ],
    },
  };
  let h: TestHub = await startTestHub({ name: 'email_conf', overrides });
  const { mongoUri, redisPrefix } = h;
  const redis = new Redis(testRedisUrl());
  const checkpoints = new CheckpointStore(redis, `${redisPrefix}:email`);
  const imap = (user: string) => new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user, pass: `${user}-pass` }, logger: false });

  // The peer's side of the service mailbox: one connection putting mail in (reconnected after a drop).
  let putter: ImapFlow | undefined;
  const put = async (raw: Buffer): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!putter?.usable) {
          putter = imap('service');
          await putter.connect();
        }
        const r = await putter.append('INBOX', raw);
        return (r as { uid: number }).uid;
      } catch (e) {
        putter = undefined;
        if (attempt > 20) throw e;
      }
    }
  };

  // The customer's mailbox, watched with IDLE: what the hub sent. Reconnects after a drop and reads
  // on from the last UID it saw.
  const received: { text: string; messageId?: string }[] = [];
  let lastUid = 0;
  let closing = false;
  let watcher: ImapFlow | undefined;
  let reading = Promise.resolve();
  const readNew = (w: ImapFlow) =>
    (reading = reading
      .then(async () => {
        for await (const m of w.fetch(`${lastUid + 1}:*`, { uid: true, source: true }, { uid: true })) {
          if (m.uid <= lastUid) continue;
          lastUid = m.uid;
          const p = await parseMail(m.source!, { sink: async (s) => (s.resume(), { id: 'x' }), maxAttachmentBytes: 1 << 20 });
          received.push({ text: p.text.trim(), ...(p.messageId ? { messageId: p.messageId.replace(/\.cchub@.*$/, '') } : {}) });
        }
      })
      .catch(() => undefined));
  const watch = async (): Promise<void> => {
    const w = imap('customer');
    w.on('error', () => undefined);
    w.on('exists', () => void readNew(w));
    await w.connect();
    await w.mailboxOpen('INBOX');
    watcher = w;
    // Only the established session reconnects (a failed attempt's close is the retry loop's business).
    w.on('close', () => {
      if (!closing) void waitFor(() => watch().then(() => true), 30_000, 'customer mailbox watcher back').catch(() => undefined);
    });
    void readNew(w);
  };
  await watch();

  let lastConversation: string | undefined;
  let lastInbound: string | undefined;
  let token: string | undefined;
  const mail = (inboundId: string, text: string) =>
    Buffer.from(`From: customer@example.cn\r\nTo: service@bank.example\r\nSubject: conformance\r\nMessage-ID: <${inboundId}@${DOMAIN}>\r\nDate: ${new Date().toUTCString()}\r\n\r\n${text}\r\n`);

  const adapter: ConformanceAdapter = {
    async deliver(inboundId, text) {
      const uid = await put(mail(inboundId, text));
      await waitFor(async () => ((await checkpoints.get('service'))?.lastUid ?? 0) >= uid, 30_000, `checkpoint past uid ${uid}`);
      lastInbound = inboundId; // triggerSend replies in its conversation
      return {};
    },
    async storedCount(inboundId) {
      const docs = (await h.hub.m.Message.find({ channel: 'email', externalId: `${inboundId}@${DOMAIN}` }).lean()) as any[];
      if (docs[0]) lastConversation = String(docs[0].conversationId);
      return docs.length;
    },
    async deliverInThread(thread, inboundId, text) {
      // A reply in an e-mail thread: References names the thread's first mail.
      const raw = Buffer.from(
        `From: customer@example.cn\r\nTo: service@bank.example\r\nSubject: Re: matter ${thread}\r\nMessage-ID: <${inboundId}@${DOMAIN}>\r\nIn-Reply-To: <${thread}@${DOMAIN}>\r\nReferences: <${thread}@${DOMAIN}>\r\n\r\n${text}\r\n`,
      );
      const uid = await put(raw);
      await waitFor(async () => ((await checkpoints.get('service'))?.lastUid ?? 0) >= uid, 30_000, `checkpoint past uid ${uid}`);
      const doc = (await h.hub.m.Message.findOne({ channel: 'email', externalId: `${inboundId}@${DOMAIN}` }).lean()) as any;
      return { conversationId: String(doc.conversationId) };
    },
    fileLimit: FILE_LIMIT,
    async sendFile(bytes) {
      const inboundId = `file-${Math.random().toString(36).slice(2, 12)}`;
      const body = Buffer.alloc(bytes, 'a').toString('base64').replace(/.{76}/g, '$&\r\n');
      const raw = Buffer.from(
        `From: customer@example.cn\r\nTo: service@bank.example\r\nSubject: file\r\nMessage-ID: <${inboundId}@${DOMAIN}>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: text/plain; name=f.txt\r\nContent-Disposition: attachment; filename=f.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n--b--\r\n`,
      );
      const uid = await put(raw);
      await waitFor(async () => ((await checkpoints.get('service'))?.lastUid ?? 0) >= uid, 30_000, `checkpoint past uid ${uid}`);
      const doc = (await h.hub.m.Message.findOne({ channel: 'email', externalId: `${inboundId}@${DOMAIN}` }).lean()) as any;
      // A refused attachment leaves the mail stored, with the refusal noted in its text.
      return { accepted: doc.attachments.length === 1 };
    },
    async storedFiles() {
      const db = h.hub.conn.db!;
      return { files: await db.collection('attachments.files').countDocuments({}), chunks: await db.collection('attachments.chunks').countDocuments({}) };
    },
    reportByChannelId: (messageId, native) => report(messageId, native),
    async restart() {
      await h.close();
      h = await startTestHub({ mongoUri, redisPrefix, overrides, seed: false });
      token = undefined;
    },
    async reconnect() {
      // Every IMAP session drops (the hub's reader and the peers); the reader reconnects by itself.
      await servers.stopImap();
      await servers.startImap();
    },
    async triggerSend(text) {
      token ??= await loginAs(h.url, 'agent1');
      if (lastInbound) {
        const doc = (await h.hub.m.Message.findOne({ channel: 'email', externalId: `${lastInbound}@${DOMAIN}` }).lean()) as any;
        if (doc) lastConversation = String(doc.conversationId);
      }
      if (!lastConversation) throw new Error('deliver first');
      const r = await api(h.url, `/api/conversations/${lastConversation}/messages`, { token, body: { text, clientId: `conf-${Math.random().toString(36).slice(2, 12)}` } });
      if (r.status !== 201) throw new Error(`reply: ${r.status} ${JSON.stringify(r.body)}`);
      return { messageId: r.body.message.id };
    },
    async startConversation(text, clientId) {
      token ??= await loginAs(h.url, 'agent1');
      const r = await api(h.url, '/api/conversations', { token, body: { channel: 'email', to: 'Customer@Example.cn', subject: 'A note from the bank', text, clientId } });
      if (r.status !== 201 && r.status !== 200) throw new Error(`start: ${r.status} ${JSON.stringify(r.body)}`);
      return { status: r.status, messageId: r.body.message?.id };
    },
    received: () => received,
    async outboundStatus(messageId) {
      return ((await h.hub.m.Message.findById(messageId).lean()) as any)?.status;
    },
    reportNative: (messageId, native) => report(messageId, native),
    connector: () => h.hub.connectors.get('email')!,
    // In the order statuses move forward: the suite reports them in this order and receipts never move back.
    mapStatus: [
      { native: 'delivered', expected: 'delivered' },
      { native: 'relayed', expected: 'delivered' },
      { native: 'displayed', expected: 'read' },
      { native: 'failed', expected: 'failed' },
      { native: 'delayed', expected: undefined },
    ],
    async close() {
      closing = true;
      await watcher?.logout().catch(() => undefined);
      await putter?.logout().catch(() => undefined);
      await h.close();
      await redis.quit();
      await servers.stop();
    },
  };

  /** A DSN or MDN naming our mail's Message-ID (the channel's own id for it). */
  async function report(messageId: string, native: string): Promise<boolean> {
    const original = `<${messageId}.cchub@bank.example>`;
    const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });
    if (native === 'delivered' || native === 'relayed') {
      await smtp.sendMail({
        from: 'MAILER-DAEMON@mx.example.cn',
        to: 'service@bank.example',
        subject: 'Delivery Status Notification (Success)',
        attachments: [
          { contentType: 'message/delivery-status', content: `Reporting-MTA: dns; mx.example.cn\r\n\r\nFinal-Recipient: rfc822; customer@example.cn\r\nAction: ${native}\r\nStatus: 2.0.0\r\n` },
          { contentType: 'text/rfc822-headers', content: `Message-ID: ${original}\r\n` },
        ],
      });
      return true;
    }
    if (native === 'displayed') {
      await smtp.sendMail({
        from: 'customer@example.cn',
        to: 'service@bank.example',
        subject: 'Read: conformance',
        attachments: [{ contentType: 'message/disposition-notification', content: `Final-Recipient: rfc822;customer@example.cn\r\nOriginal-Message-ID: ${original}\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n` }],
      });
      return true;
    }
    // 'failed' (a DSN with Action: failed) is covered in connector.test.ts: after 'read' it would
    // be a backwards move here.
    return false;
  }
  return adapter;
}

describeConnectorConformance('email', emailAdapter);
