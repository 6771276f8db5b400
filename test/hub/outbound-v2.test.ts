/**
 * Outbound v2: what a connector's send() receives (subject, sanitised HTML, attachments as GridFS
 * streams, the customer's address, the conversation's thread and channel data, the attempt number) and
 * what the hub records from its result, against the real store, Redis and BullMQ.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { plugLoopback, type LoopbackConnector } from '../helpers/loopback-connector.js';
import { waitFor } from '../helpers/wait.js';

let h: TestHub;
let sms: LoopbackConnector;
let token: string;
let conversationId: string;
const ADDRESS = '+8613900139000';

beforeAll(async () => {
  h = await startTestHub({ name: 'outbound_v2' });
  sms = await plugLoopback(h.hub);
  const r = await sms.ctx.ingest({ channel: 'sms', externalId: `in-${randomBytes(4).toString('hex')}`, threadKey: 'case-778', customer: { identity: { channel: 'sms', address: ADDRESS } }, text: 'send me the form', channelData: { smsc: 'cmcc-1' } });
  conversationId = r.conversation.id;
  token = await loginAs(h.url, 'super1');
});
afterAll(async () => h?.close());

const clientId = () => `v2-${randomBytes(6).toString('hex')}`;

test('send() gets the whole message: subject, sanitised HTML, attachment bytes, address, thread, channel data; its id is recorded', async () => {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(70_000)]);
  // A file of this conversation (as a connector stores a customer's file).
  const ref = await sms.ctx.storeFile(Readable.from([pdf]), { name: 'form.pdf', contentType: 'application/pdf', metadata: { conversationId } });
  const r = await api(h.url, `/api/conversations/${conversationId}/messages`, {
    token,
    body: { text: 'The form is attached.', html: '<p>The form is <b>attached</b>.<script>alert(1)</script><img src=x onerror=alert(2)></p>', subject: 'Your form', attachmentIds: [ref.id], clientId: clientId() },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const id = r.body.message.id;
  expect(r.body.message.html).not.toMatch(/script|onerror/);
  const call = await waitFor(() => sms.calls.find((c) => c.out.message.id === id), 10_000, 'send() called');
  expect(call.out.message).toMatchObject({ subject: 'Your form', text: 'The form is attached.' });
  expect(call.out.message.html).toContain('<b>attached</b>');
  expect(call.out.message.html).not.toMatch(/script|onerror/);
  expect(call.out.to).toBe(ADDRESS);
  expect(call.out.threadKey).toBe('case-778');
  expect(call.out.channelData).toMatchObject({ smsc: 'cmcc-1' });
  expect(call.out.attempt).toBe(1);
  expect(call.out.attachments.map(({ id: i, name, contentType, size }) => ({ id: i, name, contentType, size }))).toEqual([ref]);
  expect(call.files[0].equals(pdf)).toBe(true);
  const stored = await waitFor(async () => {
    const m = await h.hub.m.Message.findById(id).lean();
    return m?.status === 'sent' ? m : null;
  }, 10_000, 'sent');
  expect(stored.sentId).toBe(sms.idFor(id));
});

test('a retried send says which attempt it is (a channel that can tell makes the resend harmless)', async () => {
  sms.failNext = 1;
  const attempts: number[] = [];
  sms.onSend = (out) => attempts.push(out.attempt);
  const r = await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text: 'second try', clientId: clientId() } });
  const id = r.body.message.id;
  await waitFor(async () => (await h.hub.m.Message.findById(id).lean())?.status === 'sent', 15_000, 'sent after a retry');
  sms.onSend = undefined;
  expect(attempts).toEqual([1, 2]);
  expect(sms.calls.filter((c) => c.out.message.id === id)).toHaveLength(1);
  expect((await h.hub.m.Message.findById(id).lean())!.sendAttempts).toBe(2);
});

test('an attachment the conversation may not use (another customer\'s file, an unknown id) → 400, nothing stored or sent', async () => {
  const other = await sms.ctx.storeFile(Readable.from([Buffer.from('%PDF-1.4\nsecret')]), { name: 'someone-else.pdf', contentType: 'application/pdf', metadata: { conversationId: '0123456789abcdef01234567' } });
  const before = await h.hub.m.Message.countDocuments({ conversationId: new Types.ObjectId(conversationId) });
  for (const ids of [[other.id], ['0123456789abcdef01234567']]) {
    const r = await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text: 'see attached', attachmentIds: ids, clientId: clientId() } });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.code).toBe('unknown_attachment');
  }
  expect(await h.hub.m.Message.countDocuments({ conversationId: new Types.ObjectId(conversationId) })).toBe(before);
});

test('a send the channel refuses for good is failed at once, with its reason, and not retried', async () => {
  sms.refuseNext = 'invalid destination number';
  const attempts: number[] = [];
  sms.onSend = (out) => attempts.push(out.attempt);
  const r = await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text: 'to a dead number', clientId: clientId() } });
  const id = r.body.message.id;
  const m = await waitFor(async () => {
    const x = await h.hub.m.Message.findById(id).lean();
    return x?.status === 'failed' ? x : null;
  }, 10_000, 'failed');
  sms.onSend = undefined;
  expect(m.statusDetail).toBe('invalid destination number');
  expect(attempts).toEqual([1]);
});
