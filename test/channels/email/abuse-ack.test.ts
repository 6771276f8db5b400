/**
 * Abuse limits and the auto-acknowledgement, on the real servers and a real hub: a customer's first
 * mail in a thread is acknowledged once with the case number (marked automatic, threaded to the
 * mail); the reply in the same thread, an auto-reply and list mail get none (loop protection); a
 * sender past the flood limit has the rest of their mail refused — kept raw in the file store with
 * the reason, no message, no case. Each step waits for the mailbox's checkpoint to pass the mail
 * (the reader checkpoints a mail only once its handling, acknowledgement included, is over).
 */
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseMail } from '../../../channels/email/parse.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';
import { waitFor } from '../../helpers/wait.js';

let servers: MailServers;
let h: TestHub;
let sent = 0;
const smtp = () => nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });

beforeAll(async () => {
  servers = await startMailServers([
    { name: 'service', password: 'service-pass' },
    // Every sender has a mailbox: an acknowledgement to a missing one would bounce into service@.
    ...['customer', 'other', 'flood', 'calm'].map((name) => ({ name, password: `${name}-pass` })),
  ]);
  h = await startTestHub({
    name: 'email_abuse',
    overrides: {
      email: {
        enabled: true,
        floodPerSender: { mails: 3, perSeconds: 3600 },
        mailboxes: [
          {
            name: 'service',
            address: 'service@bank.example',
            queue: 'general',
            autoAck: {},
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

/** Deliver a mail to service@ and wait until the reader has checkpointed it (handled, ack included). */
async function deliver(mail: Parameters<ReturnType<typeof smtp>['sendMail']>[0]): Promise<void> {
  await smtp().sendMail({ to: 'service@bank.example', ...mail });
  const uid = ++sent;
  await waitFor(async () => Number(((await h.hub.redis.hget(`${h.redisPrefix}:email:checkpoints`, 'service')) ?? ':0').split(':')[1]) >= uid, 20_000, `checkpoint past uid ${uid}`);
}

async function customerInbox(user = 'customer'): Promise<Buffer[]> {
  const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user, pass: `${user}-pass` }, logger: false });
  await imap.connect();
  const lock = await imap.getMailboxLock('INBOX');
  try {
    const out: Buffer[] = [];
    if ((imap.mailbox as { exists: number }).exists) for await (const m of imap.fetch('1:*', { source: true })) out.push(m.source!);
    return out;
  } finally {
    lock.release();
    await imap.logout();
  }
}
const parse = (raw: Buffer) => parseMail(raw, { sink: async (s) => (s.resume(), { id: 'x' }), maxAttachmentBytes: 1 << 20 });

test('the first mail of a thread is acknowledged once, with its case number; replies, auto-replies and list mail are not', async () => {
  await deliver({ from: 'customer@example.cn', subject: '转账未到账', text: '请帮忙查询。', messageId: '<t1@example.cn>' });
  // The SMTP hand-off to Dovecot is asynchronous to our send: wait for the acknowledgement to land.
  const ack = await waitFor(async () => (await customerInbox())[0], 20_000, 'acknowledgement');
  const got = await parse(ack);
  expect(got.subject).toMatch(/^\[#CASE-\d+\] 我们已收到您的邮件/);
  const token = /\[#CASE-\d+\]/.exec(got.subject)![0];
  expect(got.text).toContain(`案件编号 ${token}`);
  expect(got.inReplyTo).toBe('t1@example.cn');
  expect(got.header('auto-submitted')).toBe('auto-replied');

  await deliver({ from: 'customer@example.cn', subject: 'Re: 转账未到账', text: '补充信息', messageId: '<t2@example.cn>', inReplyTo: '<t1@example.cn>', references: ['<t1@example.cn>'] });
  await deliver({ from: 'customer@example.cn', subject: '自动回复: 我正在休假', text: '我正在休假', messageId: '<t3@example.cn>', headers: { 'Auto-Submitted': 'auto-replied' } });
  await deliver({ from: 'news@example.cn', subject: '本周新闻', text: 'list mail', messageId: '<t4@example.cn>', headers: { 'List-Id': '<news.example.cn>' } });
  expect(await h.hub.m.Message.countDocuments({ externalId: { $in: ['t1@example.cn', 't2@example.cn', 't4@example.cn'] } })).toBe(3);
  // Only the first acknowledgement, still. An ack leaves (SMTP accepted) before its mail is
  // checkpointed, so a second one would be in OpenSMTPD's queue by now: another customer's ack,
  // sent after all of them, arriving is the sign the queue has been delivered.
  await deliver({ from: 'other@example.cn', subject: '开户', text: '咨询开户', messageId: '<t5@example.cn>' });
  await waitFor(async () => (await customerInbox('other')).length === 1, 20_000, "other's acknowledgement");
  expect((await customerInbox()).length).toBe(1);
});

test('a sender past the flood limit: the rest is refused, kept with the reason, and opens nothing', async () => {
  for (let i = 1; i <= 5; i++) await deliver({ from: 'flood@example.cn', subject: `刷屏 ${i}`, text: `第 ${i} 封`, messageId: `<flood-${i}@example.cn>` });
  const stored = await h.hub.m.Message.find({ externalId: /^flood-/ }).lean();
  expect(stored.map((m: any) => m.externalId).sort()).toEqual(['flood-1@example.cn', 'flood-2@example.cn', 'flood-3@example.cn']);
  const refused = await h.hub.conn.db!.collection('attachments.files').find({ 'metadata.refused': { $exists: true } }).toArray();
  expect(refused.map((f) => f.metadata?.messageId).sort()).toEqual(['flood-4@example.cn', 'flood-5@example.cn']);
  expect(refused[0].metadata).toMatchObject({ refused: 'sender over the flood limit', mailbox: 'service', from: 'flood@example.cn' });
  expect(refused[0].length).toBeGreaterThan(100);
  // Someone else is not limited by it.
  await deliver({ from: 'calm@example.cn', subject: '你好', text: 'hi', messageId: '<calm@example.cn>' });
  expect(await h.hub.m.Message.countDocuments({ externalId: 'calm@example.cn' })).toBe(1);
});
