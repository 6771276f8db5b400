/**
 * Threading (channels/email/threading.ts) with its memory in the real test Redis: references,
 * In-Reply-To only, Thread-Index only, a case token with broken references, a plus-address, a reply
 * that arrives before its parent, same subject from two senders, forwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseMail, type ParsedMail } from '../../../channels/email/parse.js';
import { normaliseSubject, recordThread, resolveThread } from '../../../channels/email/threading.js';
import { ThreadStore } from '../../../channels/email/thread-store.js';
import { testRedisUrl } from '../../helpers/db.js';

let redis: Redis;
let store: ThreadStore;
const mailbox = { name: 'service', address: 'service@bank.example' };
const WINDOW = 7 * 24 * 3600;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  store = new ThreadStore(redis, `t-thread-${randomBytes(4).toString('hex')}`);
});
afterAll(async () => redis?.quit());

const mail = (headers: Record<string, string>, body = 'hello') =>
  parseMail(Buffer.from(Object.entries({ From: 'zhang@example.cn', ...headers }).map(([k, v]) => `${k}: ${v}`).join('\r\n') + `\r\n\r\n${body}\r\n`), {
    sink: async () => ({ id: 'x' }),
    maxAttachmentBytes: 1024,
  });
/** Resolve, then record as the connector does once the mail is stored. */
async function arrive(m: ParsedMail) {
  const d = await resolveThread(m, mailbox, store);
  await recordThread(m, mailbox, d.threadKey, store, WINDOW);
  return d;
}
const uid = () => randomBytes(5).toString('hex');

test('subjects normalise across English and Chinese prefixes and case tokens', () => {
  expect(normaliseSubject('RE: 回复：Fwd: 答复: [#CASE-12] 信用卡  账单')).toBe('信用卡 账单');
  expect(normaliseSubject('AW: Re[2]: Statement')).toBe('statement');
});

test('References, and In-Reply-To only, join the thread', async () => {
  const a = `a-${uid()}@example.cn`;
  const first = await arrive(await mail({ 'Message-ID': `<${a}>`, Subject: '账单' }));
  expect(first).toMatchObject({ threadKey: a, via: 'new' });
  const b = `b-${uid()}@bank.example`;
  expect(await arrive(await mail({ 'Message-ID': `<${b}>`, 'In-Reply-To': `<${a}>`, References: `<${a}>`, Subject: 'Re: 账单' }))).toMatchObject({ threadKey: a, via: 'references' });
  // In-Reply-To only (no References), pointing at the middle of the thread.
  expect(await arrive(await mail({ 'Message-ID': `<c-${uid()}@x>`, 'In-Reply-To': `<${b}>`, Subject: 'something else' }))).toMatchObject({ threadKey: a, via: 'references' });
});

test('Thread-Index only (Outlook, no References)', async () => {
  const root = randomBytes(22);
  const t1 = await arrive(await mail({ 'Message-ID': `<o1-${uid()}@outlook>`, 'Thread-Index': root.toString('base64'), Subject: 'Outlook 1' }));
  expect(t1.via).toBe('new-thread-index');
  const reply = Buffer.concat([root, randomBytes(5)]).toString('base64');
  expect(await arrive(await mail({ 'Message-ID': `<o2-${uid()}@outlook>`, 'Thread-Index': reply, Subject: 'totally different' }))).toMatchObject({ threadKey: t1.threadKey, via: 'thread-index' });
});

test('a case token wins over broken References; a plus-address works without either', async () => {
  const a = `case-${uid()}@example.cn`;
  await arrive(await mail({ 'Message-ID': `<${a}>`, Subject: 'card lost' }));
  const n = await store.caseFor(a);
  expect(await store.caseFor(a)).toBe(n); // stable
  const unseen = `unseen-${uid()}@nowhere`;
  expect(await arrive(await mail({ 'Message-ID': `<r-${uid()}@x>`, References: `<${unseen}>`, Subject: `Re: [#CASE-${n}] card lost` }))).toMatchObject({ threadKey: a, via: 'case-token' });
  // The mail it referenced turns up later (a reply before its parent): it joins the case too.
  expect(await arrive(await mail({ 'Message-ID': `<${unseen}>`, Subject: 'late parent' }))).toMatchObject({ threadKey: a });
  expect(await arrive(await mail({ 'Message-ID': `<p-${uid()}@x>`, To: `service+CASE-${n}@bank.example`, Subject: 'new words' }))).toMatchObject({ threadKey: a, via: 'plus-address' });
  // Someone else's plus-address does not count.
  expect((await arrive(await mail({ 'Message-ID': `<q-${uid()}@x>`, To: `cards+CASE-${n}@bank.example`, Subject: `new words ${uid()}` }))).via).toBe('new');
});

test('a reply that arrives before its parent, and the parent after it, share one thread', async () => {
  const [a, b, c] = [`pa-${uid()}@x`, `pb-${uid()}@x`, `pc-${uid()}@x`];
  const cFirst = await arrive(await mail({ 'Message-ID': `<${c}>`, 'In-Reply-To': `<${b}>`, References: `<${a}> <${b}>`, Subject: 'Re: Re: order' }));
  expect(cFirst).toMatchObject({ threadKey: a, via: 'root' });
  expect((await arrive(await mail({ 'Message-ID': `<${b}>`, 'In-Reply-To': `<${a}>`, References: `<${a}>`, Subject: 'Re: order' }))).threadKey).toBe(a);
  expect((await arrive(await mail({ 'Message-ID': `<${a}>`, Subject: 'order' }))).threadKey).toBe(a);
});

test('same subject from two senders never merges; the same sender joins within the window; forwards start anew', async () => {
  const subject = `转账失败 ${uid()}`;
  const x = await arrive(await mail({ From: 'x@example.cn', 'Message-ID': `<x-${uid()}@x>`, Subject: subject }));
  const y = await arrive(await mail({ From: 'y@example.cn', 'Message-ID': `<y-${uid()}@y>`, Subject: subject }));
  expect(y.threadKey).not.toBe(x.threadKey);
  expect(await arrive(await mail({ From: 'x@example.cn', 'Message-ID': `<x2-${uid()}@x>`, Subject: `回复: ${subject}` }))).toMatchObject({ threadKey: x.threadKey, via: 'subject' });
  const fwd = await arrive(await mail({ From: 'x@example.cn', 'Message-ID': `<x3-${uid()}@x>`, Subject: `转发: ${subject}` }));
  expect(fwd).toMatchObject({ via: 'new', forward: true });
  expect(fwd.threadKey).not.toBe(x.threadKey);
});
