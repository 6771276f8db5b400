/**
 * Consoles acknowledge what is assigned to them (issue 17). An assignment the agent's open console
 * never acknowledges is announced again, then goes back to the queue with the agent marked not
 * answering; an acknowledged one stays; a console that never acknowledges anything is not emptied.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Socket } from 'socket.io-client';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

let h: TestHub;
const sockets = new Sockets();
let agentId: string;
let agent: Socket;

beforeAll(async () => {
  h = await startTestHub({ name: 'acd_acks', overrides: { 'acd.ackSeconds': 0.5 } });
  const token = await loginAs(h.url, 'agent1');
  agentId = (await api(h.url, '/api/me', { token })).body.user.id;
  agent = await sockets.connect(h.url, '/agent', token);
  await waitFor(async () => (await h.hub.acd.snapshotAgent(agentId))?.state === 'available', 10_000, 'agent1 available');
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

let n = 0;
async function arrive(): Promise<string> {
  const r = await h.hub.ingest.ingest({ channel: 'webchat', externalId: `acks-${++n}`, customer: { identity: { channel: 'webchat', address: `acks-visitor-${n}` }, name: `V${n}` }, text: 'hello', queue: 'general', channelData: { visitorId: `acks-visitor-${n}` } });
  return String(r.conversation._id);
}
const assignedToMe = (id: string) => (p: any) => p.conversation.id === id && p.conversation.assignee?.id === agentId && p.conversation.status === 'assigned';

test('a console that never acknowledges anything is announced to again but keeps its contact', async () => {
  const events: any[] = [];
  const onUpdate = (p: any) => events.push(p.conversation);
  agent.on('conversation.updated', onUpdate);
  const first = nextEvent<any>(agent, 'conversation.updated', (p) => p.conversation.assignee?.id === agentId, 10_000);
  const id = await arrive();
  expect((await first).conversation.id).toBe(id);
  const unacked = () => h.hub.redis.hget(`${h.redisPrefix}:{acd}:unacked`, id);
  // Announced again after ackSeconds (the entry's tries go to 1, with the time of the new announcement)...
  const entry = await waitFor(async () => {
    const v = await unacked();
    return v?.endsWith('|1') ? v : null;
  }, 10_000, 'announced again');
  const again = Number(entry.split('|')[1]);
  // ...and then given up on, not taken away: this console has never acknowledged anything.
  await waitFor(async () => (await unacked()) === null, 10_000, 'given up on');
  agent.off('conversation.updated', onUpdate);
  expect(events.some((c) => c.id === id && c.assignee?.id === agentId && Date.parse(c.updatedAt) >= again - 1000)).toBe(true);
  expect((await h.hub.acd.snapshotTask(id))?.agentId).toBe(agentId);
  expect((await h.hub.acd.snapshotAgent(agentId))?.state).toBe('available');
  const done = await api(h.url, `/api/conversations/${id}/resolve`, { token: await loginAs(h.url, 'agent1'), body: { wrapUpCode: 'resolved' } });
  expect(done.status).toBe(200);
});

test('an acknowledged assignment stays; one the acknowledging console never acknowledges is announced again, then requeued with the agent not answering', async () => {
  // This console speaks the protocol: it acknowledges the next assignment.
  const heard = nextEvent<any>(agent, 'conversation.updated', (p) => p.conversation.assignee?.id === agentId && p.conversation.status === 'assigned', 10_000);
  const kept = await arrive();
  expect((await heard).conversation.id).toBe(kept);
  // As the console does: every announcement that shows it assigned to me is acknowledged (the record's own comes after this one).
  agent.on('conversation.updated', (p: any) => p.conversation.id === kept && p.conversation.assignee?.id === agentId && agent.emit('conversation.ack', { ids: [kept] }));
  agent.emit('conversation.ack', { ids: [kept] });
  await waitFor(async () => !(await h.hub.redis.hexists(`${h.redisPrefix}:{acd}:unacked`, kept)), 5000, 'acknowledged');

  // The next one it never acknowledges (as if the announcement never reached the screen).
  const first = nextEvent<any>(agent, 'conversation.updated', (p) => p.conversation.assignee?.id === agentId && p.conversation.id !== kept, 10_000);
  const lost = await arrive();
  expect((await first).conversation.id).toBe(lost);
  const withdrawn = await nextEvent<any>(agent, 'offer.withdrawn', (p) => p.conversationId === lost, 10_000);
  expect(withdrawn.reason).toBe('rona');
  await waitFor(async () => (await h.hub.acd.snapshotAgent(agentId))?.state === 'notready', 5000, 'not answering');
  expect((await h.hub.acd.snapshotAgent(agentId))?.reason).toBe('rona');
  // Back in the queue (nobody else is signed in), its record and the lists say so; the acknowledged one is still theirs.
  await waitFor(async () => (await h.hub.m.Conversation.findById(lost).lean())?.status === 'queued', 5000, 'record queued');
  expect((await h.hub.acd.snapshotTask(lost))?.state).toBe('waiting');
  expect((await h.hub.inbox.summary(lost))?.assignee).toBeNull();
  expect((await h.hub.acd.snapshotTask(kept))?.agentId).toBe(agentId);
  expect((await h.hub.m.Conversation.findById(kept).lean())?.assigneeId).toBe(agentId);
});
