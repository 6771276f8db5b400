/**
 * Delivery receipts by the channel's own id, against the real store and Redis: only forward moves,
 * failed keeps its reason, duplicates and late receipts change nothing, a receipt that overtakes its
 * send's result is kept and applied when the result lands, and consoles hear every change.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { plugLoopback, type LoopbackConnector } from '../helpers/loopback-connector.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

let h: TestHub;
let sms: LoopbackConnector;
let token: string;
let conversationId: string;
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'receipts' });
  sms = await plugLoopback(h.hub);
  const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: 'smsc-in-1', customer: { identity: { channel: 'sms', address: '+8613800138000' } }, from: '+8613800138000', text: 'my card is blocked' });
  conversationId = String(r.conversation._id);
  token = await loginAs(h.url, 'super1');
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const hex = () => randomBytes(6).toString('hex');
async function reply(text: string): Promise<string> {
  const r = await api(h.url, `/api/conversations/${conversationId}/messages`, { token, body: { text, clientId: `rc-${hex()}` } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.message.id;
}
const stored = async (id: string) => h.hub.m.Message.findById(id).lean();
const statusOf = async (id: string) => (await stored(id))?.status;
async function sentWithId(id: string): Promise<string> {
  // The id is recorded first, then the status: wait for both.
  await waitFor(async () => {
    const m = await stored(id);
    return m?.sentId && m.status !== 'queued';
  }, 10_000, 'send result recorded');
  return sms.idFor(id);
}

test('send() result: the external id is recorded and the status is sent; receipts move it forward only', async () => {
  const id = await reply('your new card is on its way');
  const ext = await sentWithId(id);
  expect(await statusOf(id)).toBe('sent');
  expect(await sms.ctx.statusByExternalId(ext, 'delivered', undefined, new Date('2026-12-03T10:00:00Z'))).toBe('applied');
  expect(await statusOf(id)).toBe('delivered');
  // A late "sent" (e.g. the SMSC's ENROUTE after DELIVRD) and a duplicate "delivered" change nothing.
  expect(await sms.ctx.statusByExternalId(ext, 'sent')).toBe('ignored');
  expect(await sms.ctx.statusByExternalId(ext, 'delivered')).toBe('ignored');
  const m = await stored(id);
  expect(m!.status).toBe('delivered');
  expect(m!.statusAt!.toISOString()).toBe('2026-12-03T10:00:00.000Z');
  expect(await sms.ctx.statusByExternalId(ext, 'read')).toBe('applied');
  // Read proves it arrived: a failure report after it is ignored.
  expect(await sms.ctx.statusByExternalId(ext, 'failed', 'late bounce')).toBe('ignored');
  expect(await statusOf(id)).toBe('read');
});

test('failed keeps its reason: later receipts do not undo it', async () => {
  const id = await reply('please call us back');
  const ext = await sentWithId(id);
  expect(await sms.ctx.statusByExternalId(ext, 'failed', 'UNDELIV err:034 absent subscriber')).toBe('applied');
  expect(await sms.ctx.statusByExternalId(ext, 'delivered')).toBe('ignored');
  expect(await sms.ctx.statusByExternalId(ext, 'sent')).toBe('ignored');
  const m = await stored(id);
  expect(m!.status).toBe('failed');
  expect(m!.statusDetail).toBe('UNDELIV err:034 absent subscriber');
  // The console's view carries the reason.
  const conv = await api(h.url, `/api/conversations/${conversationId}/messages`, { token });
  expect(conv.body.items.find((x: { id: string }) => x.id === id)).toMatchObject({ status: 'failed', statusDetail: 'UNDELIV err:034 absent subscriber' });
});

test('out of order and duplicated, all at once: the furthest status wins', async () => {
  const id = await reply('out of order');
  const ext = await sentWithId(id);
  const receipts = ['read', 'delivered', 'sent', 'delivered', 'read', 'sent', 'delivered'] as const;
  const outcomes = await Promise.all(receipts.map((s) => sms.ctx.statusByExternalId(ext, s)));
  expect(await statusOf(id)).toBe('read');
  // Each forward step applies at most once: delivered and read at most once each.
  expect(outcomes.filter((o) => o === 'applied').length).toBeLessThanOrEqual(2);
  expect(outcomes).not.toContain('pending');
});

test('a receipt that overtakes the send result is kept and applied when the send lands (not overwritten by sent)', async () => {
  let release!: () => void;
  sms.hold = new Promise<void>((r) => (release = r));
  const started = new Promise<string>((r) => (sms.onSend = (out) => r(out.message.id)));
  const id = await reply('race me');
  expect(await started).toBe(id);
  const ext = sms.idFor(id);
  // The channel already reports delivery (twice) and a read; our send() has not returned yet.
  expect(await sms.ctx.statusByExternalId(ext, 'delivered', 'DELIVRD')).toBe('pending');
  expect(await sms.ctx.statusByExternalId(ext, 'delivered', 'DELIVRD')).toBe('pending');
  expect(await statusOf(id)).toBe('queued');
  sms.hold = undefined;
  sms.onSend = undefined;
  release();
  expect(await waitFor(async () => ((await statusOf(id)) === 'delivered' ? 'delivered' : null), 10_000, 'delivered after the send lands')).toBe('delivered');
  const m = await stored(id);
  expect(m!.sentId).toBe(ext);
  expect(m!.statusDetail).toBe('DELIVRD');
  // Taken from Redis once applied.
  expect(await h.hub.redis.exists(`${h.redisPrefix}:receipts:sms:${ext}`)).toBe(0);
});

test('a receipt for an id never sent waits in Redis with a TTL, and changes nothing', async () => {
  const ext = `never-${hex()}`;
  expect(await sms.ctx.statusByExternalId(ext, 'delivered')).toBe('pending');
  const ttl = await h.hub.redis.ttl(`${h.redisPrefix}:receipts:sms:${ext}`);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(24 * 3600);
  expect(await h.hub.m.Message.countDocuments({ sentId: ext })).toBe(0);
});

test('receipts of one channel never touch another channel\'s messages; bad input is refused', async () => {
  const id = await reply('channel scoped');
  const ext = await sentWithId(id);
  const other = h.hub.connectorContext('email');
  expect(await other.statusByExternalId(ext, 'read')).toBe('pending');
  expect(await other.reportStatus(id, 'read')).toBe('ignored');
  expect(await statusOf(id)).toBe('sent');
  await expect(sms.ctx.statusByExternalId(ext, 'received' as never)).rejects.toMatchObject({ status: 400 });
  await expect(sms.ctx.statusByExternalId('', 'read')).rejects.toMatchObject({ status: 400 });
  await expect(sms.ctx.reportStatus('not-an-id', 'read')).rejects.toMatchObject({ status: 400 });
  expect(await statusOf(id)).toBe('sent');
});

test('reportStatus (by our message id) follows the same forward-only rule', async () => {
  const id = await reply('by our id');
  await sentWithId(id);
  expect(await sms.ctx.reportStatus(id, 'read')).toBe('applied');
  expect(await sms.ctx.reportStatus(id, 'delivered')).toBe('ignored');
  expect(await sms.ctx.reportStatus(id, 'sent')).toBe('ignored');
  expect(await statusOf(id)).toBe('read');
});

test('consoles get the change as message.created with the newer updatedAt', async () => {
  const id = await reply('watch me');
  const ext = await sentWithId(id);
  const before = (await stored(id))!.updatedAt.getTime();
  const s = await sockets.connect(h.url, '/agent', token);
  const seen = nextEvent<{ message: { id: string; status: string; updatedAt: string }; updatedAt: string }>(s, 'message.created', (p) => p.message.id === id && p.message.status === 'delivered');
  expect(await sms.ctx.statusByExternalId(ext, 'delivered')).toBe('applied');
  const ev = await seen;
  expect(new Date(ev.updatedAt).getTime()).toBeGreaterThanOrEqual(before);
  expect(ev.updatedAt).toBe(ev.message.updatedAt);
});
