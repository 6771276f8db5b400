/**
 * Cross-check of our SMPP against an independent implementation: Debian's Net::SMPP (Perl) as the
 * SMSC, with its own GSM 03.38 / UTF-16BE codecs and its own UDH handling (test/helpers/perl-smsc.pl).
 * Bind, enquire_link and unknown PDUs both ways; MO in GSM (with the extension table), UCS-2 and
 * concatenated parts out of order; MT in GSM, UCS-2 and concatenated texts cut at the limits; receipts
 * by TLV and by text. What our own simulator (smsc.ts, npm smpp) and our encoder could get wrong
 * together shows here.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { PerlSmsc } from '../helpers/perl-smsc.js';
import { waitFor } from '../helpers/wait.js';

let perl: PerlSmsc;
let h: TestHub;
let token: string;
let conv: string;

beforeAll(async () => {
  perl = new PerlSmsc();
  const port = await perl.start();
  const account = { name: 'perl', host: '127.0.0.1', port, systemId: 'esme', password: 'secret', systemType: '', mode: 'transceiver', binds: 1, window: 5, tps: 1000, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general' };
  h = await startTestHub({ name: 'sms-perl', overrides: { sms: { enabled: true, accounts: [account], responseTimeoutSec: 5 } } });
  await waitFor(() => perl.binds.some((b) => b.ok), 15_000, 'bound to the Perl SMSC');
  token = await loginAs(h.url, 'agent1');
});
afterAll(async () => {
  await h?.close();
  await perl?.stop();
});

const inbound = (text: string) => h.hub.m.Message.find({ channel: 'sms', direction: 'in', text }).lean();

async function reply(text: string): Promise<string> {
  const r = await api(h.url, `/api/conversations/${conv}/messages`, { token, body: { text, clientId: `c-${randomBytes(8).toString('hex')}` } });
  if (r.status !== 201) throw new Error(`reply: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.message.id;
}
/** The submits of one reply, once all `n` parts reached the Perl SMSC. */
async function submitsAfter(before: number, n: number) {
  await waitFor(() => perl.submits.length >= before + n, 10_000, `${n} submit_sm`);
  return perl.submits.slice(before, before + n);
}

test('bind_transceiver v3.4 with our credentials; the SMSC enquire_link is answered, an unknown command gets generic_nack 0x03', async () => {
  expect(perl.binds[0]).toMatchObject({ system_id: 'esme', interface_version: 0x34, cmd: 0x09, ok: 1 });
  const [e] = await perl.request({ op: 'enquire' });
  expect(e).toMatchObject({ cmd: 0x80000015, status: 0 });
  const [n] = await perl.request({ op: 'unknown' });
  expect(n).toMatchObject({ cmd: 0x80000000, status: 0x03 });
});

test('MO: GSM with the extension table, UCS-2, and concatenated UCS-2 and GSM parts out of order are stored whole, then acked 0', async () => {
  const gsm = 'Card @ home_1 {blocked} €5 ~ok';
  expect((await perl.request({ op: 'mo', source: '8613800138000', text: gsm, coding: 'gsm' })).map((r) => [r.cmd, r.status])).toEqual([[0x80000005, 0]]);
  expect((await inbound(gsm)).length).toBe(1);
  const zh = '你好，我的卡被锁了';
  expect((await perl.request({ op: 'mo', source: '8613800138000', text: zh, coding: 'ucs2' }))[0]!.status).toBe(0);
  expect((await inbound(zh)).length).toBe(1);
  const long = '请问'.repeat(80);
  const acks = await perl.request({ op: 'mo', source: '8613900139000', text: long, coding: 'ucs2', parts: 3, ref: 77, order: [2, 3, 1] }, 3);
  expect(acks.map((r) => r.status)).toEqual([0, 0, 0]);
  expect((await inbound(long)).length).toBe(1);
  const longGsm = 'Please call me back about my card ending 1234. '.repeat(4);
  expect((await perl.request({ op: 'mo', source: '8613900139000', text: longGsm, coding: 'gsm', parts: 2, ref: 78, order: [2, 1] }, 2)).map((r) => r.status)).toEqual([0, 0]);
  expect((await inbound(longGsm)).length).toBe(1);
  conv = String((await inbound(zh))[0]!.conversationId);
});

test('MT: GSM as data_coding 0 (not IA5), UCS-2 as 8, long texts in UDH parts cut at 153 septets / 67 units without splitting an escape or a surrogate pair', async () => {
  const cases = [
    { text: 'Your code @ 5_0: {1234} costs €0 ~ ok', dc: 0, parts: 1 },
    { text: '您好，您的卡片已解锁。', dc: 8, parts: 1 },
    // € is two septets (ESC e) at 152–153: a cut at 153 would leave the ESC alone at the end of part 1.
    { text: `${'a'.repeat(152)}€${'b'.repeat(40)}`, dc: 0, parts: 2 },
    // 😀 is a surrogate pair at units 66–67: it must start part 2.
    { text: `${'中'.repeat(66)}😀${'文'.repeat(20)}`, dc: 8, parts: 2 },
  ];
  for (const c of cases) {
    const before = perl.submits.length;
    await reply(c.text);
    const got = await submitsAfter(before, c.parts);
    expect(got.every((s) => s.dc === c.dc && s.rd === 1 && s.dest === '8613800138000' && s.source === '95588')).toBe(true);
    if (c.parts > 1) {
      expect(got.every((s) => s.esm === 0x40 && s.udh?.total === c.parts && s.udh.ref === got[0]!.udh!.ref)).toBe(true);
      expect(got.map((s) => s.udh!.seq).sort()).toEqual(Array.from({ length: c.parts }, (_, i) => i + 1));
    }
    const ordered = c.parts > 1 ? [...got].sort((a, b) => a.udh!.seq - b.udh!.seq) : got;
    expect(ordered.map((s) => s.text).join('')).toBe(c.text);
  }
});

test('receipts from the Perl SMSC: DELIVRD by TLV for a later part marks the message delivered; UNDELIV by text only fails it with the reason', async () => {
  const before = perl.submits.length;
  const a = await reply('请'.repeat(100)); // 2 parts
  const parts = await submitsAfter(before, 2);
  await waitFor(async () => (await h.hub.m.Message.findById(a).lean())?.status === 'sent', 10_000, 'sent');
  const second = parts.find((p) => p.udh!.seq === 2)!;
  expect((await perl.request({ op: 'receipt', id: second.id, stat: 'DELIVRD', tlv: 1 }))[0]).toMatchObject({ cmd: 0x80000005, status: 0 });
  await waitFor(async () => (await h.hub.m.Message.findById(a).lean())?.status === 'delivered', 10_000, 'delivered');

  const b = await reply('short one');
  const [one] = await submitsAfter(before + 2, 1);
  await waitFor(async () => (await h.hub.m.Message.findById(b).lean())?.status === 'sent', 10_000, 'sent');
  expect((await perl.request({ op: 'receipt', id: one!.id, stat: 'UNDELIV', tlv: 0 }))[0]!.status).toBe(0);
  const failed = await waitFor(async () => {
    const m = await h.hub.m.Message.findById(b).lean();
    return m?.status === 'failed' ? m : null;
  }, 10_000, 'failed');
  expect((failed as any).statusDetail).toContain('UNDELIV');
});
