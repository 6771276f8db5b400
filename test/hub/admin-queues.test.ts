/**
 * Disabling and deleting queues (Administration): a disabled queue takes no new contacts (arrivals go
 * to general, moves into it are refused) but keeps serving what it holds; a queue with live
 * conversations cannot be deleted (409 with the count, nothing changed); a deleted queue is gone from
 * every list and from its members, and what is still addressed to it is diverted. All audited.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { waitFor } from '../helpers/wait.js';

let h: TestHub;
let admin: string;
let super1: string;

beforeAll(async () => {
  h = await startTestHub({ name: 'admin-queues' });
  admin = await loginAs(h.url, 'admin');
  super1 = await loginAs(h.url, 'super1');
});
afterAll(async () => {
  await h?.close();
});

const call = (token: string, method: string, path: string, body?: unknown) => api(h.url, path, { token, method, body });

/** A fresh inbound SMS conversation addressed to `queue`, straight through ingest. */
async function arrive(queue: string): Promise<string> {
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: `aq-${randomBytes(6).toString('hex')}`, customer: { identity: { channel: 'sms', address: addr } }, from: addr, text: 'a question', queue });
  return String(r.conversation._id);
}
/** The queue routing put the conversation in (its task), once routing has seen it. */
const routedQueue = (id: string) => waitFor(async () => (await h.hub.acd.snapshotTask(id))?.queue, 10_000, `task ${id} routed`);
const recordQueue = async (id: string) => (await h.hub.m.Conversation.findById(id, { queue: 1 }).lean())?.queue;
const audits = (action: string, id: string) => h.hub.m.Audit.countDocuments({ action, 'target.id': id });

describe('disable', () => {
  test('a disabled queue takes no new contacts: an arrival addressed to it goes to general (its record follows), a move into it is refused; enabling takes them again; audited', async () => {
    expect((await call(admin, 'PUT', '/api/admin/queues/loans', { label: { en: 'Loans', zh: '贷款' } })).status).toBe(200);
    const off = await call(admin, 'POST', '/api/admin/queues/loans/disable');
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.queue).toMatchObject({ id: 'loans', disabled: true });
    expect(await audits('queue.disable', 'loans')).toBe(1);
    // Saving its definition keeps it disabled (the switch is not part of the definition).
    expect((await call(admin, 'PUT', '/api/admin/queues/loans', { label: { en: 'Loans', zh: '贷款' }, stickySec: 10 })).body.queue.disabled).toBe(true);
    const listed = (await call(admin, 'GET', '/api/admin/queues')).body.queues.find((q: { id: string }) => q.id === 'loans');
    expect(listed.disabled).toBe(true);
    expect((await call(super1, 'GET', '/api/queues')).body.items).toContainEqual(expect.objectContaining({ id: 'loans', disabled: true }));

    const diverted = await arrive('loans');
    expect(await routedQueue(diverted)).toBe('general');
    await waitFor(async () => (await recordQueue(diverted)) === 'general', 10_000, 'record follows routing');

    const other = await arrive('general');
    await routedQueue(other);
    const move = await call(super1, 'POST', `/api/acd/conversations/${other}/move`, { queue: 'loans' });
    expect(move.status, JSON.stringify(move.body)).toBe(409);
    expect(move.body.error.code).toBe('queue_disabled');
    expect(await recordQueue(other)).toBe('general');

    const on = await call(admin, 'POST', '/api/admin/queues/loans/enable');
    expect(on.body.queue.disabled).toBe(false);
    expect(await audits('queue.enable', 'loans')).toBe(1);
    const kept = await arrive('loans');
    expect(await routedQueue(kept)).toBe('loans');
  });

  test('general cannot be disabled or deleted; unknown queues are 404; agents and supervisors are refused', async () => {
    for (const [method, path] of [['POST', '/api/admin/queues/general/disable'], ['DELETE', '/api/admin/queues/general']] as const) {
      const r = await call(admin, method, path);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('queue_required');
    }
    expect((await call(admin, 'POST', '/api/admin/queues/nowhere/disable')).status).toBe(404);
    expect((await call(admin, 'DELETE', '/api/admin/queues/nowhere')).status).toBe(404);
    expect((await call(super1, 'POST', '/api/admin/queues/loans/disable')).status).toBe(403);
    expect((await call(super1, 'DELETE', '/api/admin/queues/loans')).status).toBe(403);
    expect((await call(admin, 'DELETE', '/api/admin/queues/Bad!')).status).toBe(400);
  });
});

describe('delete', () => {
  test('a queue with live conversations cannot be deleted: 409 with the count and nothing changes; once they are moved out or resolved it is deleted, gone from every list and from its members', async () => {
    expect((await call(admin, 'PUT', '/api/admin/queues/mortgage', { label: { en: 'Mortgage' } })).status).toBe(200);
    const member = await call(admin, 'POST', '/api/admin/users', { username: 'mortgage.agent', name: 'Mortgage Agent', role: 'agent', password: 'a-long-password-9', queues: ['general', 'mortgage'] });
    expect(member.status).toBe(201);
    const a = await arrive('mortgage');
    const b = await arrive('mortgage');
    await routedQueue(a);
    await routedQueue(b);

    const refused = await call(admin, 'DELETE', '/api/admin/queues/mortgage');
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.error.code).toBe('queue_not_empty');
    expect(refused.body.error.message).toMatch(/\b2 live conversation/);
    expect(await h.hub.m.Queue.findById('mortgage').lean()).toMatchObject({ deleted: false, disabled: false });
    expect((await h.hub.m.User.findById(member.body.user.id).lean())?.queues).toEqual(['general', 'mortgage']);
    expect(await audits('queue.delete', 'mortgage')).toBe(0);

    // One moved out, one resolved: then it may go.
    expect((await call(super1, 'POST', `/api/acd/conversations/${a}/move`, { queue: 'general' })).status).toBe(200);
    expect((await call(super1, 'POST', `/api/conversations/${b}/resolve`, { wrapUpCode: 'resolved' })).status).toBe(200);
    const ok = await call(admin, 'DELETE', '/api/admin/queues/mortgage');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await audits('queue.delete', 'mortgage')).toBe(1);
    expect((await call(admin, 'GET', '/api/admin/queues')).body.queues.map((q: { id: string }) => q.id)).not.toContain('mortgage');
    expect((await call(super1, 'GET', '/api/queues')).body.items.map((q: { id: string }) => q.id)).not.toContain('mortgage');
    expect((await call(super1, 'GET', '/api/acd/overview')).body.queues.map((q: { id: string }) => q.id)).not.toContain('mortgage');
    expect((await h.hub.m.User.findById(member.body.user.id).lean())?.queues).toEqual(['general']);
    // Routing learned it too: the member is no longer one of its agents.
    await waitFor(async () => !(await h.hub.acd.snapshotAgent(member.body.user.id))?.skills['q:mortgage'], 10_000, 'membership gone in routing');
    // A user can no longer be put in it; a contact still addressed to it (a channel's default) is diverted, not lost.
    expect((await call(admin, 'PATCH', `/api/admin/users/${member.body.user.id}`, { queues: ['mortgage'] })).body.error.code).toBe('unknown_queue');
    const late = await arrive('mortgage');
    expect(await routedQueue(late)).toBe('general');
  });

  test('a queue another queue overflows into cannot be deleted (409 naming it); defining it again makes a new, enabled queue', async () => {
    expect((await call(admin, 'PUT', '/api/admin/queues/cards', { label: { en: 'Cards' } })).status).toBe(200);
    expect((await call(admin, 'PUT', '/api/admin/queues/cards-vip', { overflow: { afterSec: 60, queue: 'cards' } })).status).toBe(200);
    const r = await call(admin, 'DELETE', '/api/admin/queues/cards');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('queue_in_use');
    expect(r.body.error.message).toContain('cards-vip');
    expect((await call(admin, 'PUT', '/api/admin/queues/cards-vip', {})).status).toBe(200);
    expect((await call(admin, 'POST', '/api/admin/queues/cards/disable')).status).toBe(200);
    expect((await call(admin, 'DELETE', '/api/admin/queues/cards')).status).toBe(200);
    expect((await call(admin, 'DELETE', '/api/admin/queues/cards')).status).toBe(404);
    const again = await call(admin, 'PUT', '/api/admin/queues/cards', { label: { en: 'Cards again' } });
    expect(again.body.queue).toMatchObject({ id: 'cards', disabled: false });
    expect(await routedQueue(await arrive('cards'))).toBe('cards');
  });
});
