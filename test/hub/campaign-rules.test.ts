/**
 * Campaign rules enforced by the hub (issue 22) against a real hub, store, Redis and the SMSC
 * simulator: consent and suppression skip and count, templates and the zh/en variant with the opt-out
 * suffix, quiet hours in the customer's time zone with a controllable clock (a due message waits),
 * the frequency cap across campaigns, approval over the threshold, pause and resume, and the campaign
 * throttle leaving room for agents' replies.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Smsc } from '../helpers/smsc.js';
import { submittedText } from '../helpers/sms-text.js';
import { waitFor } from '../helpers/wait.js';
import { campaignOf, makeCustomer, startCampaign, waitState } from '../helpers/campaign.js';
import { ManualClock } from '../../hub/campaigns/clock.js';
import { Sockets } from '../helpers/sockets.js';

const sockets = new Sockets();

let smsc: Smsc;
let h: TestHub;
let mkt: string;
let sup: string;
// 12:00 in Shanghai: outside quiet hours.
const clock = new ManualClock(new Date('2026-12-03T04:00:00Z'));

const account = (port: number) => ({ name: 'cmcc', host: '127.0.0.1', port, systemId: 'esme', password: 'secret', systemType: '', mode: 'transceiver', binds: 1, window: 10, tps: 40, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general' });

beforeAll(async () => {
  smsc = new Smsc();
  await smsc.listen();
  h = await startTestHub({ name: 'campaign-rules', overrides: { sms: { enabled: true, accounts: [account(smsc.port)] }, campaigns: { approvalThreshold: 30, tps: { sms: 20 }, frequencyCap: { count: 2, days: 7 }, lanes: 2 } } });
  h.hub.campaigns.runner.clock = clock;
  await waitFor(() => smsc.sessions.size === 1, 10_000, 'bound');
  mkt = await loginAs(h.url, 'market1');
  sup = await loginAs(h.url, 'super1');
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
  await smsc?.close();
});

const phone = (seg: number, i: number) => `+86139${String(seg).padStart(4, '0')}${String(i).padStart(4, '0')}`;
const received = (e164: string) => smsc.submitted.filter((s) => s.dest === e164.slice(1));
const content = { zh: { text: '{{name}}您好，尾号{{card_last4}}的卡有新优惠' }, en: { text: 'Hi {{name}}, card ending {{card_last4}} has an offer' } };

test('consent and suppression are skipped and counted; zh/en variants with fields and the opt-out suffix; each recipient once', async () => {
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push(await makeCustomer(h.hub, { phone: phone(1, i), name: `客户${i}`, segment: 'seg-1', cardLast4: '4321', ...(i === 5 ? { language: 'en', name: 'Ann' } : {}), ...(i === 0 ? { consents: { sms: { marketing: false, source: 'keyword:TD', at: new Date() } } } : {}) }));
  // Another segment: never included.
  await makeCustomer(h.hub, { phone: phone(1, 99), segment: 'seg-other' });
  expect((await api(h.url, '/api/suppressions', { token: sup, body: { channel: 'sms', address: phone(1, 1).replace('+86', '') } })).status).toBe(201);
  const count = await api(h.url, '/api/campaigns/audience/count', { token: mkt, body: { channel: 'sms', audience: { segments: ['seg-1'] } } });
  expect(count.body.count).toBe(6);
  // Live progress over socket.io (namespace /campaigns), counts only.
  const events: any[] = [];
  const live = await sockets.connect(h.url, '/campaigns', mkt);
  live.on('campaign.progress', (e: any) => events.push(e));
  const c = await startCampaign(h.url, mkt, { name: 'offer', channel: 'sms', audience: { segments: ['seg-1'] }, content });
  expect(c.state).toBe('running');
  const done = await waitState(h.url, mkt, c.id, 'completed');
  expect(done.progress).toMatchObject({ total: 6, sent: 4, skipped: { opted_out: 1, suppressed: 1 } });
  expect(received(phone(1, 0)).length + received(phone(1, 1)).length + received(phone(1, 99)).length).toBe(0);
  for (const i of [2, 3, 4, 5]) expect(received(phone(1, i)).length).toBe(1);
  expect(submittedText(received(phone(1, 2))[0]!)).toBe('客户2您好，尾号4321的卡有新优惠 回复TD退订');
  expect(submittedText(received(phone(1, 5))[0]!)).toBe('Hi Ann, card ending 4321 has an offer Reply STOP to opt out');
  // Receipts reach the recipients: delivered.
  await waitFor(async () => (await campaignOf(h.url, mkt, c.id)).progress.delivered === 4, 10_000, 'delivered');
  expect(await h.hub.m.Audit.countDocuments({ 'target.id': c.id, action: { $in: ['campaign.create', 'campaign.start', 'campaign.completed'] } })).toBe(3);
  const last = await waitFor(() => events.find((e) => e.id === c.id && e.state === 'completed' && e.progress.delivered === 4), 10_000, 'progress event');
  expect(last.progress).toMatchObject({ total: 6, sent: 4, skipped: { opted_out: 1, suppressed: 1 } });
  expect(Object.keys(last)).toEqual(['id', 'state', 'progress', 'updatedAt']);
  live.close();
});

test('quiet hours in the customer time zone: a message due at night waits, and goes once the morning comes (controllable clock)', async () => {
  // 22:30 in Shanghai; a customer in London (14:30 there) is outside quiet hours and goes now.
  clock.set(new Date('2026-12-03T14:30:00Z'));
  for (let i = 0; i < 3; i++) await makeCustomer(h.hub, { phone: phone(2, i), segment: 'seg-2' });
  await makeCustomer(h.hub, { phone: phone(2, 9), segment: 'seg-2', timeZone: 'Europe/London' });
  const c = await startCampaign(h.url, mkt, { name: 'night', channel: 'sms', audience: { segments: ['seg-2'] }, content });
  const held = await waitFor(async () => {
    const p = (await campaignOf(h.url, mkt, c.id)).progress;
    return p.waiting === 3 && p.sent === 1 ? p : null;
  }, 15_000, 'three waiting, London sent');
  expect(held.pending).toBe(0);
  expect(received(phone(2, 9)).length).toBe(1);
  for (let i = 0; i < 3; i++) expect(received(phone(2, i)).length).toBe(0);
  const w = await h.hub.campaigns.models.Recipient.findOne({ campaignId: c.id, state: 'waiting' }).lean();
  expect(w!.notBefore!.toISOString()).toBe('2026-12-04T00:00:00.000Z'); // 08:00 in Shanghai
  // Morning: the delayed lane would fire at 08:00; with the clock moved, a kick stands in for it.
  clock.set(new Date('2026-12-04T00:00:30Z'));
  await h.hub.campaigns.runner.kick((await h.hub.campaigns.models.Campaign.findById(c.id).lean()) as any);
  await waitState(h.url, mkt, c.id, 'completed');
  for (let i = 0; i < 3; i++) expect(received(phone(2, i)).length).toBe(1);
  clock.set(new Date('2026-12-04T04:00:00Z'));
});

test('frequency cap across campaigns: the third campaign within the week skips the customer', async () => {
  await makeCustomer(h.hub, { phone: phone(3, 0), segment: 'seg-3' });
  const results = [];
  for (const n of [1, 2, 3]) {
    const c = await startCampaign(h.url, mkt, { name: `cap ${n}`, channel: 'sms', audience: { segments: ['seg-3'] }, content });
    results.push((await waitState(h.url, mkt, c.id, 'completed')).progress);
  }
  expect(results.map((p) => p.sent)).toEqual([1, 1, 0]);
  expect(results[2].skipped).toEqual({ frequency_cap: 1 });
  expect(received(phone(3, 0)).length).toBe(2);
});

test('over the threshold a supervisor approves (marketing may not); pause stops sending, resume finishes, each recipient once; agent replies keep flowing meanwhile', async () => {
  // Enough recipients that the campaign (20/s) is still sending while the reply and the pause happen,
  // even on a loaded machine.
  const N = 120;
  await Promise.all(Array.from({ length: N }, (_, i) => makeCustomer(h.hub, { phone: phone(4, i), segment: 'seg-4' })));
  const c = await startCampaign(h.url, mkt, { name: 'big', channel: 'sms', audience: { segments: ['seg-4'] }, content });
  expect(c.state).toBe('awaiting_approval');
  expect((await api(h.url, `/api/campaigns/${c.id}/approve`, { token: mkt, method: 'POST' })).status).toBe(403);
  // An SMS conversation an agent answers while the campaign runs.
  await smsc.mo('8613700000001', 'hello');
  const conv = await waitFor(async () => (await h.hub.m.Message.findOne({ direction: 'in', text: 'hello' }).lean())?.conversationId, 5000, 'mo stored');
  const agent = await loginAs(h.url, 'agent1');
  const approved = await api(h.url, `/api/campaigns/${c.id}/approve`, { token: sup, method: 'POST' });
  expect(approved.body.campaign.state).toBe('running');
  // The campaign takes 20/s of the account's 40: a reply sent mid-campaign goes out at once.
  await waitFor(async () => (await campaignOf(h.url, mkt, c.id)).progress.sent >= 5, 15_000, 'campaign under way');
  const r = await api(h.url, `/api/conversations/${conv}/messages`, { token: agent, body: { text: 'service reply', clientId: 'svc-reply-000001' } });
  expect(r.status).toBe(201);
  await waitFor(() => received('+8613700000001').some((s) => submittedText(s) === 'service reply'), 5000, 'reply sent');
  const mid = (await campaignOf(h.url, mkt, c.id)).progress;
  expect(mid.sent).toBeLessThan(N); // the reply did not wait for the campaign
  // Pause: once no lane is at work, nothing more is sent.
  expect((await api(h.url, `/api/campaigns/${c.id}/pause`, { token: mkt, method: 'POST' })).body.campaign.state).toBe('paused');
  const queue = (h.hub.campaigns.runner as any).queue;
  await waitFor(async () => (await queue.getActiveCount()) === 0 && (await campaignOf(h.url, mkt, c.id)).progress.sending === 0, 10_000, 'lanes stopped');
  const paused = (await campaignOf(h.url, mkt, c.id)).progress;
  expect(paused.pending).toBeGreaterThan(0);
  const sentWhilePaused = smsc.submitted.filter((s) => s.dest.startsWith('861390004')).length;
  expect(sentWhilePaused).toBe(paused.sent);
  expect((await api(h.url, `/api/campaigns/${c.id}/resume`, { token: mkt, method: 'POST' })).body.campaign.state).toBe('running');
  const done = await waitState(h.url, mkt, c.id, 'completed');
  expect(done.progress.sent).toBe(N);
  for (let i = 0; i < N; i++) expect(received(phone(4, i)).length).toBe(1);
  const actions = (await h.hub.m.Audit.find({ 'target.id': c.id }).lean()).map((a) => a.action);
  expect(actions).toEqual(expect.arrayContaining(['campaign.submit', 'campaign.approve', 'campaign.pause', 'campaign.resume', 'campaign.completed']));
});

test('a hub that died after the SMSC accepted a message but before marking it sent: its claim is taken over and nothing is sent again', async () => {
  const id = await makeCustomer(h.hub, { phone: phone(5, 0), segment: 'seg-5' });
  const c = await startCampaign(h.url, mkt, { name: 'takeover', channel: 'sms', audience: { segments: ['seg-5'] }, content });
  await waitState(h.url, mkt, c.id, 'completed');
  expect(received(phone(5, 0)).length).toBe(1);
  // The state that hub left: the recipient claimed (its lease run out), not marked sent, the campaign running.
  const R = h.hub.campaigns.models.Recipient;
  const key = `${c.id}:${String(id)}:sms`;
  await R.updateOne({ _id: key }, { $set: { state: 'sending', lease: { owner: 'dead-hub', until: new Date(Date.now() - 1000) } }, $unset: { sentId: 1, sentAt: 1 } });
  await h.hub.campaigns.models.Campaign.updateOne({ _id: c.id }, { $set: { state: 'running' } });
  await h.hub.campaigns.runner.kick((await h.hub.campaigns.models.Campaign.findById(c.id).lean()) as any);
  await waitState(h.url, mkt, c.id, 'completed');
  const after = await R.findById(key).lean();
  expect(after!.attempts).toBe(2);
  expect(['sent', 'delivered']).toContain(after!.state);
  // The message id is the same on both attempts: the connector knew the SMSC had it.
  expect(after!.sentId).toBe(received(phone(5, 0))[0]!.id);
  expect(received(phone(5, 0)).length).toBe(1);
});

test('a reply to a campaign SMS opens a conversation tagged with the campaign, routed to its queue and assigned there; TD counts as opted out and the next campaign skips it', async () => {
  await makeCustomer(h.hub, { phone: phone(6, 0), segment: 'seg-6' });
  await makeCustomer(h.hub, { phone: phone(6, 1), segment: 'seg-6' });
  const c = await startCampaign(h.url, mkt, { name: 'wealth offer', channel: 'sms', queue: 'wealth', audience: { segments: ['seg-6'] }, content });
  await waitState(h.url, mkt, c.id, 'completed');
  // agent2 works the wealth queue (agent1 does not): the reply must reach them.
  const agent2 = await loginAs(h.url, 'agent2');
  const agent2Id = (await h.hub.m.User.findOne({ username: 'agent2' }).lean())!._id;
  const sock = await sockets.connect(h.url, '/agent', agent2);
  expect(await smsc.mo(phone(6, 0).slice(1), '我想了解这个优惠')).toBe(0);
  const msg = await h.hub.m.Message.findOne({ direction: 'in', text: '我想了解这个优惠' }).lean();
  const conv = await waitFor(async () => {
    const x = await h.hub.m.Conversation.findById(msg!.conversationId).lean();
    return x?.assigneeId ? x : null;
  }, 15_000, 'reply assigned');
  expect(conv.queue).toBe('wealth');
  expect(conv.tags).toContain(`campaign:${c.id}`);
  expect(conv.assigneeId).toBe(String(agent2Id));
  expect(await smsc.mo(phone(6, 1).slice(1), 'TD')).toBe(0);
  const p = (await campaignOf(h.url, mkt, c.id)).progress;
  expect(p).toMatchObject({ replied: 2, optedOut: 1 });
  const next = await startCampaign(h.url, mkt, { name: 'again', channel: 'sms', audience: { segments: ['seg-6'] }, content });
  expect((await waitState(h.url, mkt, next.id, 'completed')).progress).toMatchObject({ sent: 1, skipped: { opted_out: 1 } });
  sock.close();
});

test('a CSV list as the audience: numbers normalised, duplicates folded, bad rows listed with reasons; the campaign sends to the list once each', async () => {
  const c = await api(h.url, '/api/campaigns', { token: mkt, body: { name: 'csv list', channel: 'sms', content } });
  const csv = ['phone,name,language', '13977770001,王五,zh', '"+86 139 7777 0001",dup,zh', '8613977770002,"Lee, Ann",en', '12ab,bad,zh', ',nobody,zh', '"13977770003,unclosed,zh', ''].join('\r\n');
  const r = await fetch(`${h.url}/api/campaigns/${c.body.campaign.id}/audience.csv`, { method: 'PUT', headers: { authorization: `Bearer ${mkt}`, 'content-type': 'text/csv' }, body: csv });
  const body = await r.json();
  expect(r.status).toBe(200);
  expect(body).toMatchObject({ accepted: 2, duplicates: 1, badCount: 3 });
  expect(body.bad.map((b: any) => b.line)).toEqual([5, 6, 7]);
  expect(body.bad[0].reason).toContain('not a valid phone number');
  expect((await api(h.url, '/api/campaigns/audience/count', { token: mkt, body: { channel: 'sms', audience: body.campaign.audience } })).body.count).toBe(2);
  const noHeader = await fetch(`${h.url}/api/campaigns/${c.body.campaign.id}/audience.csv`, { method: 'PUT', headers: { authorization: `Bearer ${mkt}`, 'content-type': 'text/csv' }, body: 'name\nx' });
  expect(noHeader.status).toBe(400);
  expect((await noHeader.json()).error.code).toBe('invalid_csv');
  expect((await api(h.url, `/api/campaigns/${c.body.campaign.id}/start`, { token: mkt, method: 'POST' })).status).toBe(200);
  const done = await waitState(h.url, mkt, c.body.campaign.id, 'completed');
  expect(done.progress.sent).toBe(2);
  expect(received('+8613977770001').length).toBe(1);
  expect(submittedText(received('+8613977770002')[0]!)).toBe('Hi Lee, Ann, card ending  has an offer Reply STOP to opt out');
});

test('bad input is a clear 400 and stores nothing; agents may not manage campaigns', async () => {
  const before = await h.hub.campaigns.models.Campaign.countDocuments({});
  for (const body of [{ name: '', channel: 'sms', content }, { name: 'x', channel: 'fax', content }, { name: 'x', channel: 'sms', content: {} }, { name: 'x', channel: 'sms', content, audience: { tiers: 'gold' } }, { name: 'x', channel: 'sms', content, $where: '1' }]) {
    const r = await api(h.url, '/api/campaigns', { token: mkt, body });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_body');
  }
  expect((await api(h.url, '/api/campaigns', { token: await loginAs(h.url, 'agent1') })).status).toBe(403);
  expect((await api(h.url, '/api/campaigns/nope', { token: mkt })).status).toBe(404);
  expect(await h.hub.campaigns.models.Campaign.countDocuments({})).toBe(before);
});
