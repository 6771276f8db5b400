/**
 * Routing heals what a crash left half done, without waiting for a leadership change: a queued
 * conversation whose arrival never reached routing (the process died right after opening it) is
 * found by the leader's sweep and routed; a conversation resolved while its arrival was on its way is
 * let go as soon as routing places it; a task whose conversation was resolved by a process that died
 * before telling routing is released; an agent whose hub died and who never came back is logged out.
 * Each test stands alone (any order, or alone with -t): none relies on what another left behind.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Sockets } from '../helpers/sockets.js';
import { Types } from 'mongoose';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';
import { slKey } from '../../hub/acd/bridge.js';

let h: TestHub;
let agentId: string;
const sockets = new Sockets();
beforeAll(async () => {
  h = await startTestHub({ name: 'acd_orphans', overrides: { 'acd.orphanSweepSeconds': 1, 'acd.orphanGraceSeconds': 0, 'acd.logoutGraceSeconds': 1 } });
  const token = await loginAs(h.url, 'agent1');
  agentId = (await api(h.url, '/api/me', { token })).body.user.id;
  await sockets.connect(h.url, '/agent', token);
  await waitFor(async () => (await h.hub.acd.snapshotAgent(agentId))?.state === 'available', 10_000, 'agent1 available');
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const conversation = (status: 'queued' | 'resolved') =>
  h.hub.m.Conversation.create({ customerId: new Types.ObjectId(), customerName: 'Orphan', channel: 'webchat', status, openKey: status === 'queued' ? `webchat:${new Types.ObjectId()}` : `closed:${new Types.ObjectId()}`, queue: 'general', queuedAt: new Date(Date.now() - 60_000) });

test('a queued conversation routing never heard of is routed by the sweep', async () => {
  const c = await conversation('queued');
  expect(await h.hub.acd.snapshotTask(String(c._id))).toBeNull();
  const routed = await waitFor(async () => {
    const doc = await h.hub.m.Conversation.findById(c._id).lean();
    return doc?.status === 'assigned' ? doc : null;
  }, 10_000, 'orphan routed');
  expect(routed.assigneeId).toBe(agentId);
  expect((await h.hub.acd.snapshotTask(String(c._id)))?.agentId).toBe(agentId);
});

test('an arrival for a conversation resolved meanwhile: placed, then let go; the conversation stays resolved', async () => {
  const c = await conversation('resolved');
  const answered = async () => Number((await h.hub.redis.hget(slKey(h.redisPrefix, 'general', new Date().toISOString().slice(0, 10)), 'answered')) ?? 0);
  const before = await answered();
  const load = (await h.hub.acd.snapshotAgent(agentId))?.load?.webchat ?? 0;
  await h.hub.acd.send({ type: 'arrive', task: h.hub.acdBridge.taskFor(c) });
  // A request after it is answered once the arrival's batch and its effects are done (the stream is
  // in order; replies follow their batch's effects): by then routing has placed it and asked to let go.
  await h.hub.acd.request({ type: 'agent.state', agentId, state: 'available' });
  expect(await answered()).toBe(before + 1);
  await waitFor(async () => (await h.hub.acd.snapshotTask(String(c._id))) === null, 5000, 'task released');
  expect((await h.hub.m.Conversation.findById(c._id).lean())!.status).toBe('resolved');
  // Its slot is agent1's again.
  expect((await h.hub.acd.snapshotAgent(agentId))?.load?.webchat ?? 0).toBe(load);
});

test('a conversation resolved by a process that died before telling routing: the sweep releases its task and frees the slot', async () => {
  const c = await conversation('queued');
  const id = String(c._id);
  await h.hub.acd.send({ type: 'arrive', task: h.hub.acdBridge.taskFor(c) });
  await waitFor(async () => (await h.hub.acd.snapshotTask(id))?.agentId === agentId, 10_000, 'assigned to agent1');
  const load = (await h.hub.acd.snapshotAgent(agentId))!.load!.webchat!;
  // What Conversations.resolve writes first; the release that follows it is never sent.
  await h.hub.m.Conversation.updateOne({ _id: c._id }, { $set: { status: 'resolved', resolvedAt: new Date(), openKey: `closed:${id}` } });
  await waitFor(async () => (await h.hub.acd.snapshotTask(id)) === null, 10_000, 'task released by the sweep');
  expect((await h.hub.acd.snapshotAgent(agentId))?.load?.webchat).toBe(load - 1);
  expect((await h.hub.m.Conversation.findById(c._id).lean())!.status).toBe('resolved');
});

test('an agent logged in to routing with no console on any hub (their hub died): logged out by the sweep; a present agent is left alone', async () => {
  // In a queue of its own: while it is logged in it must not take the other tests' conversations.
  const ghost = await h.hub.m.User.create({ username: 'ghost', name: 'Ghost', role: 'agent', passwordHash: 'x', queues: ['ghosts'] });
  const ghostId = String(ghost._id);
  // What a hub that died had told routing: the agent is logged in and available; its logout timer died with it.
  await h.hub.acdBridge.ensureAgent(ghostId);
  await h.hub.acd.request({ type: 'agent.state', agentId: ghostId, state: 'available' });
  await waitFor(async () => (await h.hub.acd.snapshotAgent(ghostId))?.state === 'offline', 10_000, 'ghost logged out by the sweep');
  expect((await h.hub.acd.snapshotAgent(agentId))?.state).toBe('available');
});
