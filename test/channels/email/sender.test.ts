/**
 * The SMTP sender (channels/email/sender.ts) through the real OpenSMTPD → Dovecot pair: threading
 * headers, case token, quoted history, signature and attachments checked on the receiving mailbox;
 * a refused recipient is a permanent error, a server that is down a retryable one.
 */
import { Readable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseMail } from '../../../channels/email/parse.js';
import { EmailSendError, MailSender } from '../../../channels/email/sender.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';

let servers: MailServers;
let sender: MailSender;
beforeAll(async () => {
  servers = await startMailServers([{ name: 'customer', password: 'customer-pass' }]);
  sender = new MailSender({ address: 'service@bank.example', smtp: { host: servers.host, port: servers.smtpPort, secure: false } });
});
afterAll(async () => {
  sender?.close();
  await servers?.stop();
});

/** The customer's mailbox: waits (IDLE) until `count` mails are there, returns their raw sources. */
async function customerMail(count: number): Promise<Buffer[]> {
  const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user: 'customer', pass: 'customer-pass' }, logger: false });
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

test('a reply carries Message-ID, In-Reply-To, References, the case token, quote, signature and attachment', async () => {
  const { messageId } = await sender.send({
    id: '65f000000000000000000001',
    to: 'customer@example.cn',
    subject: 'Re: 信用卡账单',
    text: '您好，已为您更正。',
    inReplyTo: 'c2@example.cn',
    references: ['c1@example.cn'],
    caseNumber: '1042',
    signature: '王芳 | 客服中心',
    quote: { from: 'customer@example.cn', date: new Date('2026-12-03T02:00:00Z'), text: '账单有误\n请更正' },
    attachments: [{ name: '更正说明.txt', contentType: 'text/plain', stream: () => Readable.from([Buffer.from('corrected')]) }],
  });
  expect(messageId).toBe('65f000000000000000000001.cchub@bank.example');
  const [raw] = await customerMail(1);
  const got = await parseMail(raw, { sink: async (s) => (s.resume(), { id: 'a' }), maxAttachmentBytes: 1 << 20 });
  expect(got.messageId).toBe(messageId);
  expect(got.inReplyTo).toBe('c2@example.cn');
  expect(got.references).toEqual(['c1@example.cn', 'c2@example.cn']);
  expect(got.subject).toBe('[#CASE-1042] Re: 信用卡账单');
  expect(got.text).toContain('您好，已为您更正。\n\n-- \n王芳 | 客服中心');
  expect(got.text).toContain('> 账单有误\n> 请更正');
  expect(got.attachments.map((a) => a.name)).toEqual(['更正说明.txt']);
  expect(got.header('auto-submitted')).toBe('no');
});

test('a refused recipient is permanent; a server that is down is retryable', async () => {
  const refused = await sender.send({ id: '65f000000000000000000002', to: 'nobody@invalid.example', subject: 's', text: 't' }).catch((e) => e);
  expect(refused).toBeInstanceOf(EmailSendError);
  expect(refused).toMatchObject({ permanent: true, responseCode: 550 });

  await servers.stopSmtp();
  try {
    const down = await sender.send({ id: '65f000000000000000000003', to: 'customer@example.cn', subject: 's', text: 't' }).catch((e) => e);
    expect(down).toBeInstanceOf(EmailSendError);
    expect(down.permanent).toBe(false);
  } finally {
    await servers.startSmtp();
  }
});
