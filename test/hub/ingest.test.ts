/**
 * The one ingest every connector calls: idempotent on (channel, externalId) under concurrency, one
 * customer / identity / live conversation for a burst of first messages, and validation at the edge.
 * Calls hub.ingest.ingest directly against the real store (no mocks).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AppError } from '../../lib/errors.js';
import type { InboundMessage } from '../../hub/ingest/ingest.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
beforeAll(async () => {
  h = await startTestHub({ name: 'ingest' });
});
afterAll(async () => h?.close());

const uniq = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;

function sms(address: string, externalId: string, text = `text of ${externalId}`): InboundMessage {
  return { channel: 'sms', externalId, customer: { identity: { channel: 'sms', address } }, from: address, text };
}

async function counts() {
  const m = h.hub.m;
  const [messages, customers, identities, conversations] = await Promise.all([
    m.Message.countDocuments({}),
    m.Customer.countDocuments({}),
    m.Identity.countDocuments({}),
    m.Conversation.countDocuments({}),
  ]);
  return { messages, customers, identities, conversations };
}

describe('exactly once on (channel, externalId)', () => {
  test('50 concurrent ingests of one external id store one message; 49 callers get duplicate=true with its id', async () => {
    const addr = `+86139${randomBytes(3).readUIntBE(0, 3)}`;
    const ext = uniq('dup');
    const results = await Promise.all(Array.from({ length: 50 }, () => h.hub.ingest.ingest(sms(addr, ext))));
    expect(await h.hub.m.Message.countDocuments({ channel: 'sms', externalId: ext })).toBe(1);
    const fresh = results.filter((r) => !r.duplicate);
    const dups = results.filter((r) => r.duplicate);
    expect(fresh).toHaveLength(1);
    expect(dups).toHaveLength(49);
    const id = String(fresh[0].message._id);
    for (const r of results) expect(String(r.message._id)).toBe(id);
    const stored = await h.hub.m.Message.findOne({ channel: 'sms', externalId: ext }).lean();
    expect(String(stored!._id)).toBe(id);
    // Counters move once, not fifty times.
    // Counters live in the inbox view; MongoDB gets them by write-back.
    await h.hub.inbox.flushAll();
    const conv = await h.hub.m.Conversation.findById(stored!.conversationId).lean();
    expect(conv!.messageCount).toBe(1);
    expect(conv!.unreadCount).toBe(1);
  });

  test('30 concurrent first messages from a brand-new identity: 1 customer, 1 identity, 1 live conversation, 30 messages', async () => {
    const addr = `new-${randomBytes(6).toString('hex')}@example.com`;
    const before = await counts();
    const exts = Array.from({ length: 30 }, (_, i) => uniq(`first${i}`));
    const results = await Promise.all(
      exts.map((ext) => h.hub.ingest.ingest({ channel: 'email', externalId: ext, customer: { identity: { channel: 'email', address: addr }, name: 'New Person' }, from: addr, subject: 'Hello', text: `body ${ext}` })),
    );
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const after = await counts();
    expect(after.customers - before.customers).toBe(1);
    expect(after.identities - before.identities).toBe(1);
    expect(after.conversations - before.conversations).toBe(1);
    expect(after.messages - before.messages).toBe(30);

    const ident = await h.hub.m.Identity.findById(`email:${addr}`).lean();
    expect(ident).not.toBeNull();
    const customerIds = new Set(results.map((r) => String(r.message.customerId)));
    const convIds = new Set(results.map((r) => String(r.message.conversationId)));
    expect([...customerIds]).toEqual([String(ident!.customerId)]);
    expect(convIds.size).toBe(1);
    expect(await h.hub.m.Customer.countDocuments({ _id: ident!.customerId })).toBe(1);

    // Counters live in the inbox view; MongoDB gets them by write-back.

    await h.hub.inbox.flushAll();

    const conv = await h.hub.m.Conversation.findOne({ customerId: ident!.customerId }).lean();
    expect(conv!.openKey).toBe(`email:${String(ident!.customerId)}`);
    expect(conv!.status).toBe('queued');
    expect(conv!.messageCount).toBe(30);
    expect(conv!.unreadCount).toBe(30);
    expect(await h.hub.m.Message.countDocuments({ conversationId: conv!._id })).toBe(30);
  });

  test('a burst mixing new and already-stored ids answers every caller with its own message', async () => {
    const addr = `+86137${randomBytes(3).readUIntBE(0, 3)}`;
    const exts = Array.from({ length: 20 }, (_, i) => uniq(`mix${i}`));
    // The first 8 are stored before the burst.
    const earlier = new Map<string, string>();
    for (const ext of exts.slice(0, 8)) {
      const r = await h.hub.ingest.ingest(sms(addr, ext));
      expect(r.duplicate).toBe(false);
      earlier.set(ext, String(r.message._id));
    }
    // The burst: every id twice, interleaved, all at once (the group commit batches them together).
    const calls = [...exts, ...exts.slice().reverse()];
    const results = await Promise.all(calls.map((ext) => h.hub.ingest.ingest(sms(addr, ext)).then((r) => ({ ext, r }))));

    expect(await h.hub.m.Message.countDocuments({ channel: 'sms', externalId: { $in: exts } })).toBe(20);
    const byExt = new Map<string, typeof results>();
    for (const x of results) byExt.set(x.ext, [...(byExt.get(x.ext) ?? []), x]);
    for (const ext of exts) {
      const answers = byExt.get(ext)!;
      expect(answers).toHaveLength(2);
      // Each caller gets the message of its own external id, never a neighbour's.
      for (const { r } of answers) {
        expect(r.message.externalId).toBe(ext);
        expect(r.message.text).toBe(`text of ${ext}`);
      }
      const ids = new Set(answers.map(({ r }) => String(r.message._id)));
      expect(ids.size).toBe(1);
      if (earlier.has(ext)) {
        expect(answers.every(({ r }) => r.duplicate)).toBe(true);
        expect([...ids][0]).toBe(earlier.get(ext));
      } else {
        expect(answers.filter(({ r }) => !r.duplicate)).toHaveLength(1);
      }
    }
    const stored = await h.hub.m.Message.find({ channel: 'sms', externalId: { $in: exts } }).lean();
    for (const s of stored) expect(byExt.get(s.externalId)![0].r.message._id.toString()).toBe(String(s._id));
    // Counters live in the inbox view; MongoDB gets them by write-back.
    await h.hub.inbox.flushAll();
    const conv = await h.hub.m.Conversation.findById(stored[0].conversationId).lean();
    expect(conv!.messageCount).toBe(20);
  });
});

describe('what the store cannot keep never fails or fakes the batch it shares', () => {
  test('a NUL character (PostgreSQL cannot store it) is removed; every message of the burst is stored', async () => {
    const exts = Array.from({ length: 12 }, (_, i) => uniq(`nul${i}`));
    const results = await Promise.all(exts.map((ext, i) => h.hub.ingest.ingest(sms(`+8613912${String(i).padStart(5, '0')}`, ext, i === 5 ? 'card\u0000 lost' : `text of ${ext}`))));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const stored = await h.hub.m.Message.find({ channel: 'sms', externalId: { $in: exts } }).lean();
    expect(stored).toHaveLength(12);
    expect(stored.find((m) => m.externalId === exts[5])!.text).toBe('card lost');
  });

  test('one document the store refuses as a whole batch: that caller gets 422 unstorable, the others are stored (never acked unstored)', async () => {
    const exts = Array.from({ length: 8 }, (_, i) => uniq(`poison${i}`));
    // Over MongoDB's 16 MB document limit: the driver refuses the whole insertMany, naming no document.
    // (Its customer already has a live conversation, so only the message document carries it.)
    await h.hub.ingest.ingest(sms('+8613800000001', uniq('before-poison')));
    const poison = { ...sms('+8613800000001', exts[3]), channelData: { blob: 'x'.repeat(17 * 1024 * 1024) } };
    const settled = await Promise.allSettled(exts.map((ext, i) => h.hub.ingest.ingest(i === 3 ? poison : sms(`+8613700000${String(i).padStart(3, '0')}`, ext))));
    const refused = settled[3];
    expect(refused.status).toBe('rejected');
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(AppError);
    expect((refused as PromiseRejectedResult).reason.code).toBe('unstorable');
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    const stored = await h.hub.m.Message.find({ channel: 'sms', externalId: { $in: exts } }, { externalId: 1 }).lean();
    expect(stored.map((m) => m.externalId).sort()).toEqual(exts.filter((_, i) => i !== 3).sort());
  });
});

describe('invalid input is refused at the edge and changes nothing', () => {
  const bad: [string, () => unknown][] = [
    ['missing externalId', () => ({ channel: 'sms', customer: { identity: { channel: 'sms', address: '+8613000000001' } }, text: 'hi' })],
    ['empty externalId', () => ({ channel: 'sms', externalId: '', customer: { identity: { channel: 'sms', address: '+8613000000002' } }, text: 'hi' })],
    ['text too long', () => ({ channel: 'sms', externalId: uniq('long'), customer: { identity: { channel: 'sms', address: '+8613000000003' } }, text: 'x'.repeat(100_001) })],
    ['bad channel', () => ({ channel: 'pigeon', externalId: uniq('bird'), customer: { identity: { channel: 'sms', address: '+8613000000004' } }, text: 'hi' })],
    ['bad identity channel', () => ({ channel: 'sms', externalId: uniq('idc'), customer: { identity: { channel: 'telex', address: '+8613000000005' } }, text: 'hi' })],
    ['no customer id or identity', () => ({ channel: 'sms', externalId: uniq('nocust'), customer: {}, text: 'hi' })],
    ['bad customer id', () => ({ channel: 'sms', externalId: uniq('badcid'), customer: { id: 'not-an-id' }, text: 'hi' })],
    ['text not a string', () => ({ channel: 'sms', externalId: uniq('num'), customer: { identity: { channel: 'sms', address: '+8613000000006' } }, text: 42 })],
  ];
  test.each(bad)('%s → AppError 400, nothing stored', async (_name, make) => {
    const before = await counts();
    const err = await h.hub.ingest.ingest(make() as InboundMessage).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    expect((err as AppError).code).toBe('bad_request');
    expect(await counts()).toEqual(before);
  });
});

describe('admission check (IngestOptions.admit, e.g. a rate limit)', () => {
  test('in one burst, messages whose check fails are refused with its error and not stored; the rest are stored once', async () => {
    const addr = `+86137${randomBytes(3).readUIntBE(0, 3)}`;
    const exts = Array.from({ length: 12 }, (_, i) => uniq(`adm${i}`));
    const refusal = new AppError(429, 'rate_limited', 'too fast');
    // Checks settle in a scrambled order, some after their message was queued for its batch.
    const checks = exts.map((_, i) => new Promise<void>((res, rej) => setImmediate(() => (i % 3 === 1 ? rej(refusal) : res()))));
    const outcomes = await Promise.allSettled(exts.map((ext, i) => h.hub.ingest.ingest(sms(addr, ext), { admit: checks[i] })));
    outcomes.forEach((o, i) => {
      if (i % 3 === 1) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toBe(refusal);
      } else {
        expect(o.status).toBe('fulfilled');
        expect((o as PromiseFulfilledResult<{ duplicate: boolean }>).value.duplicate).toBe(false);
      }
    });
    const stored = await h.hub.m.Message.find({ channel: 'sms', externalId: { $in: exts } }).lean();
    expect(stored.map((s) => s.externalId).sort()).toEqual(exts.filter((_, i) => i % 3 !== 1).sort());
    await h.hub.inbox.flushAll();
    const conv = await h.hub.m.Conversation.findById(stored[0].conversationId).lean();
    expect(conv!.messageCount).toBe(8);
  });

  test('a refused message can be sent again later under the same external id', async () => {
    const addr = `+86136${randomBytes(3).readUIntBE(0, 3)}`;
    const ext = uniq('again');
    await expect(h.hub.ingest.ingest(sms(addr, ext), { admit: Promise.reject(new AppError(429, 'rate_limited', 'too fast')) })).rejects.toThrow('too fast');
    expect(await h.hub.m.Message.countDocuments({ channel: 'sms', externalId: ext })).toBe(0);
    const r = await h.hub.ingest.ingest(sms(addr, ext), { admit: Promise.resolve() });
    expect(r.duplicate).toBe(false);
    expect(await h.hub.m.Message.countDocuments({ channel: 'sms', externalId: ext })).toBe(1);
  });
});
