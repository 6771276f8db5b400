/**
 * A supervisor merges two customers who hold live conversations on two channels each, while their
 * messages keep arriving on two hubs: every message is stored once, every conversation and identity
 * ends with the survivor, the merged customer can open nothing afterwards (not on the hub that had it
 * cached), the consoles hear of it, and it is audited. Real store, Redis and sockets.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { Channel } from '../../hub/models/types.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { nextEvent } from '../helpers/wait.js';
import { Sockets } from '../helpers/sockets.js';

let A: TestHub;
let B: TestHub;
const sockets = new Sockets();
let superToken: string;
let superSocket: Socket;

beforeAll(async () => {
  A = await startTestHub({ name: 'merge' });
  B = await startTestHub({ mongoUri: A.mongoUri, redisPrefix: A.redisPrefix });
  superToken = await loginAs(A.url, 'super1');
  superSocket = await sockets.connect(A.url, '/agent', superToken);
});
afterAll(async () => {
  sockets.closeAll();
  await B?.close();
  await A?.close();
});

const uniq = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;
const phone = () => `+86139${String(randomBytes(3).readUIntBE(0, 3) % 1e8).padStart(8, '0')}`;
let seq = 0;
const send = (hub: TestHub, channel: Channel, address: string, text = `m${++seq}`) =>
  hub.hub.ingest.ingest({ channel, externalId: uniq(`${channel}-${seq}`), customer: { identity: { channel, address } }, from: address, text });

describe('merging two customers', () => {
  test('live conversations on two channels each, 60 messages arriving on two hubs meanwhile: nothing lost, nothing left with the merged customer', async () => {
    const keepPhone = phone();
    const gonePhone = phone();
    // Survivor: SMS and voice. Merged: SMS (clashes with the survivor's) and fax (does not).
    const k1 = await send(A, 'sms', keepPhone);
    await send(A, 'voice', keepPhone);
    const g1 = await send(B, 'sms', gonePhone);
    await send(B, 'fax', gonePhone);
    const keep = String(k1.message.customerId);
    const gone = String(g1.message.customerId);
    expect(keep).not.toBe(gone);
    const before = await A.hub.m.Message.countDocuments({});

    // Messages from both customers on both hubs while the merge runs (hub B has the merged customer cached).
    const burst = Array.from({ length: 60 }, (_, i) => {
      const hub = i % 2 ? B : A;
      return i % 3 === 0 ? send(hub, 'sms', keepPhone) : i % 3 === 1 ? send(hub, 'sms', gonePhone) : send(hub, 'fax', gonePhone);
    });
    const merged = nextEvent(superSocket, 'customer.merged', (p: { into: string; from: string }) => p.into === keep, 15_000);
    const res = await api(A.url, `/api/customers/${keep}/merge`, { token: superToken, body: { from: gone } });
    const results = await Promise.all(burst);
    expect(res.status).toBe(200);
    expect(res.body.merge).toMatchObject({ into: keep, from: gone });
    expect((await merged).from).toBe(gone);

    // Every message stored exactly once, each in a conversation of the survivor.
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(await A.hub.m.Message.countDocuments({})).toBe(before + 60);
    const convIds = [...new Set(results.map((r) => String(r.message.conversationId)))];
    const convs = await A.hub.m.Conversation.find({ _id: { $in: convIds } }).lean();
    expect(convs).toHaveLength(convIds.length);
    expect(convs.every((c) => String(c.customerId) === keep)).toBe(true);
    expect(await A.hub.m.Conversation.countDocuments({ customerId: gone })).toBe(0);
    expect(await A.hub.m.Identity.countDocuments({ customerId: gone })).toBe(0);
    expect(String((await A.hub.m.Customer.findById(gone).lean())?.mergedInto)).toBe(keep);

    // The merged customer's fax conversation took the survivor's key: the next fax joins it, on either hub.
    const fax = convs.find((c) => c.channel === 'fax')!;
    expect(fax.openKey).toBe(`fax:${keep}`);
    const nextOnB = await send(B, 'fax', gonePhone);
    expect(String(nextOnB.conversation._id)).toBe(String(fax._id));
    // Its SMS conversation stays live beside the survivor's (both are answered, neither is lost); new SMS go to the survivor's.
    const smsConvs = await A.hub.m.Conversation.find({ customerId: keep, channel: 'sms', status: { $ne: 'resolved' } }).lean();
    expect(smsConvs).toHaveLength(2);
    const nextSms = await send(B, 'sms', gonePhone);
    expect(String(nextSms.conversation._id)).toBe(String(smsConvs.find((c) => c.openKey === `sms:${keep}`)!._id));
    expect(String(nextSms.message.customerId)).toBe(keep);

    // A lookup that read the merged customer before the merge and opens a conversation only now (hub B):
    // it is moved to the survivor as it opens.
    const late = await B.hub.ingest.conversationFor(new Types.ObjectId(gone), { channel: 'email' });
    expect(String(late.customerId)).toBe(keep);
    expect(await A.hub.m.Conversation.countDocuments({ customerId: gone })).toBe(0);

    // The customer panel: one customer, every identity, one timeline across channels; the old id shows the survivor.
    const panel = await api(A.url, `/api/customers/${gone}`, { token: superToken });
    expect(panel.status).toBe(200);
    expect(panel.body.customer).toMatchObject({ id: keep, mergedFrom: gone });
    expect(panel.body.identities.map((i: { kind: string; address: string }) => `${i.kind}:${i.address}`).sort()).toEqual([`phone:${gonePhone}`, `phone:${keepPhone}`].sort());
    expect(new Set(panel.body.timeline.map((c: { channel: string }) => c.channel))).toEqual(new Set(['sms', 'voice', 'fax', 'email']));

    const audit = await A.hub.m.Audit.findOne({ action: 'customer.merge', 'target.id': keep }).lean();
    expect(audit?.details).toMatchObject({ from: gone });
  });

  test('a web chat visitor merged into a bank customer keeps chatting in the same conversation; the widget history stays web chat only', async () => {
    const sess = await api(A.url, '/api/webchat/session', { body: { name: 'Visitor Later Identified' } });
    const widget = await sockets.connect(A.url, '/webchat', sess.body.token);
    const first = await widget.timeout(10_000).emitWithAck('message.send', { clientId: uniq('v1'), text: 'before the merge' });
    const visitorCustomer = String((await A.hub.m.Message.findById(first.message.id).lean())!.customerId);
    const bank = await send(A, 'sms', phone(), 'an SMS the visitor must not see in the widget');
    const keep = String(bank.message.customerId);
    expect((await api(A.url, `/api/customers/${keep}/merge`, { token: superToken, body: { from: visitorCustomer } })).status).toBe(200);
    // The visitor's token still names the merged customer: their next message joins the same (moved) conversation.
    const second = await widget.timeout(10_000).emitWithAck('message.send', { clientId: uniq('v2'), text: 'after the merge' });
    expect(second.message.conversationId).toBe(first.message.conversationId);
    const conv = await A.hub.m.Conversation.findById(first.message.conversationId).lean();
    expect(String(conv!.customerId)).toBe(keep);
    const hist = await widget.timeout(10_000).emitWithAck('history', {});
    expect(hist.messages.map((m: { text: string }) => m.text)).toEqual(['before the merge', 'after the merge']);
    expect(hist.conversationId).toBe(first.message.conversationId);
  });

  test('only supervisors and admins merge; bad requests change nothing', async () => {
    const a = String((await send(A, 'sms', phone())).message.customerId);
    const b = String((await send(A, 'sms', phone())).message.customerId);
    const agent = await loginAs(A.url, 'agent1');
    expect((await api(A.url, `/api/customers/${a}/merge`, { token: agent, body: { from: b } })).status).toBe(403);
    expect((await api(A.url, `/api/customers/${a}/merge`, { token: superToken, body: { from: a } })).body.error.code).toBe('same_customer');
    expect((await api(A.url, `/api/customers/${a}/merge`, { token: superToken, body: { from: 'nope' } })).status).toBe(400);
    expect((await api(A.url, `/api/customers/${a}/merge`, { token: superToken, body: { from: '0123456789abcdef01234567' } })).status).toBe(404);
    expect(await A.hub.m.Customer.countDocuments({ _id: { $in: [a, b] }, mergedInto: { $exists: true, $ne: null } })).toBe(0);
    // Merged once; merging it again, or into it, is refused.
    expect((await api(A.url, `/api/customers/${a}/merge`, { token: superToken, body: { from: b } })).status).toBe(200);
    expect((await api(A.url, `/api/customers/${a}/merge`, { token: superToken, body: { from: b } })).body.error.code).toBe('already_merged');
    expect((await api(A.url, `/api/customers/${b}/merge`, { token: superToken, body: { from: a } })).body.error.code).toBe('already_merged');
  });
});
