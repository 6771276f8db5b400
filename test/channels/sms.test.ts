/**
 * The SMS connector against the SMSC simulator (test/helpers/smsc.ts) and a real hub (store, Redis):
 * MO stored before its deliver_sm_resp and once per redelivery, long MO reassembled from parts in any
 * order, MT encoded and sent through the outbound job, receipts applied (also before the resp and
 * twice), throttling retried, the window kept, a wrong password degraded without a hot loop, malformed
 * PDUs answered without losing the session.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SmsConnector } from '../../channels/sms/connector.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Smsc } from '../helpers/smsc.js';
import { waitFor } from '../helpers/wait.js';

let smsc: Smsc;
let h: TestHub;
let token: string;
/** The conversation agent1 answers in (agents take one SMS conversation at a time). */
let conv: unknown;

const account = (port: number, extra: Record<string, unknown> = {}) => ({ name: 'cmcc', host: '127.0.0.1', port, systemId: 'esme', password: 'secret', systemType: '', mode: 'transceiver', binds: 1, window: 3, tps: 1000, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general', ...extra });

beforeAll(async () => {
  smsc = new Smsc();
  await smsc.listen();
  h = await startTestHub({ name: 'sms', overrides: { sms: { enabled: true, accounts: [account(smsc.port)], responseTimeoutSec: 2, concatTimeoutSec: 3 } } });
  await waitFor(() => smsc.sessions.size === 1, 10_000, 'bound');
  token = await loginAs(h.url, 'agent1');
});
afterAll(async () => {
  await h?.close();
  await smsc?.close();
});

/** An agent reply through the API (the outbound job sends it); resolves with the stored message id. */
async function reply(conv: unknown, text: string): Promise<string> {
  const r = await api(h.url, `/api/conversations/${conv}/messages`, { token, body: { text, clientId: `c-${randomBytes(8).toString("hex")}` } });
  if (r.status !== 201) throw new Error(`reply: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.message.id;
}
const statusOf = async (id: string) => (await h.hub.m.Message.findById(id).lean())?.status;

const inbound = (text: string) => h.hub.m.Message.find({ channel: 'sms', direction: 'in', text }).lean();

test('MO is stored before its deliver_sm_resp, with an E.164 identity, and a redelivery is not stored twice', async () => {
  expect(await smsc.mo('8613800138000', '你好，我的卡被锁了')).toBe(0);
  // No waiting: the resp came after the store.
  const rows = await inbound('你好，我的卡被锁了');
  expect(rows.length).toBe(1);
  const conv = await h.hub.m.Conversation.findById(rows[0]!.conversationId).lean();
  expect((conv as any).channelData.msisdn).toBe('+8613800138000');
  expect(await smsc.mo('8613800138000', '你好，我的卡被锁了')).toBe(0);
  expect((await inbound('你好，我的卡被锁了')).length).toBe(1);
});

test('a long MO arriving out of order (parts 3, 1, 2, 1 again) is stored once, whole, and every part acked after', async () => {
  const text = '请问'.repeat(80); // 160 UCS-2 units: 3 parts
  const parts = smsc.moPartsUcs2('8613900139000', text, 42);
  expect(parts.length).toBe(3);
  const acks = [parts[2]!.send(), parts[0]!.send(), parts[1]!.send(), parts[0]!.send()];
  expect(await Promise.all(acks)).toEqual([0, 0, 0, 0]);
  expect((await inbound(text)).length).toBe(1);
  // The late copy of part 1 was acked at once, not held as the start of a second message (stored incomplete on timeout).
  const mine = (await h.hub.m.Message.find({ channel: 'sms', direction: 'in' }).lean()).filter((m: any) => m.text.startsWith('请问'));
  expect(mine.length).toBe(1);
});

test('MT: an agent reply goes out UCS-2 in concatenated parts with registered_delivery, then DELIVRD makes it delivered', async () => {
  await smsc.mo('8613700137000', 'hi');
  conv = (await inbound('hi'))[0]!.conversationId;
  const text = '您好，'.repeat(30); // 90 units: 2 parts
  const before = smsc.submitted.length;
  const id = await reply(conv, text);
  await waitFor(async () => (await statusOf(id)) === 'delivered' && smsc.submitted.length === before + 2, 10_000, 'delivered');
  const sent = smsc.submitted.slice(before);
  expect(sent.length).toBe(2);
  expect(sent.every((s) => s.dataCoding === 8 && s.esmClass === 0x40 && s.registeredDelivery === 1 && s.dest === '8613700137000')).toBe(true);
});

test('receipts before the submit_sm_resp and twice still reach the message; UNDELIV fails it', async () => {
  smsc.receipts = 'before';
  const a = await reply(conv, 'early receipt');
  await waitFor(async () => (await statusOf(a)) === 'delivered', 10_000, 'early receipt applied');
  smsc.receipts = 'twice';
  smsc.receiptStat = 'UNDELIV';
  const b = await reply(conv, 'twice');
  await waitFor(async () => (await statusOf(b)) === 'failed', 10_000, 'failed');
  smsc.receipts = 'after';
  smsc.receiptStat = 'DELIVRD';
});

test('throttled (0x58) submits are retried until sent, and the window of 3 is never exceeded', async () => {
  smsc.failNext = { count: 2, status: 0x58 };
  // Slow resps, so six sends (the outbound worker runs up to 20 at once) pile up on the one bind.
  smsc.respDelayMs = 300;
  smsc.maxOutstanding = 0;
  const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => reply(conv, `burst ${i}`)));
  await waitFor(async () => (await h.hub.m.Message.find({ _id: { $in: ids }, status: 'delivered' }).lean()).length === 6, 20_000, 'all delivered');
  smsc.respDelayMs = 0;
  expect(smsc.maxOutstanding).toBe(3);
});

test('malformed PDUs: unknown command gets generic_nack, a truncated deliver_sm an error resp, and the session goes on', async () => {
  const s = smsc.anySession();
  // The answers to our two PDUs, by their sequence numbers (other deliver_sm_resps — receipts of earlier
  // tests' sends — may pass meanwhile).
  const answers = new Map<number, { id: number; status: number }>();
  const onPdu = (p: any) => answers.set(p.sequence_number >>> 0, { id: p.command_id >>> 0, status: p.command_status });
  s.on('pdu', onPdu);
  // Unknown command 0x00000099, then a deliver_sm whose sm_length runs past the PDU.
  smsc.writeRaw(Buffer.from([0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0x10, 1]));
  const body = Buffer.concat([Buffer.from('\0'), Buffer.from([1, 1]), Buffer.from('8613400134000\0'), Buffer.from([0, 1]), Buffer.from('95588\0'), Buffer.from([0, 0, 0]), Buffer.from('\0\0'), Buffer.from([0, 0, 0, 0, 50]), Buffer.from('short')]);
  const hdr = Buffer.alloc(16);
  hdr.writeUInt32BE(16 + body.length, 0);
  hdr.writeUInt32BE(5, 4);
  hdr.writeUInt32BE(0x1002, 12);
  smsc.writeRaw(Buffer.concat([hdr, body]));
  await waitFor(() => answers.has(0x1001) && answers.has(0x1002), 5000, 'nack and resp');
  s.off('pdu', onPdu);
  expect(answers.get(0x1001)).toEqual({ id: 0x80000000, status: 0x03 });
  expect(answers.get(0x1002)!.id).toBe(0x80000005);
  expect(answers.get(0x1002)!.status).not.toBe(0);
  expect(await smsc.mo('8613400134000', 'still here')).toBe(0);
  expect((await inbound('still here')).length).toBe(1);
});

test('a dropped connection is bound again and MO flows after it', async () => {
  const binds = smsc.bindAttempts;
  smsc.dropAll();
  await waitFor(() => smsc.sessions.size === 1, 10_000, 'rebound');
  expect(smsc.bindAttempts).toBeGreaterThan(binds);
  expect(await smsc.mo('8613300133000', 'after drop')).toBe(0);
});

test('a wrong password degrades the connector with a clear reason and no hot loop; the password is never in the reason', async () => {
  const bad = new Smsc({ esme: 'other' });
  await bad.listen();
  const h2 = await startTestHub({ name: 'sms-bad', overrides: { sms: { enabled: true, accounts: [account(bad.port)] } } });
  try {
    const c = h2.hub.connectors.get('sms') as SmsConnector;
    await waitFor(() => c.bindStates()[0]!.reason.includes('invalid password'), 10_000, 'refused');
    const ready = await api(h2.url, '/readyz');
    expect(JSON.stringify(ready.body)).toContain('invalid password');
    expect(JSON.stringify(ready.body)).not.toContain('secret');
    await new Promise((r) => setTimeout(r, 1500)); // a window to count attempts in, not synchronisation
    // One attempt so far: a refused bind waits the longest backoff (15-30 s), not 0.5 s doubling.
    expect(bad.bindAttempts).toBe(1);
  } finally {
    await h2.close();
    await bad.close();
  }
});

test('the account TPS holds across binds: 9 sends at tps 3 over two binds take at least two more windows', async () => {
  const sim = new Smsc();
  await sim.listen();
  const h3 = await startTestHub({ name: 'sms-tps', overrides: { sms: { enabled: true, accounts: [account(sim.port, { name: 'tps', binds: 2, tps: 3 })] } } });
  try {
    const c = h3.hub.connectors.get('sms') as SmsConnector;
    await waitFor(() => sim.sessions.size === 2, 10_000, 'two binds');
    const at: number[] = [];
    sim.on('submit', () => at.push(Date.now()));
    const sends = Array.from({ length: 9 }, (_, i) =>
      c.send({ message: { id: `tps${i}`, text: `tps ${i}` } as never, attachments: [], channelData: { msisdn: '+8613100131000', account: 'tps' }, attempt: 1 }),
    );
    await Promise.all(sends);
    expect(at.length).toBe(9);
    expect(new Set(sim.submitted.map((x) => x.session)).size).toBe(2); // both binds carried some
    expect(at[8]! - at[0]!).toBeGreaterThanOrEqual(1500);
  } finally {
    await h3.close();
    await sim.close();
  }
});

