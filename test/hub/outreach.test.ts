/**
 * Agent-started conversations (POST /api/conversations, hub/outreach.ts) against the real store,
 * Redis, routing and outbound queue. SMS and e-mail go through a recording connector registered on
 * the hub (no SMS or mail connector exists yet: it implements the contract and keeps what it was
 * asked to send); web chat through the real web chat connector to a real widget socket.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineConnector, type ChannelConnector, type OutboundMessage, type SendResult } from '../../channels/contract.js';
import { webchat } from '../../channels/webchat/index.js';
import type { Channel } from '../../hub/models/types.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { Sockets } from '../helpers/sockets.js';

/** A connector that records each send (the far end of a channel this hub has no connector for yet). */
class RecordingConnector implements ChannelConnector {
  sent: OutboundMessage[] = [];
  constructor(readonly kind: Channel) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(out: OutboundMessage): Promise<SendResult> {
    this.sent.push(out);
    return { status: 'sent', externalId: `${this.kind}-${this.sent.length}` };
  }
  mapStatus(): undefined {
    return undefined;
  }
}

let h: TestHub;
const sockets = new Sockets();
const sms = new RecordingConnector('sms');
const email = new RecordingConnector('email');
let agent: string;
let sup: string;

beforeAll(async () => {
  const recording = (c: RecordingConnector) => defineConnector({ kind: c.kind, config: z.object({}), enabledByDefault: true, create: () => c });
  h = await startTestHub({ name: 'outreach', overrides: { outreach: { startsPerMinute: 6 }, email: { enabled: true }, sms: { enabled: true } }, connectors: [webchat, recording(sms), recording(email)] });
  agent = await loginAs(h.url, 'agent1');
  sup = await loginAs(h.url, 'super1');
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const clientId = () => `c${randomBytes(8).toString('hex')}`;
const number = () => `139${String(randomBytes(3).readUIntBE(0, 3) % 1e8).padStart(8, '0')}`;
const start = (token: string, body: Record<string, unknown>) => api(h.url, '/api/conversations', { token, body });
const agentId = async (token: string) => (await api(h.url, '/api/me', { token })).body.user.id as string;

describe('POST /api/conversations', () => {
  test('an agent texts a new number written the local way: customer and E.164 identity created, conversation assigned to them in routing, the SMS sent once, audited', async () => {
    const n = number();
    const r = await start(agent, { channel: 'sms', to: `${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`, text: '您好，您的信用卡申请已批准。', clientId: clientId() });
    expect(r.status).toBe(201);
    const me = await agentId(agent);
    expect(r.body.conversation).toMatchObject({ channel: 'sms', status: 'assigned', assignee: { id: me } });
    expect(r.body.message).toMatchObject({ direction: 'out', channel: 'sms', text: '您好，您的信用卡申请已批准。' });
    const ident = await h.hub.m.Identity.findById(`phone:+86${n}`).lean();
    expect(String(ident?.customerId)).toBe(r.body.conversation.customer.id);
    // Routing holds it as this agent's (their capacity counts it), and the connector sent it once, to the E.164 address.
    expect((await h.hub.acd.snapshotTask(r.body.conversation.id))?.agentId).toBe(me);
    await waitFor(async () => (await h.hub.m.Message.findById(r.body.message.id).lean())?.status === 'sent', 10_000, 'sent');
    const mine = sms.sent.filter((s) => s.message.id === r.body.message.id);
    expect(mine).toHaveLength(1);
    expect((await h.hub.m.Message.findById(r.body.message.id).lean())?.to).toBe(`+86${n}`);
    expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.start', 'target.id': r.body.conversation.id })).toBe(1);
  });

  test('a retried request (same client id, 4 at once and once more) stores and sends one message', async () => {
    const body = { channel: 'email', to: `${randomBytes(4).toString('hex')}@example.com`, subject: 'Your statement', text: 'Please find your statement.', clientId: clientId() };
    const all = await Promise.all(Array.from({ length: 4 }, () => start(agent, body)));
    const again = await start(agent, body);
    const ids = new Set([...all, again].map((r) => r.body.message.id));
    expect(ids.size).toBe(1);
    expect([...all, again].filter((r) => r.status === 201)).toHaveLength(1);
    const [id] = ids;
    await waitFor(async () => (await h.hub.m.Message.findById(id).lean())?.status === 'sent', 10_000, 'sent');
    expect(await h.hub.m.Message.countDocuments({ externalId: { $regex: body.clientId } })).toBe(1);
    expect(email.sent.filter((s) => s.message.id === id)).toHaveLength(1);
    expect(email.sent.find((s) => s.message.id === id)?.message.subject).toBe('Your statement');
  });

  test("a customer's live conversation on the channel is reused (their number in another form), and claimed by the agent", async () => {
    const n = number();
    const inbound = await h.hub.ingest.ingest({ channel: 'sms', externalId: `in-${n}`, customer: { identity: { channel: 'sms', address: `+86${n}` } }, from: `+86${n}`, text: 'balance?', queue: 'vip' });
    const r = await start(sup, { channel: 'sms', to: `86${n}`, text: 'Your balance is in the app.', clientId: clientId() });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.conversation.id).toBe(String(inbound.conversation._id));
    expect(r.body.conversation.assignee.id).toBe(await agentId(sup));
  });

  test('web chat: only to a known visitor, whose widget receives the message', async () => {
    expect((await start(agent, { channel: 'webchat', to: 'no-such-visitor', text: 'hi', clientId: clientId() })).status).toBe(404);
    const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Returning Visitor' } });
    const widget = await sockets.connect(h.url, '/webchat', sess.body.token);
    const got = nextEvent(widget, 'message.created', (p: { message: { id: string; text: string } }) => p.message.text === 'We have an answer for you.', 10_000);
    const r = await start(agent, { channel: 'webchat', to: sess.body.visitorId, text: 'We have an answer for you.', clientId: clientId() });
    expect(r.status).toBe(201);
    expect((await got).message.id).toBe(r.body.message.id);
  });

  test('refusals change nothing: no connector, bad address, e-mail without subject, wrong role, unknown field', async () => {
    const before = await h.hub.m.Message.countDocuments({});
    const convs = await h.hub.m.Conversation.countDocuments({});
    const market = await loginAs(h.url, 'market1');
    const cases: [string, Record<string, unknown>, number, string][] = [
      [agent, { channel: 'voice', to: number(), text: 'x', clientId: clientId() }, 422, 'channel_unavailable'],
      [agent, { channel: 'sms', to: '12345', text: 'x', clientId: clientId() }, 400, 'invalid_address'],
      [agent, { channel: 'email', to: 'nobody-at-example.com', subject: 's', text: 'x', clientId: clientId() }, 400, 'invalid_address'],
      [agent, { channel: 'email', to: 'a@example.com', text: 'x', clientId: clientId() }, 400, 'invalid_body'],
      [agent, { channel: 'sms', to: number(), text: 'x', clientId: clientId(), queue: 'vip' }, 400, 'invalid_body'],
      [agent, { channel: 'sms', to: number(), text: '   ', clientId: clientId() }, 400, 'invalid_body'],
      [market, { channel: 'sms', to: number(), text: 'x', clientId: clientId() }, 403, 'forbidden'],
    ];
    for (const [token, body, status, code] of cases) {
      const r = await start(token, body);
      expect([r.status, r.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await h.hub.m.Message.countDocuments({})).toBe(before);
    expect(await h.hub.m.Conversation.countDocuments({})).toBe(convs);
  });

  test('rate-limited per user: the 7th start in a minute is refused (429), retries of a stored one are not', async () => {
    const admin = await loginAs(h.url, 'admin');
    const results: number[] = [];
    const first = { channel: 'sms', to: number(), text: 'x', clientId: clientId() };
    for (let i = 0; i < 6; i++) {
      const r = await start(admin, i === 0 ? first : { ...first, to: number(), clientId: clientId() });
      results.push(r.status);
    }
    expect(results).toEqual([201, 201, 201, 201, 201, 201]);
    expect((await start(admin, { ...first, to: number(), clientId: clientId() })).body.error.code).toBe('rate_limited');
    expect((await start(admin, first)).status).toBe(200);
    // Another agent is not limited by it.
    expect((await start(await loginAs(h.url, 'agent2'), { ...first, to: number(), clientId: clientId() })).status).toBe(201);
  });
});
