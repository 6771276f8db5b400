/**
 * Two promises over plain HTTP: the widget's leave-a-message form becomes an email conversation in the
 * web chat queue, once per form id however often it is sent (refused with a 4xx when invalid, storing
 * nothing); and /metrics serves Prometheus text whose counters move with what the hub did.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { newVisitor } from '../helpers/visitor.js';

let h: TestHub;
const sockets = new Sockets();
beforeAll(async () => {
  h = await startTestHub({ name: 'offline_metrics' });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

test('the offline form stores one email conversation per form id, with the text an agent can read; invalid forms store nothing', async () => {
  const formId = `form-${randomBytes(6).toString('hex')}`;
  const email = `late.${randomBytes(3).toString('hex')}@example.com`;
  const form = { name: 'Late Customer', email, text: 'Please call me about my card tomorrow', formId };
  const [first, ...again] = await Promise.all(Array.from({ length: 3 }, () => api(h.url, '/api/webchat/offline', { body: form })));
  expect(first.status).toBe(200);
  for (const r of again) expect(r.body.conversationId).toBe(first.body.conversationId);
  const msgs = await h.hub.m.Message.find({ externalId: `webchat-offline:${formId}` }).lean();
  expect(msgs).toHaveLength(1);
  expect(msgs[0]).toMatchObject({ channel: 'email', direction: 'in', text: form.text });
  const conv = await api(h.url, `/api/conversations/${first.body.conversationId}`, { token: await loginAs(h.url, 'super1') });
  expect(conv.status).toBe(200);
  expect(conv.body.conversation).toMatchObject({ channel: 'email', queue: 'general' });
  expect(conv.body.messages.map((m: { text: string }) => m.text)).toEqual([form.text]);

  const count = await h.hub.m.Message.countDocuments();
  for (const bad of [{ ...form, email: 'not-an-email' }, { ...form, text: '   ' }, { ...form, name: '' }, { ...form, formId: 'x' }]) {
    const r = await api(h.url, '/api/webchat/offline', { body: bad });
    expect(r.status, JSON.stringify(bad)).toBe(400);
    expect(typeof r.body.error.code).toBe('string');
  }
  expect(await h.hub.m.Message.countDocuments()).toBe(count);
});

/** One sample's value from Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('/metrics is Prometheus text and its counters move with the traffic', async () => {
  const before = await fetch(`${h.url}/metrics`);
  expect(before.status).toBe(200);
  expect(before.headers.get('content-type')).toMatch(/^text\/plain/);
  const t0 = await before.text();
  expect(t0).toMatch(/^# HELP cchub_messages_ingested_total /m);
  expect(t0).toMatch(/^# TYPE cchub_routing_decision_seconds histogram$/m);
  const ingested0 = sample(t0, 'cchub_messages_ingested_total', 'channel="webchat"');
  const http0 = sample(t0, 'cchub_http_requests_total', 'status="404"');

  const v = await newVisitor(h.url, sockets, 'Metrics Visitor');
  for (let i = 0; i < 3; i++) await v.send(`m${i}`);
  expect((await api(h.url, '/api/no-such-route')).status).toBe(404);

  const t1 = await (await fetch(`${h.url}/metrics`)).text();
  expect(sample(t1, 'cchub_messages_ingested_total', 'channel="webchat"') - ingested0).toBe(3);
  expect(sample(t1, 'cchub_http_requests_total', 'status="404"') - http0).toBeGreaterThanOrEqual(1);
});
