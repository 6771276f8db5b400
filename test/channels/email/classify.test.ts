/** Bounces, read receipts and auto-replies (channels/email/classify.ts) on real-world fixtures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { classify } from '../../../channels/email/classify.js';
import { parseMail } from '../../../channels/email/parse.js';

const sink = async () => ({ id: 'unused' });
const parse = (raw: Buffer | string) => parseMail(Buffer.from(raw), { sink, maxAttachmentBytes: 1 << 20 });
const fixture = (name: string) => parse(readFileSync(join(import.meta.dirname, '../../fixtures/mail', name)));

test('a DSN fails the returned message with the reason', async () => {
  expect(classify(await fixture('dsn.eml'))).toEqual({
    kind: 'dsn',
    automated: true,
    originalMessageId: 'out-2.cchub@bank.example',
    status: 'failed',
    detail: '5.1.1 nobody@example.cn 550 5.1.1 <nobody@example.cn>: Recipient address rejected: User unknown',
  });
});

test('an MDN marks the original read', async () => {
  expect(classify(await fixture('mdn.eml'))).toMatchObject({ kind: 'mdn', originalMessageId: 'out-3.cchub@bank.example', status: 'read' });
});

test('auto-replies by header or by a Chinese subject alone', async () => {
  expect(classify(await fixture('autoreply.eml'))).toMatchObject({ kind: 'auto-reply', originalMessageId: 'out-1.cchub@bank.example', status: 'delivered' });
  const bySubject = await parse('From: a@example.cn\r\nSubject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN77ya5oiR5Zyo5LyR5YGH?=\r\nIn-Reply-To: <out-9.cchub@bank.example>\r\n\r\n休假中\r\n');
  expect(classify(bySubject)).toMatchObject({ kind: 'auto-reply', originalMessageId: 'out-9.cchub@bank.example' });
});

test('a non-standard bounce from MAILER-DAEMON quoting the original', async () => {
  const raw = 'From: MAILER-DAEMON@mx.example.com\r\nSubject: failure notice\r\n\r\nSorry. 550 5.7.1 mailbox disabled\r\n\r\n--- Below this line is a copy of the message.\r\n\r\nMessage-ID: <out-5.cchub@bank.example>\r\nSubject: hi\r\n';
  expect(classify(await parse(raw))).toMatchObject({ kind: 'dsn', originalMessageId: 'out-5.cchub@bank.example', status: 'failed', detail: '550 5.7.1 mailbox disabled' });
});

test('a person writes a message; list and no-reply mail is automated (never auto-acknowledged)', async () => {
  expect(classify(await fixture('gb2312-label-gbk.eml'))).toEqual({ kind: 'message', automated: false });
  expect(classify(await parse('From: news@shop.example\r\nList-Id: <news.shop.example>\r\nSubject: offers\r\n\r\nbuy\r\n'))).toEqual({ kind: 'message', automated: true });
  expect(classify(await parse('From: no-reply@shop.example\r\nSubject: receipt\r\n\r\nthanks\r\n'))).toEqual({ kind: 'message', automated: true });
  // Auto-Submitted: no is a person.
  expect(classify(await parse('From: p@example.com\r\nAuto-Submitted: no\r\nSubject: question\r\n\r\nhi\r\n'))).toEqual({ kind: 'message', automated: false });
});
