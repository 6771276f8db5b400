/**
 * Exactly once under failure (issue 22): hubs are real child processes (scripts/start.ts) on one
 * store and Redis, sending one SMS campaign through the SMSC simulator, which counts what it received
 * per destination.
 * - A hub SIGKILLed mid-campaign (holding claimed recipients and running lanes), then a new process
 *   started: the campaign completes and every recipient got exactly one message.
 * - Two hubs running the same campaign at once: both send, nobody gets two.
 * The kill comes while lanes hold claims and are trying to send (the SMSC answers "throttled" to
 * everything at that moment), once every submit it accepted is recorded: the remaining gap between an
 * SMSC's submit_sm_resp and that record is one no SMPP client can close (README, "Campaigns").
 * test/hub/campaign-rules.test.ts covers a hub dying after the SMSC accepted and the connector
 * recorded it, but before the recipient was marked sent.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { Types, type Connection } from 'mongoose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { testMongoUri, testRedisUrl } from '../helpers/db.js';
import { api, loginAs } from '../helpers/hub.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { Smsc } from '../helpers/smsc.js';
import { waitFor } from '../helpers/wait.js';

const N = 120;
let smsc: Smsc;
let dir: string;
const hubs: HubProcess[] = [];

beforeAll(async () => {
  smsc = new Smsc();
  await smsc.listen();
  dir = mkdtempSync(join(tmpdir(), 'cchub-campaign-crash-'));
});
afterAll(async () => {
  await Promise.all(hubs.map((h) => h.kill9()));
  await smsc?.close();
});

/** A database of its own with N customers in segment `seg`, each with a phone identity. */
async function setup(name: string, seg: number) {
  const mongoUri = testMongoUri(name);
  const redisPrefix = `${name.slice(0, 6)}${randomBytes(4).toString('hex')}`;
  const db: Connection = await mongoose.createConnection(mongoUri).asPromise();
  const customers = [];
  const identities = [];
  for (let i = 0; i < N; i++) {
    const _id = new Types.ObjectId();
    const address = `+86137${String(seg).padStart(2, '0')}${String(i).padStart(6, '0')}`;
    customers.push({ _id, name: `c${i}`, tier: 'standard', segment: 'crash', tags: [], consents: {}, identities: [{ channel: 'sms', address }], createdAt: new Date(), updatedAt: new Date() });
    identities.push({ _id: `phone:${address}`, customerId: _id, kind: 'phone', address, channels: ['sms'], verified: true, createdAt: new Date() });
  }
  await db.collection('customers').insertMany(customers);
  await db.collection('identities').insertMany(identities as never[]);
  const config = join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ sms: { enabled: true, accounts: [{ name: 'cmcc', host: '127.0.0.1', port: smsc.port, systemId: 'esme', password: 'secret', window: 10, tps: 1000, sourceAddr: '95588' }] }, campaigns: { tps: { sms: 20 }, leaseSeconds: 3, lanes: 4, quietHours: { start: '00:00', end: '00:00' } } }));
  const opts = { mongoUri, redisUrl: testRedisUrl(), redisPrefix, env: { CCHUB_CONFIG: config } };
  const start = async () => {
    const h = await startHubProcess(opts);
    hubs.push(h);
    if (process.env.CAMPAIGN_DEBUG) {
      const { createWriteStream } = await import('node:fs');
      const out = createWriteStream(`/tmp/campaign-child-${h.child.pid}.log`);
      h.child.stdout!.pipe(out);
      h.child.stderr!.pipe(out);
    }
    return h;
  };
  const dests = identities.map((i) => i.address.slice(1));
  const perDest = () => {
    const want = new Set(dests);
    const n = new Map<string, number>();
    for (const s of smsc.submitted) if (want.has(s.dest)) n.set(s.dest, (n.get(s.dest) ?? 0) + 1);
    return n;
  };
  return { db, start, dests, perDest };
}

async function launch(url: string): Promise<string> {
  const token = await loginAs(url, 'market1');
  const c = await api(url, '/api/campaigns', { token, body: { name: 'crash', channel: 'sms', audience: { segments: ['crash'] }, content: { zh: { text: '双十二优惠' } } } });
  expect(c.status).toBe(201);
  const s = await api(url, `/api/campaigns/${c.body.campaign.id}/start`, { token, method: 'POST' });
  expect(s.body.campaign.state).toBe('running');
  return c.body.campaign.id;
}

test('SIGKILL a hub mid-campaign, start another: every recipient gets exactly one message, none skipped', async () => {
  const t = await setup('campaign_kill', 1);
  const first = await t.start();
  const id = await launch(first.url);
  const recipients = t.db.collection('campaign_recipients');
  const sent = () => recipients.countDocuments({ campaignId: new Types.ObjectId(id), state: { $in: ['sent', 'delivered'] } });
  const submitted = () => [...t.perDest().values()].reduce((a, b) => a + b, 0);
  await waitFor(() => submitted() >= 40, 60_000, 'a third sent');
  // From now the SMSC refuses every submit as throttled (0x58: retried later), so lanes keep claiming
  // and trying; once everything it accepted is recorded, the hub is killed with claims in hand.
  smsc.failNext = { count: 1e9, status: 0x58 };
  await waitFor(async () => (await sent()) === submitted() && (await recipients.countDocuments({ campaignId: new Types.ObjectId(id), state: 'sending' })) > 0, 30_000, 'accepted sends recorded, claims held');
  await first.kill9();
  smsc.failNext = { count: 0, status: 0 };
  expect(submitted()).toBeLessThan(N);
  const second = await t.start();
  await waitFor(async () => (await t.db.collection('campaigns').findOne({ _id: new Types.ObjectId(id) }))?.state === 'completed', 60_000, 'completed after restart');
  const per = t.perDest();
  expect(per.size).toBe(N);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
  expect(await sent()).toBe(N);
  await second.kill9();
  await t.db.close();
});

test('two hubs run one campaign: both send, every recipient exactly once', async () => {
  const t = await setup('campaign_two', 2);
  const [a, b] = await Promise.all([t.start(), t.start()]);
  const sessionsBefore = new Set(smsc.submitted.map((s) => s.session));
  await launch(a.url);
  await waitFor(async () => (await t.db.collection('campaigns').findOne({ name: 'crash' }))?.state === 'completed', 60_000, 'completed');
  const per = t.perDest();
  expect(per.size).toBe(N);
  expect([...per.values()].every((n) => n === 1)).toBe(true);
  // Both processes (each has its own SMPP session) sent part of it.
  const want = new Set(t.dests);
  const sessions = new Set(smsc.submitted.filter((s) => want.has(s.dest) && !sessionsBefore.has(s.session)).map((s) => s.session));
  expect(sessions.size).toBe(2);
  await Promise.all([a.kill9(), b.kill9()]);
  await t.db.close();
});
