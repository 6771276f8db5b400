/**
 * The ACD across two hub processes on one store and one Redis: capacity and single assignment under
 * concurrent arrivals, oldest-first refill, leader failover, offers with ring-no-answer, supervisor moves.
 *
 * Each test builds what it needs — a queue of its own and a team of agents in it, signed in with a
 * console open — so any test runs alone (`-t "<name>"`) and in any order (`--sequence.shuffle`):
 * no test's agents or conversations are another's. The hubs are shared: the first routing leader is a
 * child process (started first, it takes the lease) that only the failover test kills; every test
 * talks to the two in-process hubs, which outlive it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Types } from 'mongoose';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { testMongoUri, testRedisUrl } from '../helpers/db.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { LEASE_MS } from '../../hub/acd/service.js';
import type { QueueDef } from '../../hub/acd/types.js';

/** The first routing leader: a hub child process, so the failover test can kill it with SIGKILL mid-work. */
let leaderProc: HubProcess;
let a: TestHub;
let b: TestHub;
const sockets = new Sockets();
const AGENTS = 8;
const CAP = 2;

beforeAll(async () => {
  const mongoUri = testMongoUri('acd');
  const redisPrefix = `acd${randomBytes(4).toString('hex')}`;
  // Started first, it takes the routing lease (and seeds the demo users); a and b follow.
  leaderProc = await startHubProcess({ mongoUri, redisUrl: testRedisUrl(), redisPrefix });
  a = await startTestHub({ mongoUri, redisPrefix, seed: false });
  b = await startTestHub({ mongoUri, redisPrefix, seed: false });
}, 120_000);

afterAll(async () => {
  sockets.closeAll();
  await Promise.allSettled([a?.close(), b?.close(), leaderProc?.kill9()].filter(Boolean));
});

interface Team {
  queue: string;
  /** Agent id → token. */
  tokens: Map<string, string>;
  ids: string[];
}

/**
 * A queue of its own (routing settings as given) and `n` agents in it with `cap` web chats each, each
 * with a console open (on hub a or b in turn) and available in routing.
 */
async function team(queue: string, n = AGENTS, cap = CAP, routing: Partial<QueueDef> = {}): Promise<Team> {
  await a.hub.m.Queue.create({ _id: queue, label: { en: queue, zh: queue }, skills: [], routing });
  await a.hub.acd.request({ type: 'queues.reload' });
  const tokens = new Map<string, string>();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const u = await a.hub.m.User.create({ username: `${queue}${i}`, name: `${queue} ${i}`, role: 'agent', passwordHash: 'unused', queues: [queue], capacity: { webchat: cap, voice: 1, email: 0, sms: 0, fax: 0 } });
      // Signed as the sign-in route does (the sign-in itself is tested elsewhere; scrypt per agent is slow here).
      const token = await a.hub.tokens.sign({ kind: 'agent', sub: String(u._id), role: 'agent', name: u.name, tv: 0 });
      await sockets.connect(i % 2 ? b.url : a.url, '/agent', token);
      tokens.set(String(u._id), token);
    }),
  );
  const ids = [...tokens.keys()];
  await waitFor(async () => (await Promise.all(ids.map((id) => a.hub.acd.snapshotAgent(id)))).every((s) => s?.state === 'available'), 10_000, `${queue}: agents available`);
  return { queue, tokens, ids };
}

const conversations = (queue: string) => a.hub.m.Conversation.find({ queue }).lean();
const assigned = async (queue: string) => (await conversations(queue)).filter((c) => c.status === 'assigned');

function arrive(h: TestHub, queue: string, i: number) {
  const visitor = `${queue}-visitor-${i}`;
  return h.hub.ingest.ingest({ channel: 'webchat', externalId: `${queue}-${i}`, customer: { identity: { channel: 'webchat', address: visitor }, name: `V${i}` }, text: `hello ${i}`, queue, channelData: { visitorId: visitor } });
}

/** `count` arrivals on both hubs at once, then every seat of the team taken. */
async function fill(t: Team, count: number) {
  await Promise.all(Array.from({ length: count }, (_, i) => arrive(i % 2 ? b : a, t.queue, i)));
  await waitFor(async () => (await assigned(t.queue)).length === Math.min(count, t.ids.length * CAP), 15_000, `${t.queue}: seats filled`);
}

/** The invariants, once the conversations have caught up with routing (they are written just after it). */
async function assertInvariants(h: TestHub, t: Team) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await checkInvariants(h, t);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function checkInvariants(h: TestHub, team: Team) {
  const convs = await conversations(team.queue);
  const perAgent = new Map<string, number>();
  for (const c of convs) if (c.status === 'assigned' && c.assigneeId) perAgent.set(c.assigneeId, (perAgent.get(c.assigneeId) ?? 0) + 1);
  for (const [agent, n] of perAgent) expect(n, `agent ${agent} over capacity`).toBeLessThanOrEqual(CAP);
  // The stored routing state agrees with the conversations: one holder per conversation.
  const { tasks } = await h.hub.acd.snapshot();
  for (const c of convs) {
    const t = tasks.find((x) => x.id === String(c._id));
    if (c.status === 'assigned') expect(t?.agentId).toBe(c.assigneeId);
    if (c.status === 'queued') expect(t?.state).toBe('waiting');
  }
  // Never queued while an eligible agent has room.
  const queued = convs.filter((c) => c.status === 'queued').length;
  const room = team.ids.reduce((sum, id) => sum + (CAP - (perAgent.get(id) ?? 0)), 0);
  expect(queued === 0 || room === 0, `${queued} queued while ${room} seats are free`).toBe(true);
  return { convs, perAgent };
}

const resolveAs = (t: Team, c: { _id: unknown; assigneeId?: string | null }, h = a) => api(h.url, `/api/conversations/${c._id}/resolve`, { token: t.tokens.get(c.assigneeId!)!, body: { wrapUpCode: 'resolved' } });
const byAge = (convs: { status: string; queuedAt?: Date | null; _id: unknown }[]) =>
  convs
    .filter((c) => c.status === 'queued')
    .sort((x, y) => +new Date(x.queuedAt!) - +new Date(y.queuedAt!))
    .map((c) => String(c._id));

describe('two hubs, one routing leader', () => {
  test('concurrent arrivals on both hubs: capacity holds, one agent per conversation, the rest wait in order', async () => {
    const t = await team('fill');
    await fill(t, 40);
    const { convs } = await assertInvariants(a, t);
    expect(convs.filter((c) => c.status === 'queued')).toHaveLength(40 - AGENTS * CAP);
  });

  test('resolving frees the seat and the oldest waiting conversation takes it', async () => {
    const t = await team('refill');
    await fill(t, AGENTS * CAP + 8);
    const before = await conversations(t.queue);
    const waitingOldest = byAge(before).slice(0, 5);
    const toResolve = before.filter((c) => c.status === 'assigned').slice(0, 5);
    const res = await Promise.all(toResolve.map((c) => resolveAs(t, c, b)));
    expect(res.map((r) => r.status)).toEqual(toResolve.map(() => 200));
    await waitFor(async () => (await assigned(t.queue)).length === AGENTS * CAP && (await conversations(t.queue)).filter((c) => c.status === 'resolved').length === 5, 10_000, 'seats refilled');
    const after = await conversations(t.queue);
    for (const c of toResolve) expect(after.find((x) => String(x._id) === String(c._id))?.status).toBe('resolved');
    for (const id of waitingOldest) expect(after.find((c) => String(c._id) === id)?.status).toBe('assigned');
    await assertInvariants(b, t);
  });

  test('the leader dies (SIGKILL, mid-work): another hub takes over within the lease, routes what the dead one never did, nothing held twice', async () => {
    // The child process leads: neither in-process hub does.
    expect(a.hub.acd.isLeader).toBe(false);
    expect(b.hub.acd.isLeader).toBe(false);
    const t = await team('failover');
    await fill(t, AGENTS * CAP + 10);
    const sup = await sockets.connect(a.url, '/agent', await loginAs(a.url, 'super1'));
    const before = await conversations(t.queue);
    const waiting = byAge(before);
    const held = before.filter((c) => c.status === 'assigned');
    const wave1 = held.slice(0, 3);
    const wave2 = held.slice(3, 6);
    // Freeze the leader the moment it announces its first refill: whatever it was writing then is cut.
    const firstRefill = nextEvent<any>(sup, 'conversation.updated', (p) => waiting.includes(p.conversation.id) && p.conversation.status === 'assigned', 10_000).then(() => process.kill(leaderProc.child.pid!, 'SIGSTOP'));
    expect((await Promise.all(wave1.map((c) => resolveAs(t, c)))).map((r) => r.status)).toEqual([200, 200, 200]);
    await firstRefill;
    // Work the frozen leader can never do: resolutions and arrivals (they wait in the stream).
    expect((await Promise.all(wave2.map((c) => resolveAs(t, c)))).map((r) => r.status)).toEqual([200, 200, 200]);
    await Promise.all([100, 101, 102].map((i) => arrive(b, t.queue, i)));
    // Pending at the kill: routing state still has every seat of wave 2 held.
    const { tasks } = await a.hub.acd.snapshot();
    const stillHeld = wave2.filter((c) => tasks.find((x) => x.id === String(c._id))?.agentId === c.assigneeId);
    expect(stillHeld, 'seats the dead leader never released').toHaveLength(wave2.length);
    await leaderProc.kill9(); // SIGKILL reaches a stopped process too
    const t0 = Date.now();
    await waitFor(() => a.hub.acd.isLeader || b.hub.acd.isLeader, LEASE_MS + 5000, 'a survivor leads');
    expect(Date.now() - t0).toBeLessThan(LEASE_MS + 5000);
    // Every resolved seat went to the oldest waiting conversations; the resolved ones are held by nobody.
    const resolved = new Set([...wave1, ...wave2].map((c) => String(c._id)));
    await waitFor(async () => (await assigned(t.queue)).length === AGENTS * CAP, 15_000, 'seats refilled after failover');
    const after = await conversations(t.queue);
    for (const c of after) if (resolved.has(String(c._id))) expect(c.status, String(c._id)).toBe('resolved');
    for (const id of waiting.slice(0, resolved.size)) expect(after.find((c) => String(c._id) === id)?.status, id).toBe('assigned');
    const snap = await a.hub.acd.snapshot();
    for (const id of resolved) expect(snap.tasks.find((x) => x.id === id)?.agentId, id).toBeUndefined();
    await assertInvariants(a, t);
  });
});

describe('offers', () => {
  test('an offer not accepted in time is withdrawn, the agent goes not ready (RONA), and rings again once they are back', async () => {
    const t = await team('ring', 1, 1, { autoAccept: [], offerTimeoutSec: 1 });
    const [id] = t.ids;
    const token = t.tokens.get(id)!;
    const s = await sockets.connect(a.url, '/agent', token);
    const offered = nextEvent<any>(s, 'offer.created', () => true, 10_000);
    const r = await arrive(a, t.queue, 1);
    const offer = await offered;
    expect(offer.conversation.id).toBe(String(r.conversation._id));
    // A console that (re)loads now gets the ringing offer from the hub.
    const me = await api(a.url, '/api/acd/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.offers.map((o: any) => o.conversation.id)).toEqual([String(r.conversation._id)]);
    const withdrawn = nextEvent<any>(s, 'offer.withdrawn', () => true, 10_000);
    const rona = nextEvent<any>(s, 'agent.state', (p) => p.agent.state === 'notready', 10_000);
    expect((await withdrawn).reason).toBe('rona');
    expect((await rona).agent.reason).toBe('rona');
    expect((await a.hub.m.Conversation.findById(r.conversation._id).lean())?.status).toBe('queued');
    expect((await api(a.url, '/api/acd/me', { token })).body.offers).toEqual([]);

    const again = nextEvent<any>(s, 'offer.created', () => true, 10_000);
    expect((await api(a.url, '/api/acd/me/state', { token, body: { state: 'available' } })).status).toBe(200);
    expect((await again).conversation.id).toBe(String(r.conversation._id));
    const acc = await api(a.url, `/api/acd/offers/${r.conversation._id}/accept`, { token, method: 'POST' });
    expect(acc.status).toBe(200);
    expect(acc.body.conversation.status).toBe('assigned');
    expect(acc.body.conversation.assignee.name).toBe('ring 0');
    expect((await api(a.url, '/api/acd/me', { token })).body.offers).toEqual([]);
    // Accepting twice is refused, not a second assignment.
    expect((await api(a.url, `/api/acd/offers/${r.conversation._id}/accept`, { token, method: 'POST' })).status).toBe(409);
  });
});

describe('supervisor control', () => {
  test('reassign moves a conversation to another agent, both consoles hear it, and it is audited', async () => {
    const t = await team('moves', 2);
    await fill(t, 1);
    const sup = await loginAs(a.url, 'super1');
    const c = (await assigned(t.queue))[0];
    const from = c.assigneeId!;
    const to = t.ids.find((id) => id !== from)!;
    const s = await sockets.connect(b.url, '/agent', t.tokens.get(from)!);
    const heard = nextEvent<any>(s, 'conversation.updated', (p) => p.conversation.id === String(c._id) && p.conversation.assignee?.id === to, 10_000);
    const res = await api(a.url, `/api/acd/conversations/${c._id}/reassign`, { token: sup, body: { agentId: to, force: true } });
    expect(res.status).toBe(200);
    expect(res.body.conversation.assignee.id).toBe(to);
    await heard;
    const audit = await a.hub.m.Audit.findOne({ action: 'conversation.reassign', 'target.id': String(c._id) }).lean();
    expect(audit?.details).toMatchObject({ to, from });
    // An agent may not use supervisor controls.
    expect((await api(a.url, `/api/acd/conversations/${c._id}/takeover`, { token: t.tokens.get(from)!, method: 'POST' })).status).toBe(403);
    expect((await api(a.url, `/api/acd/agents/${new Types.ObjectId()}/state`, { token: sup, body: { state: 'offline' } })).status).toBe(404);
  });

  test("the wallboard: queues with today's answered count, service level and speed of answer; agents; every state change logged", async () => {
    // One agent, one seat, a service-level target of 3 s: the first contact is answered at once, the
    // second waits (at least WAIT_MS, past the target) until the first is resolved.
    const WAIT_MS = 3500;
    const t = await team('board', 1, 1, { serviceLevel: { pct: 80, seconds: 3 } });
    const [agentId] = t.ids;
    await fill(t, 1);
    const first = (await assigned(t.queue))[0];
    const second = await arrive(b, t.queue, 1);
    await waitFor(async () => (await a.hub.acd.snapshotTask(String(second.conversation._id)))?.state === 'waiting', 10_000, 'the second waits');
    // The wait the wallboard must show (not a synchronisation: the contact is meant to wait this long).
    await new Promise((r) => setTimeout(r, WAIT_MS));
    expect((await resolveAs(t, first)).status).toBe(200);
    await waitFor(async () => (await a.hub.m.Conversation.findById(second.conversation._id).lean())?.assigneeId === agentId, 10_000, 'the second answered');

    const sup = await loginAs(a.url, 'super1');
    const board = await waitFor(async () => {
      const r = await api(a.url, '/api/acd/overview', { token: sup });
      return r.body.queues?.find((q: { id: string }) => q.id === t.queue)?.answeredToday === 2 ? r : null;
    }, 10_000, 'two answered on the wallboard');
    const q = board.body.queues.find((x: { id: string }) => x.id === t.queue);
    expect(q.serviceLevel.target).toEqual({ pct: 80, seconds: 3 });
    // One within 3 s, one after at least WAIT_MS.
    expect(q.serviceLevel.pct).toBe(50);
    // Speed of answer: the mean wait, (~0 + ≥ 3.5 s) / 2, in whole seconds.
    expect(q.asaSec).toBeGreaterThanOrEqual(2);
    expect(q.asaSec).toBeLessThanOrEqual(15);
    expect(board.body.agents.find((x: { id: string }) => x.id === agentId)?.state).toBe('available');
    const log = await a.hub.m.AgentState.find({ agentId }).lean();
    expect(log.map((l) => l.state)).toContain('available');
    expect((await api(a.url, '/api/acd/overview', { token: t.tokens.get(agentId)! })).status).toBe(403);
  });
});

describe('who the customer is', () => {
  test('a returning customer goes to their last agent first (sticky); a VIP at retention risk jumps the queue', async () => {
    const t = await team('sticky', 2);
    // Every seat taken and four waiting.
    await fill(t, 2 * CAP + 4);
    const agentId = t.ids[1];
    // The agent resolves what they hold: their seats are refilled from the queue, two still wait.
    const mine = (await assigned(t.queue)).filter((c) => c.assigneeId === agentId);
    const cust = mine[0].customerId;
    for (const c of mine) expect((await resolveAs(t, c)).status).toBe(200);
    await waitFor(async () => (await assigned(t.queue)).filter((c) => c.assigneeId === agentId).length === CAP, 10_000, 'seats refilled');
    expect((await a.hub.m.Customer.findById(cust).lean())?.lastAgentId).toBe(agentId);
    // The customer writes again, now a VIP at retention risk: they wait for their last agent, ahead of everyone.
    await a.hub.m.Customer.updateOne({ _id: cust }, { $set: { tier: 'vip', tags: ['retention-risk'] } });
    const identity = (await a.hub.m.Identity.findOne({ customerId: cust }).lean())!;
    const r = await a.hub.ingest.ingest({ channel: 'webchat', externalId: `${t.queue}-returning`, customer: { identity: { channel: 'webchat', address: String(identity._id).slice('webchat:'.length) } }, text: 'me again', queue: t.queue, channelData: {} });
    expect(r.conversation.priority).toBe(15);
    await waitFor(async () => (await a.hub.acd.snapshotTask(String(r.conversation._id)))?.state === 'waiting', 10_000, 'queued');
    const waiting = (await a.hub.acd.snapshot()).tasks.filter((x) => x.state === 'waiting' && x.queue === t.queue).sort((x, y) => y.priority - x.priority || x.enqueuedAt - y.enqueuedAt);
    expect(waiting.length).toBe(3);
    expect(waiting[0].id).toBe(String(r.conversation._id));
    expect(waiting[0].preferredAgentId).toBe(agentId);
    // The preferred agent frees a seat: it is theirs even though others were waiting longer.
    const one = (await assigned(t.queue)).find((c) => c.assigneeId === agentId)!;
    expect((await resolveAs(t, one)).status).toBe(200);
    await waitFor(async () => (await a.hub.m.Conversation.findById(r.conversation._id).lean())?.assigneeId === agentId, 10_000, 'sticky assignment');
  });
});
