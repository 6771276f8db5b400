/**
 * Issue 16, customer data, as the attacker (or the curious colleague) would try it: card and ID numbers
 * written every way a customer writes them must never come back in full from the API, the sockets or
 * the store; an agent cannot open, mark read or list the history of a colleague's conversation; and an
 * anonymous form cannot file itself under a bank customer by typing their e-mail.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent } from '../helpers/wait.js';

let h: TestHub;
const tok: Record<string, string> = {};
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'sec-data' });
  for (const u of ['agent1', 'agent2', 'super1']) tok[u] = await loginAs(h.url, u);
  // Routing must not hand the test conversations out on its own: not-ready agents get no offers.
  for (const u of ['agent1', 'agent2']) expect((await api(h.url, '/api/acd/me/state', { token: tok[u], body: { state: 'notready', reason: 'training' } })).status).toBe(200);
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const CARD_FORMS = ['4111111111111111', '4111 1111 1111 1111', '4111.1111.1111.1111', '4111/1111/1111/1111', '4111-1111-1111-1111', '４１１１ １１１１ １１１１ １１１１', 'card4111111111111111please'];
const IDS = ['11010519491231002X', '110105 19491231 002x', '１１０１０５１９４９１２３１００２Ｘ'];
/** The digits of a text, full-width folded to ASCII. */
const digits = (s: string) => s.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\D/g, '');

test('card and ID numbers in any separators, digit forms or glued to letters never leave the hub in full; a phone number stays', async () => {
  const sup = await sockets.connect(h.url, '/agent', tok.super1);
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Card Holder 4111 1111 1111 1111' } });
  const v = await sockets.connect(h.url, '/webchat', sess.body.token);
  const texts = [...CARD_FORMS, ...IDS].map((n, i) => `#${i} my number is ${n} thanks, call me on +86 138 0013 8000`);
  let conversationId = '';
  for (const [i, text] of texts.entries()) {
    const seen = nextEvent(sup, 'message.created', (p: any) => p.message.clientId === `mask-${i}-aaaa`);
    const ack = await v.timeout(5000).emitWithAck('message.send', { clientId: `mask-${i}-aaaa`, text });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    conversationId = ack.message.conversationId;
    const live = (await seen) as { message: { text: string }; conversation: { lastMessagePreview: string; customer: { name: string } } };
    for (const shown of [ack.message.text, live.message.text, live.conversation.lastMessagePreview]) {
      expect(digits(shown), shown).not.toContain('411111111111');
      expect(digits(shown), shown).not.toContain('1101051949123');
      expect(shown).toContain('+86 138 0013 8000');
    }
  }
  // Stored masked: the original is kept nowhere (docs/SECURITY.md).
  const stored = await h.hub.m.Message.find({ conversationId }).lean();
  expect(stored).toHaveLength(texts.length);
  for (const m of stored) {
    expect(digits(m.text ?? '')).not.toMatch(/411111111111|1101051949123/);
    expect(m.text).toMatch(/1111|002[Xx]|００２Ｘ|１１１１/);
  }
  const full = await api(h.url, `/api/conversations/${conversationId}`, { token: tok.super1 });
  expect(full.status).toBe(200);
  expect(JSON.stringify(full.body)).not.toMatch(/4111 ?1111 ?1111|1101051949123/);
  expect(full.body.customer.name).toBe('Card Holder **** **** **** 1111');
  const history = await v.timeout(5000).emitWithAck('history', {});
  expect(JSON.stringify(history)).not.toMatch(/411111111111|4111[ ./-]1111[ ./-]1111|1101051949123/);
});

test('an agent reply is stored masked too', async () => {
  const c = await sms('general');
  const r = await api(h.url, `/api/conversations/${c}/messages`, { token: tok.agent1, body: { text: 'your card 4111-1111-1111-1111 is blocked', clientId: 'reply-mask-1' } });
  expect(r.status).toBe(201);
  expect(r.body.message.text).toBe('your card ****-****-****-1111 is blocked');
});

/** A fresh SMS conversation in `queue`. */
async function sms(queue: string, address = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`): Promise<string> {
  const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: `sec-${randomBytes(6).toString('hex')}`, customer: { identity: { channel: 'sms', address } }, from: address, text: 'hello', queue });
  return String(r.conversation._id);
}

test("an agent cannot open, read the messages of, or mark read a colleague's conversation in a shared queue", async () => {
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  const c = await sms('general', addr);
  // agent1 and agent2 share 'general'; agent1 takes it.
  expect((await api(h.url, `/api/conversations/${c}/claim`, { token: tok.agent1, body: {} })).status).toBe(200);
  const unreadBefore = (await h.hub.m.Message.find({ conversationId: c, direction: 'in' }).lean()).map((m) => m.status);
  for (const [method, path] of [['GET', ''], ['GET', '/messages'], ['POST', '/read']] as const) {
    const r = await api(h.url, `/api/conversations/${c}${path}`, { method, token: tok.agent2, ...(method === 'POST' ? { body: {} } : {}) });
    expect(r.status, `${method} ${path}`).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  }
  // Claiming it says only that it is taken (agent2 saw it waiting in the queue), nothing of its content.
  const claim = await api(h.url, `/api/conversations/${c}/claim`, { token: tok.agent2, body: {} });
  expect(claim.status).toBe(409);
  expect(claim.body).toEqual({ error: { code: 'already_assigned', message: 'conversation is assigned to another agent' } });
  expect((await h.hub.m.Message.find({ conversationId: c, direction: 'in' }).lean()).map((m) => m.status)).toEqual(unreadBefore);
  // Its owner and a supervisor still can.
  expect((await api(h.url, `/api/conversations/${c}`, { token: tok.agent1 })).status).toBe(200);
  expect((await api(h.url, `/api/conversations/${c}`, { token: tok.super1 })).status).toBe(200);
  // While waiting unassigned in the queue, both agents of the queue may open it.
  const waiting = await sms('general');
  expect((await api(h.url, `/api/conversations/${waiting}`, { token: tok.agent2 })).status).toBe(200);
});

test("a colleague's customer messages do not reach an agent's console live", async () => {
  const a2 = await sockets.connect(h.url, '/agent', tok.agent2);
  const a1 = await sockets.connect(h.url, '/agent', tok.agent1);
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  const c = await sms('general', addr);
  expect((await api(h.url, `/api/conversations/${c}/claim`, { token: tok.agent1, body: {} })).status).toBe(200);
  const leaked: string[] = [];
  a2.on('message.created', (p: any) => p.conversation.id === c && leaked.push(p.message.text));
  const own = nextEvent(a1, 'message.created', (p: any) => p.conversation.id === c && p.message.text === 'second, private');
  await h.hub.ingest.ingest({ channel: 'sms', externalId: `sec-live-${randomBytes(4).toString('hex')}`, customer: { identity: { channel: 'sms', address: addr } }, from: addr, text: 'second, private', queue: 'general' });
  await own;
  // A later message of an unassigned conversation reaches agent2: one socket's events arrive in order, so
  // the private one, had it been sent to agent2, would have come before it.
  const marker = nextEvent(a2, 'message.created', (p: any) => p.message.text === 'unassigned marker');
  const other = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  await h.hub.ingest.ingest({ channel: 'sms', externalId: `sec-mk-${randomBytes(4).toString('hex')}`, customer: { identity: { channel: 'sms', address: other } }, from: other, text: 'unassigned marker', queue: 'general' });
  await marker;
  expect(leaked).toEqual([]);
});

test("a conversation's history lists none of the customer's conversations the agent could not open", async () => {
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  // An earlier conversation of this customer in 'cards' (agent2 is not in it), taken and resolved by super1.
  const old = await sms('cards', addr);
  expect((await api(h.url, `/api/conversations/${old}/claim`, { token: tok.super1, body: {} })).status).toBe(200);
  expect((await api(h.url, `/api/conversations/${old}/resolve`, { token: tok.super1, body: { wrapUpCode: 'resolved', note: 'private note' } })).status).toBe(200);
  const now = await sms('general', addr);
  const listed = async (who: string) => {
    const r = await api(h.url, `/api/conversations/${now}`, { token: tok[who] });
    expect(r.status, who).toBe(200);
    return r.body.history.map((x: { id: string }) => x.id) as string[];
  };
  expect(await listed('agent2')).not.toContain(old); // not their queue
  expect(await listed('agent1')).not.toContain(old); // their queue, but a colleague's conversation
  expect(await listed('super1')).toContain(old);
});

test("the anonymous offline form never files a message under the customer who owns the e-mail typed in", async () => {
  // A VIP customer known by e-mail (seeded: Zhang Wei, zhang.wei@example.com).
  const vip = await h.hub.m.Identity.findById('email:zhang.wei@example.com').lean();
  expect(vip).toBeTruthy();
  const before = await h.hub.m.Conversation.countDocuments({ customerId: vip!.customerId });
  const r = await api(h.url, '/api/webchat/offline', { body: { name: 'Not Zhang', email: 'zhang.wei@example.com', text: 'please raise my limit' } });
  expect(r.status).toBe(200);
  const conv = await h.hub.m.Conversation.findById(r.body.conversationId).lean();
  expect(String(conv!.customerId)).not.toBe(String(vip!.customerId));
  expect(conv!.customerTier ?? 'standard').toBe('standard');
  expect(await h.hub.m.Conversation.countDocuments({ customerId: vip!.customerId })).toBe(before);
  const cust = await h.hub.m.Customer.findById(conv!.customerId).lean();
  expect((cust as { consents?: { unverifiedContact?: { email?: string } } }).consents?.unverifiedContact?.email).toBe('zhang.wei@example.com');
});
