/**
 * Consent, suppression and opt-out (issue 22, issue 19 "Opt-out") against a real hub, store, Redis and
 * the SMSC simulator: an SMS opt-out keyword turns SMS marketing consent off, is confirmed once (a
 * redelivery and a second keyword send nothing more), is audited, and the conversation goes on; the
 * e-mail one-click unsubscribe (RFC 8058) turns e-mail consent off; supervisors manage consent and the
 * suppression list (addresses normalised like identities); marketing and agents are refused.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Smsc } from '../helpers/smsc.js';
import { submittedText } from '../helpers/sms-text.js';
import { waitFor } from '../helpers/wait.js';

let smsc: Smsc;
let h: TestHub;
let sup: string;

const account = (port: number) => ({ name: 'cmcc', host: '127.0.0.1', port, systemId: 'esme', password: 'secret', systemType: '', mode: 'transceiver', binds: 1, window: 10, tps: 1000, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general' });

beforeAll(async () => {
  smsc = new Smsc();
  await smsc.listen();
  h = await startTestHub({ name: 'campaign-consent', overrides: { sms: { enabled: true, accounts: [account(smsc.port)] } } });
  await waitFor(() => smsc.sessions.size === 1, 10_000, 'bound');
  sup = await loginAs(h.url, 'super1');
});
afterAll(async () => {
  await h?.close();
  await smsc?.close();
});

const customerOf = async (e164: string) => (await h.hub.m.Identity.findById(`phone:${e164}`).lean())!.customerId;
const toNumber = (dest: string) => smsc.submitted.filter((s) => s.dest === dest);

test('TD turns SMS marketing consent off, is confirmed once, audited; a redelivery and 退订 add nothing; the message is still a conversation', async () => {
  expect(await smsc.mo('8613811112222', 'TD')).toBe(0);
  const id = await customerOf('+8613811112222');
  // The consent change happened before the deliver_sm_resp (no waiting needed).
  const c = await h.hub.m.Customer.findById(id).lean();
  expect((c!.consents as any).sms).toMatchObject({ marketing: false, source: 'keyword:TD' });
  await waitFor(() => toNumber('8613811112222').length === 1, 10_000, 'confirmation sent');
  expect(submittedText(toNumber('8613811112222')[0]!)).toContain('退订');
  // The same MO again (an SMSC redelivery: same text within the dedup window) and another keyword.
  expect(await smsc.mo('8613811112222', 'TD')).toBe(0);
  expect(await smsc.mo('8613811112222', '退订')).toBe(0);
  // The confirmation job for any new opt-out would have been queued before the resp: give the worker a moment's evidence.
  const confirmations = await h.hub.m.Message.find({ customerId: id, direction: 'out' }).lean();
  expect(confirmations.length).toBe(1);
  expect(toNumber('8613811112222').length).toBe(1);
  const audits = await h.hub.m.Audit.find({ action: 'consent.opt_out', 'target.id': String(id) }).lean();
  expect(audits.length).toBe(1);
  // Service goes on: the keyword messages are stored in a live conversation.
  const inbound = await h.hub.m.Message.find({ customerId: id, direction: 'in' }).lean();
  expect(inbound.map((m) => m.text).sort()).toEqual(['TD', '退订']);
  const r = await api(h.url, `/api/customers/${id}/consents`, { token: sup });
  expect(r.status).toBe(200);
  expect(r.body.consents.sms).toMatchObject({ marketing: false, source: 'keyword:TD' });
  expect(r.body.consents.email).toMatchObject({ marketing: true, source: 'default' });
});

test('an ordinary message containing the word is not an opt-out', async () => {
  expect(await smsc.mo('8613833334444', 'How do I STOP my card payments?')).toBe(0);
  const c = await h.hub.m.Customer.findById(await customerOf('+8613833334444')).lean();
  expect((c!.consents as any)?.sms).toBeUndefined();
});

test('a supervisor sets consent back on (audited); bad input is a 400 and changes nothing; marketing and agents are refused', async () => {
  const id = String(await customerOf('+8613811112222'));
  const bad = await api(h.url, `/api/customers/${id}/consents/sms`, { method: 'PUT', token: sup, body: { marketing: 'yes' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('invalid_body');
  expect((await api(h.url, `/api/customers/${id}/consents/fax`, { method: 'PUT', token: sup, body: { marketing: true, source: 'form' } })).status).toBe(400);
  for (const who of ['market1', 'agent1']) {
    const t = await loginAs(h.url, who);
    expect((await api(h.url, `/api/customers/${id}/consents/sms`, { method: 'PUT', token: t, body: { marketing: true, source: 'x' } })).status).toBe(403);
    expect((await api(h.url, '/api/suppressions', { token: t, body: { channel: 'sms', address: '13800000000' } })).status).toBe(403);
  }
  const ok = await api(h.url, `/api/customers/${id}/consents/sms`, { method: 'PUT', token: sup, body: { marketing: true, source: 'signed form 2026-12-03' } });
  expect(ok.body).toEqual({ changed: true });
  expect((await api(h.url, `/api/customers/${id}/consents/sms`, { method: 'PUT', token: sup, body: { marketing: true, source: 'again' } })).body).toEqual({ changed: false });
  expect(await h.hub.m.Audit.countDocuments({ action: 'consent.opt_in', 'target.id': id })).toBe(1);
});

test('suppression list: any spelling of a number is one entry; bad addresses are refused', async () => {
  const add = await api(h.url, '/api/suppressions', { token: sup, body: { channel: 'sms', address: '138-0013-8000', reason: 'complaint' } });
  expect(add.status).toBe(201);
  expect(add.body.key).toBe('phone:+8613800138000');
  const again = await api(h.url, '/api/suppressions', { token: sup, body: { channel: 'sms', address: '+86 138 0013 8000' } });
  expect(again.status).toBe(200);
  expect(again.body.added).toBe(false);
  const q = await api(h.url, `/api/suppressions?channel=sms&address=${encodeURIComponent('8613800138000')}`, { token: sup });
  expect(q.body.suppressed).toBe(true);
  expect(await h.hub.campaigns.consent.isSuppressed('sms', '13800138000')).toBe(true);
  const bad = await api(h.url, '/api/suppressions', { token: sup, body: { channel: 'email', address: 'not-an-address' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('invalid_address');
  expect(await h.hub.campaigns.models.Suppression.countDocuments({})).toBe(1);
  const del = await api(h.url, `/api/suppressions/${encodeURIComponent('phone:+8613800138000')}`, { method: 'DELETE', token: sup });
  expect(del.status).toBe(200);
  expect(await h.hub.m.Audit.countDocuments({ action: { $in: ['suppression.add', 'suppression.remove'] } })).toBe(2);
});

test('e-mail: the one-click POST of RFC 8058 turns e-mail consent off; a forged or edited token is refused and changes nothing', async () => {
  const id = String(await customerOf('+8613833334444'));
  const campaignId = 'a'.repeat(24);
  const token = h.hub.campaigns.unsubscribe.sign({ customerId: id, channel: 'email', campaignId });
  // A GET (a link scanner) changes nothing.
  const page = await fetch(`${h.url}/unsubscribe/${token}`);
  expect(page.status).toBe(200);
  expect((await h.hub.m.Customer.findById(id).lean() as any).consents?.email).toBeUndefined();
  const forged = token.replace('.email.', '.sms.');
  const refused = await fetch(`${h.url}/unsubscribe/${forged}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  expect(refused.status).toBe(400);
  const r = await fetch(`${h.url}/unsubscribe/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  expect(r.status).toBe(200);
  const c = (await h.hub.m.Customer.findById(id).lean()) as any;
  expect(c.consents.email).toMatchObject({ marketing: false, source: `one-click:${campaignId}` });
  expect(c.consents.sms).toBeUndefined();
});
