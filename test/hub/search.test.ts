/**
 * Conversation search (hub/search/) against a real hub: by customer name (Chinese and Latin), by phone
 * number as people write it, by words of any message (customer's or agent's, not internal notes); an
 * agent finds only what they may open; a card number typed in full is masked before the lookup.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { tokens } from '../../hub/search/tokens.js';

let h: TestHub;
let agent1 = '';
let agent2 = '';
let sup = '';
const ids: Record<string, string> = {};

const ingest = (key: string, o: { channel?: 'sms' | 'webchat'; address: string; name?: string; text: string; queue?: string }) =>
  h.hub.ingest.ingest({ channel: o.channel ?? 'webchat', externalId: `s-${key}-${Math.random()}`, customer: { identity: { channel: o.channel ?? 'webchat', address: o.address }, name: o.name }, text: o.text, queue: o.queue ?? 'general', channelData: o.channel === 'sms' ? { msisdn: o.address } : {} });
const find = async (token: string, q: string) => {
  const r = await api(h.url, `/api/search?q=${encodeURIComponent(q)}`, { token });
  expect(r.status).toBe(200);
  return (r.body.items as { id: string }[]).map((c) => c.id).sort();
};

beforeAll(async () => {
  h = await startTestHub({ name: 'search' });
  [agent1, agent2, sup] = await Promise.all([loginAs(h.url, 'agent1'), loginAs(h.url, 'agent2'), loginAs(h.url, 'super1')]);
  ids.wang = String((await ingest('wang', { channel: 'sms', address: '+8613912345678', name: '王芳', text: '我的信用卡被锁了，请帮忙解锁' })).conversation._id);
  ids.li = String((await ingest('li', { address: 'v-li', name: 'Li Lei', text: 'Where is my new debit card?' })).conversation._id);
  ids.vip = String((await ingest('vip', { address: 'v-vip', name: 'Zhang Wei', text: 'private banking question', queue: 'vip' })).conversation._id);
});
afterAll(async () => h?.close());

test('tokens: words, Chinese pairs, phone numbers as written; masked card numbers never whole', () => {
  expect(tokens('Hello, World')).toEqual(expect.arrayContaining(['hello', 'world']));
  expect(tokens('信用卡被锁')).toEqual(expect.arrayContaining(['信用', '用卡', '卡被', '被锁']));
  expect(tokens('call 138 0013 8000')).toEqual(expect.arrayContaining(['13800138000', '8000']));
  expect(tokens('card ************1234').join(' ')).not.toMatch(/\d{5,}/);
});

test('by name, by phone written any way, by message text; all words must match', async () => {
  expect(await find(sup, '王芳')).toEqual([ids.wang]);
  expect(await find(sup, '139 1234 5678')).toEqual([ids.wang]);
  expect(await find(sup, '13912345678')).toEqual([ids.wang]);
  expect(await find(sup, '信用卡')).toEqual([ids.wang]);
  expect(await find(sup, 'li lei')).toEqual([ids.li]);
  expect(await find(sup, 'debit card')).toEqual([ids.li]);
  expect(await find(sup, 'debit banking')).toEqual([]);
  expect(await find(sup, 'nothing-like-this')).toEqual([]);
});

test('an agent reply is searchable; an internal note is not; agents find only what they may open', async () => {
  const r = await api(h.url, `/api/conversations/${ids.li}/messages`, { token: agent1, body: { text: 'Your replacement arrives Friday', clientId: 'search-reply-01' } });
  expect(r.status).toBe(201);
  expect((await api(h.url, `/api/conversations/${ids.li}/notes`, { token: agent1, body: { text: 'suspicious caller', clientId: 'search-note-001' } })).status).toBe(201);
  await expect.poll(() => find(sup, 'replacement friday')).toEqual([ids.li]);
  expect(await find(sup, 'suspicious')).toEqual([]);
  // ids.li is agent1's now: agent2 (same queue) no longer sees it; the VIP queue is neither's.
  expect(await find(agent1, 'friday')).toEqual([ids.li]);
  expect(await find(agent2, 'friday')).toEqual([]);
  expect(await find(agent1, 'private banking')).toEqual([]);
  expect(await find(sup, 'private banking')).toEqual([ids.vip]);
});

test('bad queries are refused; a full card number in the query is masked before the lookup', async () => {
  expect((await api(h.url, '/api/search?q=', { token: sup })).status).toBe(400);
  expect((await api(h.url, `/api/search?q=${'x'.repeat(201)}`, { token: sup })).status).toBe(400);
  expect((await api(h.url, '/api/search?q=a&extra=1', { token: sup })).status).toBe(400);
  expect((await api(h.url, '/api/search?q=card')).status).toBe(401);
  const card = '6222 0212 3456 7894'; // Luhn-valid
  const keys = await h.hub.redis.keys(`${h.redisPrefix}:search:t:*`);
  expect(keys.join(' ')).not.toContain('6222021234567894');
  expect((await api(h.url, `/api/search?q=${encodeURIComponent(card)}`, { token: sup })).status).toBe(200);
});
