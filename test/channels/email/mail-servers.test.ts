/**
 * The test mail servers themselves (test/helpers/mail-servers.ts): a mail sent by SMTP to
 * OpenSMTPD is delivered through Dovecot's LMTP and read back by IMAP, plus-address kept.
 */
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';

let servers: MailServers;
beforeAll(async () => {
  servers = await startMailServers([{ name: 'service', password: 'service-pass' }]);
});
afterAll(async () => servers?.stop());

test('a mail sent by SMTP is read by IMAP, with the plus-address it was sent to', async () => {
  const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });
  const sent = await smtp.sendMail({
    from: 'customer@example.com',
    to: 'service+CASE-42@bank.example',
    subject: '信用卡账单 question',
    text: '您好, my statement',
  });
  expect(sent.accepted).toEqual(['service+CASE-42@bank.example']);

  const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user: 'service', pass: 'service-pass' }, logger: false });
  await imap.connect();
  try {
    const lock = await imap.getMailboxLock('INBOX');
    try {
      // Delivery is asynchronous after the SMTP accept: IDLE tells us when it lands.
      const arrived = new Promise<void>((r) => imap.once('exists', () => r()));
      if ((imap.mailbox as { exists: number }).exists === 0) {
        void imap.idle();
        await arrived;
      }
      const msgs = [];
      for await (const m of imap.fetch('1:*', { uid: true, envelope: true, source: true })) msgs.push(m);
      expect(msgs).toHaveLength(1);
      expect(msgs[0].envelope?.subject).toBe('信用卡账单 question');
      expect(msgs[0].envelope?.messageId).toBe(sent.messageId);
      expect(msgs[0].source?.toString()).toMatch(/^Delivered-To: service\+CASE-42@bank\.example$/m);
    } finally {
      lock.release();
    }
  } finally {
    await imap.logout();
  }
});
