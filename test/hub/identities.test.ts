/**
 * Identities (hub/identities.ts) through the real ingest and store: phone numbers in any written form
 * are one E.164 identity, the same number on SMS and voice is one customer, e-mail is normalised but
 * not folded, identities stored under the old "channel:address" keys keep their customer, and an
 * unverified address never attaches to the customer who holds it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { normaliseAddress } from '../../hub/identities.js';
import type { Channel } from '../../hub/models/types.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
beforeAll(async () => {
  h = await startTestHub({ name: 'identities' });
});
afterAll(async () => h?.close());

const uniq = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;
const from = (channel: Channel, address: string, verified?: boolean) =>
  h.hub.ingest.ingest({ channel, externalId: uniq(channel), customer: { identity: { channel, address, verified } }, from: address, text: `hello from ${address}` });

describe('normalising', () => {
  test('four ways of writing one mainland number are one E.164 address; a short code is kept as sent', () => {
    for (const raw of ['+86 138 0013 8000', '8613800138000', '13800138000', '138-0013-8000', '0086 138 0013 8000']) {
      expect(normaliseAddress('sms', raw, 'CN')).toEqual({ kind: 'phone', address: '+8613800138000', valid: true });
    }
    expect(normaliseAddress('voice', '95588', 'CN')).toEqual({ kind: 'phone', address: '95588', valid: false });
    // The default region decides what a national number means.
    expect(normaliseAddress('sms', '9123 4567', 'HK').address).toBe('+85291234567');
  });

  test('e-mail is trimmed and lowercased; dots and +tags are kept (not folded)', () => {
    expect(normaliseAddress('email', '  Li.Na+Statements@Example.COM ', 'CN')).toEqual({ kind: 'email', address: 'li.na+statements@example.com', valid: true });
    expect(normaliseAddress('email', 'not-an-address', 'CN').valid).toBe(false);
  });

  test('the default region is configurable and checked at start-up', () => {
    expect(loadConfig({}, {}).identities.defaultRegion).toBe('CN');
    expect(loadConfig({}, { CCHUB_DEFAULT_REGION: 'HK' }).identities.defaultRegion).toBe('HK');
    expect(() => loadConfig({}, { CCHUB_DEFAULT_REGION: 'XX' })).toThrow(/identities\.defaultRegion/);
  });
});

describe('resolving customers', () => {
  test('one number written four ways over SMS and voice: one customer, one identity on both channels, one conversation per channel', async () => {
    const n = `139${String(randomBytes(3).readUIntBE(0, 3) % 1e8).padStart(8, '0')}`;
    const forms = [`+86 ${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`, `86${n}`, n, `${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`];
    const results = await Promise.all([...forms.map((f) => from('sms', f)), ...forms.map((f) => from('voice', f))]);
    const customers = new Set(results.map((r) => String(r.message.customerId)));
    expect(customers.size).toBe(1);
    const [customerId] = customers;
    const idents = await h.hub.m.Identity.find({ customerId }).lean();
    expect(idents.map((i) => i._id)).toEqual([`phone:+86${n}`]);
    expect([...(idents[0].channels ?? [])].sort()).toEqual(['sms', 'voice']);
    const convs = await h.hub.m.Conversation.find({ customerId }).lean();
    expect(convs.map((c) => c.channel).sort()).toEqual(['sms', 'voice']);
  });

  test('e-mail addresses differing in case and spacing are one customer; a dot or a +tag makes another', async () => {
    const local = uniq('wang.fang');
    const a = await from('email', `  ${local.toUpperCase()}@Example.com`);
    const b = await from('email', `${local}@example.com`);
    const c = await from('email', `${local.replace('.', '')}@example.com`);
    const d = await from('email', `${local}+card@example.com`);
    expect(String(a.message.customerId)).toBe(String(b.message.customerId));
    expect(new Set([a, c, d].map((r) => String(r.message.customerId))).size).toBe(3);
    expect(await h.hub.m.Identity.exists({ _id: `email:${local}@example.com` })).toBeTruthy();
  });

  test('an identity stored under the old key (voice:+86…) keeps its customer, for an SMS in another form too, and gains the new key', async () => {
    // The seeded VIP's number was stored as "voice:+8613800138000" by the old seed: write it that way.
    const n = `137${String(randomBytes(3).readUIntBE(0, 3) % 1e8).padStart(8, '0')}`;
    const old = await h.hub.m.Customer.create({ name: 'Old Record', identities: [{ channel: 'voice', address: `+86${n}` }] });
    await h.hub.m.Identity.create({ _id: `voice:+86${n}`, customerId: old._id });
    const r = await from('sms', `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`);
    expect(String(r.message.customerId)).toBe(String(old._id));
    expect(String((await h.hub.m.Identity.findById(`phone:+86${n}`).lean())?.customerId)).toBe(String(old._id));
    expect(await h.hub.m.Customer.countDocuments({ name: 'Old Record' })).toBe(1);
  });

  test("an unverified address (typed into a form) never joins the customer who holds it; the same unverified address twice is one customer", async () => {
    const addr = `${uniq('vip')}@bank-customer.example`;
    const real = await from('email', addr);
    const typed1 = await from('email', addr, false);
    const typed2 = await from('email', addr.toUpperCase(), false);
    expect(String(typed1.message.customerId)).not.toBe(String(real.message.customerId));
    expect(String(typed2.message.customerId)).toBe(String(typed1.message.customerId));
    expect(String(typed1.conversation._id)).not.toBe(String(real.conversation._id));
    expect((await h.hub.m.Identity.findById(`unverified:email:${addr}`).lean())?.verified).toBe(false);
  });
});
