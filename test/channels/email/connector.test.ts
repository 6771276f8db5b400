/**
 * The email connector in a real hub (registry, store, Redis, BullMQ) against the real OpenSMTPD and
 * Dovecot: a customer's mail becomes a message in the service queue; the agent's reply reaches the
 * customer's mailbox threaded (In-Reply-To, References, case token); the customer's answer joins
 * the conversation; a bounce of our reply marks it failed without opening a case.
 */
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseMail } from '../../../channels/email/parse.js';
import { api, loginAs, startTestHub, type TestHub } from '../../helpers/hub.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';
import { waitFor } from '../../helpers/wait.js';

let servers: MailServers;
let h: TestHub;
const smtp = () => nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });

beforeAll(async () => {
  servers = await startMailServers([
    { name: 'service', password: 'service-pass' },
    { name: 'customer', password: 'customer-pass' },
    { name: 'copy', password: 'copy-pass' },
    { name: 'hidden', password: 'hidden-pass' },
    { name: 'zhao', password: 'zhao-pass' },
  ]);
  h = await startTestHub({
    name: 'email_connector',
    overrides: {
      email: {
        enabled: true,
        mailboxes: [
          {
            name: 'service',
            address: 'service@bank.example',
            queue: 'general',
            kind: 'email',
            imap: { host: servers.host, port: servers.imapPort, secure: false, user: 'service', password: 'service-pass', folder: 'INBOX' },
            smtp: { host: servers.host, port: servers.smtpPort, secure: false },
          },
        ],
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
  await servers?.stop();
});

async function customerInbox(count: number, user = 'customer'): Promise<Buffer[]> {
  const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user, pass: `${user}-pass` }, logger: false });
  await imap.connect();
  const lock = await imap.getMailboxLock('INBOX');
  try {
    while ((imap.mailbox as { exists: number }).exists < count) {
      const more = new Promise<void>((r) => imap.once('exists', () => r()));
      void imap.idle();
      await more;
    }
    const out: Buffer[] = [];
    for await (const m of imap.fetch('1:*', { source: true })) out.push(m.source!);
    return out;
  } finally {
    lock.release();
    await imap.logout();
  }
}

const stored = (externalId: string) => waitFor(() => h.hub.m.Message.findOne({ channel: 'email', externalId }).lean(), 15_000, `message ${externalId}`);

test('mail in, reply out threaded, answer joins, bounce fails the reply', async () => {
  await smtp().sendMail({ from: '"张三" <customer@example.cn>', to: 'service@bank.example', subject: '信用卡账单有误', text: '请核对十一月账单。', messageId: '<first@example.cn>' });
  const first = (await stored('first@example.cn')) as any;
  expect(first).toMatchObject({ direction: 'in', subject: '信用卡账单有误' });
  expect(first.text).toContain('请核对十一月账单。');
  const conv = (await h.hub.m.Conversation.findById(first.conversationId).lean()) as any;
  expect(conv).toMatchObject({ channel: 'email', queue: 'general' });

  const token = await loginAs(h.url, 'agent1');
  const reply = await api(h.url, `/api/conversations/${conv._id}/messages`, { token, body: { text: '您好，已为您核对。', clientId: 'reply-0001' } });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  const replyId = reply.body.message.id as string;
  const [raw] = await customerInbox(1);
  const got = await parseMail(raw, { sink: async (s) => (s.resume(), { id: 'x' }), maxAttachmentBytes: 1 << 20 });
  expect(got.messageId).toBe(`${replyId}.cchub@bank.example`);
  expect(got.inReplyTo).toBe('first@example.cn');
  expect(got.subject).toMatch(/^\[#CASE-\d+\] Re: 信用卡账单有误$/);
  await waitFor(async () => ((await h.hub.m.Message.findById(replyId).lean()) as any)?.status === 'sent', 15_000, 'reply sent');

  // The customer answers the reply (their client threads by In-Reply-To): same conversation.
  await smtp().sendMail({ from: 'customer@example.cn', to: 'service@bank.example', subject: `Re: ${got.subject}`, text: '谢谢', messageId: '<second@example.cn>', inReplyTo: `<${got.messageId}>`, references: [`<first@example.cn>`, `<${got.messageId}>`] });
  const second = (await stored('second@example.cn')) as any;
  expect(String(second.conversationId)).toBe(String(conv._id));

  // A bounce of our reply: the reply is marked failed with the reason, and nothing new is stored.
  const before = await h.hub.m.Message.countDocuments({});
  await smtp().sendMail({
    from: 'MAILER-DAEMON@mx.example.cn',
    to: 'service@bank.example',
    subject: 'Undelivered Mail Returned to Sender',
    headers: { 'Auto-Submitted': 'auto-replied' },
    messageId: '<bounce-1@mx.example.cn>',
    attachments: [
      { contentType: 'message/delivery-status', content: 'Reporting-MTA: dns; mx.example.cn\r\n\r\nFinal-Recipient: rfc822; customer@example.cn\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 mailbox full\r\n' },
      { contentType: 'text/rfc822-headers', content: `Message-ID: <${got.messageId}>\r\nSubject: ${got.subject}\r\n` },
    ],
  });
  await waitFor(async () => ((await h.hub.m.Message.findById(replyId).lean()) as any)?.status === 'failed', 15_000, 'reply failed by the bounce');
  expect(await h.hub.m.Message.countDocuments({})).toBe(before);
});

test('two matters from one customer stay two conversations; attachments are stored and linked', async () => {
  await smtp().sendMail({ from: 'wang@example.cn', to: 'service@bank.example', subject: '挂失银行卡', text: '卡丢了', messageId: '<lost-card@example.cn>' });
  await smtp().sendMail({
    from: 'wang@example.cn',
    to: 'service@bank.example',
    subject: '更新地址',
    text: '见附件',
    messageId: '<address@example.cn>',
    attachments: [{ filename: '地址证明.txt', content: '北京市朝阳区', contentType: 'text/plain' }],
  });
  const card = (await stored('lost-card@example.cn')) as any;
  const address = (await stored('address@example.cn')) as any;
  expect(String(address.conversationId)).not.toBe(String(card.conversationId));
  expect(address.attachments).toHaveLength(1);
  expect(address.attachments[0]).toMatchObject({ name: '地址证明.txt', size: Buffer.byteLength('北京市朝阳区') });
  const file = await h.hub.conn.db!.collection('attachments.files').findOne({ _id: new (await import('mongoose')).Types.ObjectId(address.attachments[0].id) });
  expect(file?.length).toBe(Buffer.byteLength('北京市朝阳区'));
  // A reply to the first matter joins it, not the latest one.
  await smtp().sendMail({ from: 'wang@example.cn', to: 'service@bank.example', subject: 'Re: 挂失银行卡', text: '找到了', messageId: '<lost-card-2@example.cn>', inReplyTo: '<lost-card@example.cn>', references: ['<lost-card@example.cn>'] });
  expect(String(((await stored('lost-card-2@example.cn')) as any).conversationId)).toBe(String(card.conversationId));
});

test('an agent replies with Cc and Bcc: all three get it, the Cc shows, the Bcc never does; cc on a chat is refused', async () => {
  await smtp().sendMail({ from: 'zhao@example.cn', to: 'service@bank.example', subject: '贷款咨询', text: '想了解房贷', messageId: '<loan@example.cn>' });
  const first = (await stored('loan@example.cn')) as any;
  const token = await loginAs(h.url, 'agent1');
  const bad = await api(h.url, `/api/conversations/${first.conversationId}/messages`, { token, body: { text: 'x', clientId: 'reply-cc-bad', cc: ['not-an-address'] } });
  expect(bad.status).toBe(400);
  const r = await api(h.url, `/api/conversations/${first.conversationId}/messages`, { token, body: { text: '已抄送客户经理。', clientId: 'reply-cc-0001', cc: ['copy@example.cn'], bcc: ['hidden@example.cn'] } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.message).toMatchObject({ cc: 'copy@example.cn', bcc: 'hidden@example.cn' });
  const [copy] = await customerInbox(1, 'copy');
  const [hidden] = await customerInbox(1, 'hidden');
  for (const raw of [copy, hidden]) {
    const got = await parseMail(raw, { sink: async (s) => (s.resume(), { id: 'x' }), maxAttachmentBytes: 1 << 20 });
    expect(got.messageId).toBe(`${r.body.message.id}.cchub@bank.example`);
    expect(got.to.map((a) => a.address)).toEqual(['zhao@example.cn']);
    expect(got.cc.map((a) => a.address)).toEqual(['copy@example.cn']);
    expect(got.header('bcc')).toBeUndefined();
  }
  // (The blind copy's own mailbox names it in Delivered-To, added on delivery; the Cc's never does.)
  expect(copy.toString('latin1')).not.toContain('hidden@example.cn');
  // A web chat conversation takes no copies.
  const chat = await h.hub.ingest.ingest({ channel: 'webchat', externalId: 'v-cc:1', customer: { identity: { channel: 'webchat', address: 'v-cc' } }, from: 'v-cc', text: '你好', queue: 'general', channelData: { visitorId: 'v-cc' } });
  const refused = await api(h.url, `/api/conversations/${chat.conversation._id}/messages`, { token, body: { text: 'x', clientId: 'reply-cc-chat', cc: ['copy@example.cn'] } });
  expect(refused.status).toBe(400);
  expect(refused.body.error.code).toBe('invalid_body');
});
