/**
 * Offers and presence over the console's real paths (HTTP + the /agent socket), each test standing
 * alone on its own hub:
 *  - an agent who rejects an offer has it withdrawn, it rings for the next agent, and it never comes
 *    back to the one who said no;
 *  - a console closed for good logs its agent out of routing after the grace period; a console
 *    reopened within it keeps the agent available (a page reload must not drop the agent's chats).
 */
import type { Socket } from 'socket.io-client';
import { afterEach, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { newVisitor } from '../helpers/visitor.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

const sockets = new Sockets();
let h: TestHub | undefined;
afterEach(async () => {
  sockets.closeAll();
  await h?.close();
  h = undefined;
});

async function signIn(hub: TestHub, username: string): Promise<{ token: string; id: string; socket: Socket }> {
  const token = await loginAs(hub.url, username);
  const id = (await api(hub.url, '/api/me', { token })).body.user.id as string;
  const socket = await sockets.connect(hub.url, '/agent', token);
  await waitFor(async () => (await hub.hub.acd.snapshotAgent(id))?.state === 'available', 10_000, `${username} available`);
  return { token, id, socket };
}

test('a rejected offer is withdrawn, rings for the next agent, and is never offered again to the agent who rejected it', async () => {
  h = await startTestHub({ name: 'acd_offers' });
  const hub = h;
  const admin = await loginAs(hub.url, 'admin');
  // Chats in `general` ring (an offer to accept) instead of being assigned at once.
  const q = await api(hub.url, '/api/admin/queues/general', { method: 'PUT', token: admin, body: { autoAccept: [], offerTimeoutSec: 120 } });
  expect(q.status).toBe(200);
  const a1 = await signIn(hub, 'agent1');
  const a2 = await signIn(hub, 'agent2');
  const byId = new Map([a1, a2].map((a) => [a.id, a]));

  const offered = (a: { socket: Socket }) => nextEvent<{ conversation: { id: string } }>(a.socket, 'offer.created', () => true, 15_000);
  const first = Promise.race([offered(a1).then((p) => ({ p, to: a1 })), offered(a2).then((p) => ({ p, to: a2 }))]);
  const visitor = await newVisitor(hub.url, sockets, 'Offer Visitor');
  const { conversationId } = await visitor.send('I would like to talk to someone');
  const { p, to: rejecter } = await first;
  expect(p.conversation.id).toBe(conversationId);
  const other = rejecter === a1 ? a2 : a1;
  expect(byId.get(rejecter.id)).toBe(rejecter);

  const withdrawn = nextEvent<{ conversationId: string; reason: string }>(rejecter.socket, 'offer.withdrawn', (w) => w.conversationId === conversationId, 15_000);
  const next = offered(other);
  let offeredAgainToRejecter = false;
  rejecter.socket.on('offer.created', (o: { conversation: { id: string } }) => {
    if (o.conversation.id === conversationId) offeredAgainToRejecter = true;
  });
  const r = await api(hub.url, `/api/acd/offers/${conversationId}/reject`, { method: 'POST', token: rejecter.token });
  expect(r.status).toBe(200);
  expect((await withdrawn).reason).toBe('rejected');
  expect((await next).conversation.id).toBe(conversationId);
  expect(await hub.hub.m.Audit.countDocuments({ action: 'offer.reject', 'target.id': conversationId })).toBe(1);

  // The other agent accepts: it is theirs; the rejecter was never offered it again meanwhile.
  const acc = await api(hub.url, `/api/acd/offers/${conversationId}/accept`, { method: 'POST', token: other.token });
  expect(acc.status).toBe(200);
  const stored = await waitFor(async () => {
    const c = await hub.hub.m.Conversation.findById(conversationId).lean();
    return c?.status === 'assigned' ? c : null;
  }, 10_000, 'assigned after accept');
  expect(String(stored.assigneeId)).toBe(other.id);
  expect(offeredAgainToRejecter).toBe(false);
  // Rejecting an offer one does not hold is refused and changes nothing.
  const late = await api(hub.url, `/api/acd/offers/${conversationId}/reject`, { method: 'POST', token: rejecter.token });
  expect(late.status).toBeGreaterThanOrEqual(400);
  expect(late.status).toBeLessThan(500);
  expect(String((await hub.hub.m.Conversation.findById(conversationId).lean())!.assigneeId)).toBe(other.id);
});

test('a console closed for good logs its agent out after the grace; one reopened within the grace, even on another hub, keeps its agent available', async () => {
  h = await startTestHub({ name: 'acd_grace', overrides: { 'acd.logoutGraceSeconds': 1 } });
  const other = await startTestHub({ mongoUri: h.mongoUri, redisPrefix: h.redisPrefix, overrides: { 'acd.logoutGraceSeconds': 1 } });
  try {
    const hub = h;
    const a1 = await signIn(hub, 'agent1');
    const a2 = await signIn(hub, 'agent2');
    // agent1's page reloads and lands on the other hub (a load balancer does that): this hub's grace
    // timer for agent1 runs on, and must find the console on the other hub when it fires.
    a1.socket.close();
    await sockets.connect(other.url, '/agent', a1.token);
    // agent2 closes the console for good, after agent1's disconnect: its grace ends later than agent1's.
    a2.socket.close();
    await waitFor(async () => (await hub.hub.acd.snapshotAgent(a2.id))?.state === 'offline', 15_000, 'agent2 logged out after the grace');
    // agent1's grace timer has fired by now too (it started earlier), and found the reopened console.
    expect((await hub.hub.acd.snapshotAgent(a1.id))?.state).toBe('available');
  } finally {
    sockets.closeAll();
    await other.close();
  }
});
