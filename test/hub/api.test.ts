/**
 * The agent API and the socket namespaces at the edge: roles checked server-side, bad input refused with
 * a clear error and nothing changed, logins and agent actions audited, concurrent claims with one winner.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
const tok: Record<string, string> = {};
const sockets: Socket[] = [];

beforeAll(async () => {
  h = await startTestHub({ name: 'api' });
  for (const u of ['agent1', 'agent2', 'super1', 'market1', 'admin']) tok[u] = await loginAs(h.url, u);
  // Keep routing (ACD) from assigning the test conversations on its own: agents who are not ready are
  // never offered contacts, but may still claim them.
  for (const u of ['agent1', 'agent2']) {
    const r = await api(h.url, '/api/acd/me/state', { token: tok[u], body: { state: 'notready', reason: 'training' } });
    if (r.status !== 200) throw new Error(`acd state ${u}: ${r.status} ${JSON.stringify(r.body)}`);
  }
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await h?.close();
});

/** A fresh inbound conversation in `queue`, straight through ingest. */
async function newConversation(queue = 'general'): Promise<string> {
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: `api-${randomBytes(6).toString('hex')}`, customer: { identity: { channel: 'sms', address: addr } }, from: addr, text: 'help please', queue });
  return String(r.conversation._id);
}

async function userId(username: string): Promise<string> {
  return String((await h.hub.m.User.findOne({ username }).lean())!._id);
}

/** Connect to a namespace; resolves 'connected' or the connect_error message. */
function tryConnect(ns: string, token: string): Promise<{ connected: true; socket: Socket } | { connected: false; error: string; code?: string }> {
  const s = io(`${h.url}${ns}`, { auth: { token }, transports: ['websocket'], reconnection: false });
  sockets.push(s);
  return new Promise((resolve) => {
    s.once('connect', () => resolve({ connected: true, socket: s }));
    s.once('connect_error', (e: Error & { data?: { code?: string } }) => resolve({ connected: false, error: e.message, code: e.data?.code }));
  });
}

async function visitor(name = 'Api Visitor') {
  const sess = await api(h.url, '/api/webchat/session', { body: { name } });
  expect(sess.status).toBe(200);
  const r = await tryConnect('/webchat', sess.body.token);
  if (!r.connected) throw new Error(r.error);
  return { socket: r.socket, token: sess.body.token as string, visitorId: sess.body.visitorId as string };
}

function expectError(r: { status: number; body: any }, status: number, code?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(typeof r.body?.error?.code).toBe('string');
  expect(typeof r.body?.error?.message).toBe('string');
  if (code) expect(r.body.error.code).toBe(code);
}

describe('roles are checked server-side', () => {
  test('marketing: 403 on the inbox API and no /agent socket', async () => {
    const c = await newConversation();
    expectError(await api(h.url, '/api/conversations', { token: tok.market1 }), 403, 'forbidden');
    expectError(await api(h.url, `/api/conversations/${c}`, { token: tok.market1 }), 403, 'forbidden');
    expectError(await api(h.url, `/api/conversations/${c}/claim`, { token: tok.market1, body: {} }), 403, 'forbidden');
    expect((await h.hub.m.Conversation.findById(c).lean())!.assigneeId ?? null).toBeNull();
    // /api/me works for every role.
    expect((await api(h.url, '/api/me', { token: tok.market1 })).body.user.role).toBe('marketing');
    const r = await tryConnect('/agent', tok.market1);
    expect(r).toMatchObject({ connected: false, code: 'forbidden' });
  });

  test("an agent cannot open a conversation outside their queues (404, not a hint that it exists)", async () => {
    const cards = await newConversation('cards');
    expectError(await api(h.url, `/api/conversations/${cards}`, { token: tok.agent2 }), 404, 'not_found');
    expectError(await api(h.url, `/api/conversations/${cards}/messages`, { token: tok.agent2 }), 404, 'not_found');
    expectError(await api(h.url, `/api/conversations/${cards}/claim`, { token: tok.agent2, body: {} }), 404, 'not_found');
    expectError(await api(h.url, `/api/conversations/${cards}/messages`, { token: tok.agent2, body: { text: 'hi', clientId: 'agent2-reply-1' } }), 404, 'not_found');
    expect(await h.hub.m.Message.countDocuments({ conversationId: cards, direction: 'out' })).toBe(0);
    // agent1 serves cards.
    expect((await api(h.url, `/api/conversations/${cards}`, { token: tok.agent1 })).status).toBe(200);
    // agent2's queue list never shows it.
    const list = await api(h.url, '/api/conversations?scope=queue&limit=100', { token: tok.agent2 });
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(cards);
  });

  test('scope=all: agent 403, supervisor and admin see every queue', async () => {
    const cards = await newConversation('cards');
    expectError(await api(h.url, '/api/conversations?scope=all', { token: tok.agent1 }), 403, 'forbidden');
    for (const u of ['super1', 'admin']) {
      const r = await api(h.url, '/api/conversations?scope=all&limit=100', { token: tok[u] });
      expect(r.status).toBe(200);
      expect(r.body.items.map((i: { id: string }) => i.id)).toContain(cards);
    }
  });

  test("an agent cannot resolve another agent's conversation (404: it is not theirs to see); a supervisor can", async () => {
    const c = await newConversation('general');
    expect((await api(h.url, `/api/conversations/${c}/claim`, { token: tok.agent1, body: {} })).status).toBe(200);
    expectError(await api(h.url, `/api/conversations/${c}/resolve`, { token: tok.agent2, body: { wrapUpCode: 'resolved' } }), 404, 'not_found');
    expect((await h.hub.m.Conversation.findById(c).lean())!.status).toBe('assigned');
    // Nor reply into it.
    expectError(await api(h.url, `/api/conversations/${c}/messages`, { token: tok.agent2, body: { text: 'mine now', clientId: 'agent2-steal-1' } }), 404, 'not_found');
    const r = await api(h.url, `/api/conversations/${c}/resolve`, { token: tok.super1, body: { wrapUpCode: 'resolved' } });
    expect(r.status).toBe(200);
    expect(r.body.conversation.status).toBe('resolved');
  });

  test('a visitor token cannot call agent APIs (401); an agent token cannot join /webchat', async () => {
    const v = await visitor();
    const c = await newConversation();
    expectError(await api(h.url, '/api/conversations', { token: v.token }), 401, 'unauthorized');
    expectError(await api(h.url, '/api/me', { token: v.token }), 401, 'unauthorized');
    expectError(await api(h.url, `/api/conversations/${c}/claim`, { token: v.token, body: {} }), 401, 'unauthorized');
    expectError(await api(h.url, '/api/conversations'), 401, 'unauthorized');
    expectError(await api(h.url, '/api/conversations', { token: 'not.a.jwt' }), 401, 'unauthorized');
    // Refused with a code the clients act on (the console signs out on unauthorized).
    expect(await tryConnect('/agent', v.token)).toMatchObject({ connected: false, code: 'unauthorized' });
    expect(await tryConnect('/webchat', tok.agent1)).toMatchObject({ connected: false, code: 'unauthorized' });
    expect(await tryConnect('/webchat', 'garbage')).toMatchObject({ connected: false, code: 'unauthorized' });
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  test('malformed JSON → 400 with an error body', async () => {
    expectError(await api(h.url, '/api/auth/login', { raw: '{"username": "agent1", "password": ' }), 400);
    const c = await newConversation();
    expectError(await api(h.url, `/api/conversations/${c}/messages`, { token: tok.agent1, raw: '{not json' }), 400);
    expect(await h.hub.m.Message.countDocuments({ conversationId: c, direction: 'out' })).toBe(0);
  });

  test('a body over 256 KB → 413', async () => {
    const c = await newConversation();
    const raw = JSON.stringify({ text: 'x'.repeat(300 * 1024), clientId: 'too-big-0001' });
    expectError(await api(h.url, `/api/conversations/${c}/messages`, { token: tok.agent1, raw }), 413);
    expect(await h.hub.m.Message.countDocuments({ conversationId: c, direction: 'out' })).toBe(0);
  });

  test('a malformed id → 400', async () => {
    expectError(await api(h.url, '/api/conversations/not-an-id', { token: tok.agent1 }), 400);
    expectError(await api(h.url, '/api/conversations/zzzzzzzzzzzzzzzzzzzzzzzz/claim', { token: tok.agent1, body: {} }), 400);
    expectError(await api(h.url, '/api/attachments/123', { token: tok.agent1 }), 400);
    // A well-formed id that does not exist is a 404.
    expectError(await api(h.url, `/api/conversations/${'0'.repeat(24)}`, { token: tok.agent1 }), 404, 'not_found');
  });

  test('unknown wrap-up code → 400 and the conversation stays live', async () => {
    const c = await newConversation();
    expectError(await api(h.url, `/api/conversations/${c}/resolve`, { token: tok.agent1, body: { wrapUpCode: 'made_up' } }), 400, 'unknown_wrapup_code');
    expectError(await api(h.url, `/api/conversations/${c}/resolve`, { token: tok.agent1, body: {} }), 400, 'invalid_body');
    expect((await h.hub.m.Conversation.findById(c).lean())!.status).toBe('queued');
  });

  test('empty or malformed reply → 400, nothing stored, not claimed', async () => {
    const c = await newConversation();
    for (const body of [{ text: '', clientId: 'empty-reply-01' }, { text: '   \n ', clientId: 'empty-reply-02' }, { text: 'hi', clientId: 'bad id!' }, { text: 'hi' }, { text: 'x'.repeat(10_001), clientId: 'long-reply-01' }]) {
      expectError(await api(h.url, `/api/conversations/${c}/messages`, { token: tok.agent1, body }), 400, 'invalid_body');
    }
    expect(await h.hub.m.Message.countDocuments({ conversationId: c, direction: 'out' })).toBe(0);
    expect((await h.hub.m.Conversation.findById(c).lean())!.assigneeId ?? null).toBeNull();
  });

  test('bad list query → 400', async () => {
    expectError(await api(h.url, '/api/conversations?scope=everything', { token: tok.super1 }), 400);
    expectError(await api(h.url, '/api/conversations?limit=100000', { token: tok.super1 }), 400);
    expectError(await api(h.url, '/api/conversations?before=yesterday', { token: tok.super1 }), 400);
  });

  test('message.send with bad payloads → error ack, nothing stored', async () => {
    const v = await visitor('Bad Payloads');
    const payloads: unknown[] = [
      'just a string',
      42,
      null,
      ['clientId', 'text'],
      {},
      { text: 'no client id' },
      { clientId: 'short', text: 'clientId too short' },
      { clientId: 'has spaces in it', text: 'bad chars' },
      { clientId: 'x'.repeat(65), text: 'clientId too long' },
      { clientId: 42, text: 'numeric clientId' },
      { clientId: 'valid-client-01', text: '' },
      { clientId: 'valid-client-02', text: '   ' },
      { clientId: 'valid-client-03', text: 'x'.repeat(4001) },
      { clientId: 'valid-client-04', text: 'y'.repeat(50_000) },
      { clientId: 'valid-client-05', text: { $gt: '' } },
      { clientId: 'valid-client-06', text: 'bad attachment', attachmentIds: ['nope'] },
      { clientId: 'valid-client-07', text: 'unknown attachment', attachmentIds: ['0'.repeat(24)] },
    ];
    for (const p of payloads) {
      const ack = await v.socket.timeout(5000).emitWithAck('message.send', p);
      expect(ack.ok, JSON.stringify(p).slice(0, 80)).toBe(false);
      expect(typeof ack.error.code).toBe('string');
      expect(typeof ack.error.message).toBe('string');
    }
    expect(await h.hub.m.Message.countDocuments({ from: v.visitorId })).toBe(0);
    expect(await h.hub.m.Conversation.countDocuments({ 'channelData.visitorId': v.visitorId })).toBe(0);
    // The socket still works after all that.
    const ok = await v.socket.timeout(5000).emitWithAck('message.send', { clientId: 'valid-client-99', text: 'finally a real one' });
    expect(ok.ok).toBe(true);
    expect(await h.hub.m.Message.countDocuments({ from: v.visitorId })).toBe(1);
  });

  test('a socket frame over the 64 KB buffer limit drops that connection and stores nothing', async () => {
    const v = await visitor('Huge Frame');
    const gone = new Promise<string>((r) => v.socket.once('disconnect', (reason) => r(reason)));
    v.socket.emit('message.send', { clientId: 'huge-frame-01', text: 'z'.repeat(100 * 1024) }, () => undefined);
    expect(await gone).toMatch(/close/);
    expect(await h.hub.m.Message.countDocuments({ from: v.visitorId })).toBe(0);
  });
});

describe('audit', () => {
  test('a wrong password → 401 invalid_credentials and an auth.login_failed entry', async () => {
    const id = await userId('agent2');
    const before = await h.hub.m.Audit.countDocuments({ action: 'auth.login_failed', 'actor.id': id });
    const r = await api(h.url, '/api/auth/login', { body: { username: 'agent2', password: 'wrong-password' } });
    expectError(r, 401, 'invalid_credentials');
    expect(r.body.token).toBeUndefined();
    expect(await h.hub.m.Audit.countDocuments({ action: 'auth.login_failed', 'actor.id': id })).toBe(before + 1);
    // An unknown user is audited too, and answers exactly like a wrong password.
    const ghost = `ghost${randomBytes(3).toString('hex')}`;
    const r2 = await api(h.url, '/api/auth/login', { body: { username: ghost, password: 'whatever' } });
    expectError(r2, 401, 'invalid_credentials');
    expect(r2.body.error.message).toBe(r.body.error.message);
    expect(await h.hub.m.Audit.countDocuments({ action: 'auth.login_failed', 'actor.id': ghost })).toBe(1);
  });

  test('login, claim, reply and resolve are audited with actor and target', async () => {
    const id = await userId('agent1');
    const logins = await h.hub.m.Audit.countDocuments({ action: 'auth.login', 'actor.id': id });
    const token = await loginAs(h.url, 'agent1');
    expect(await h.hub.m.Audit.countDocuments({ action: 'auth.login', 'actor.id': id })).toBe(logins + 1);

    const c = await newConversation();
    expect((await api(h.url, `/api/conversations/${c}/claim`, { token, body: {} })).status).toBe(200);
    expect((await api(h.url, `/api/conversations/${c}/messages`, { token, body: { text: 'On it.', clientId: 'audit-reply-1' } })).status).toBe(201);
    expect((await api(h.url, `/api/conversations/${c}/resolve`, { token, body: { wrapUpCode: 'account_inquiry', note: 'balance' } })).status).toBe(200);
    const rows = await h.hub.m.Audit.find({ 'target.id': c }).sort({ at: 1 }).lean();
    expect(rows.map((r) => r.action)).toEqual(['conversation.claim', 'message.send', 'conversation.resolve']);
    for (const r of rows) {
      expect(r.actor?.id).toBe(id);
      expect(r.actor?.role).toBe('agent');
      expect(r.target?.type).toBe('conversation');
    }
    expect((rows[2].details as { wrapUpCode: string }).wrapUpCode).toBe('account_inquiry');
    // A refused action leaves no audit entry.
    expectError(await api(h.url, `/api/conversations/${c}/resolve`, { token, body: { wrapUpCode: 'resolved' } }), 409, 'already_resolved');
    expect(await h.hub.m.Audit.countDocuments({ 'target.id': c })).toBe(3);
  });
});

test('concurrent claims of one conversation by agent1 and super1: exactly one winner, the other 409', async () => {
  const [a1, s1] = await Promise.all([userId('agent1'), userId('super1')]);
  for (let i = 0; i < 5; i++) {
    const c = await newConversation('general');
    const [ra, rs] = await Promise.all([
      api(h.url, `/api/conversations/${c}/claim`, { token: tok.agent1, body: {} }),
      api(h.url, `/api/conversations/${c}/claim`, { token: tok.super1, body: {} }),
    ]);
    const statuses = [ra.status, rs.status].sort();
    expect(statuses).toEqual([200, 409]);
    const [win, lose] = ra.status === 200 ? [ra, rs] : [rs, ra];
    expect(lose.body.error.code).toBe('already_assigned');
    const winnerId = ra.status === 200 ? a1 : s1;
    expect(win.body.conversation.assignee.id).toBe(winnerId);
    const stored = await h.hub.m.Conversation.findById(c).lean();
    expect(stored!.assigneeId).toBe(winnerId);
    expect(stored!.status).toBe('assigned');
    expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.claim', 'target.id': c })).toBe(1);
    // Free the winner's capacity for the next round, so the loser's 409 is only ever the race.
    expect((await api(h.url, `/api/conversations/${c}/resolve`, { token: tok.super1, body: { wrapUpCode: 'resolved' } })).status).toBe(200);
  }
});
