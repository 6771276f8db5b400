/**
 * Who may use the routing controls, checked server-side against the stored role, and the audit trail
 * each use leaves: move, priority, takeover, another agent's state (supervisors and admins only), an
 * agent's own state and wrap-up end (agents too, marketing never), and an admin's team deletion.
 * Each test makes its own conversation, so any one of them runs alone.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { newVisitor } from '../helpers/visitor.js';

let h: TestHub;
const sockets = new Sockets();
const tok: Record<string, string> = {};
const ids: Record<string, string> = {};
beforeAll(async () => {
  h = await startTestHub({ name: 'supervisor_controls' });
  for (const u of ['agent1', 'agent2', 'super1', 'market1', 'admin']) {
    tok[u] = await loginAs(h.url, u);
    ids[u] = (await api(h.url, '/api/me', { token: tok[u] })).body.user.id;
  }
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

/** A visitor's new conversation in the general queue (nobody routes: it waits). */
async function newConversation(): Promise<string> {
  return (await (await newVisitor(h.url, sockets, 'Controls Visitor')).send('help')).conversationId;
}

const audits = (action: string, id: string) => h.hub.m.Audit.find({ action, 'target.id': id }).lean();

test('agents and marketing are refused move, priority, takeover, reassign and another agent\'s state; nothing changes, nothing is audited', async () => {
  const id = await newConversation();
  const before = await h.hub.m.Conversation.findById(id).lean();
  const calls: [string, unknown][] = [
    [`/api/acd/conversations/${id}/move`, { queue: 'cards' }],
    [`/api/acd/conversations/${id}/priority`, { priority: 9 }],
    [`/api/acd/conversations/${id}/takeover`, undefined],
    [`/api/acd/conversations/${id}/reassign`, { agentId: ids.agent2, force: true }],
    [`/api/acd/agents/${ids.agent2}/state`, { state: 'offline' }],
  ];
  for (const who of ['agent1', 'market1']) {
    for (const [path, body] of calls) {
      const r = await api(h.url, path, { token: tok[who], method: 'POST', body });
      expect(r.status, `${who} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
  }
  const after = await h.hub.m.Conversation.findById(id).lean();
  expect({ queue: after?.queue, priority: after?.priority, assigneeId: after?.assigneeId ?? null }).toEqual({ queue: before?.queue, priority: before?.priority, assigneeId: before?.assigneeId ?? null });
  expect(await h.hub.m.Audit.countDocuments({ 'target.id': { $in: [id, ids.agent2] }, action: /^(conversation|agent)\./ })).toBe(0);
});

test('a supervisor\'s move, priority and takeover are applied and audited with who, from and to', async () => {
  const id = await newConversation();
  const who = { 'actor.id': ids.super1, 'actor.role': 'supervisor' };
  const moved = await api(h.url, `/api/acd/conversations/${id}/move`, { token: tok.super1, body: { queue: 'cards' } });
  expect(moved.status).toBe(200);
  expect(await audits('conversation.move', id)).toEqual([expect.objectContaining({ details: { from: 'general', to: 'cards' } })]);
  expect(await h.hub.m.Audit.countDocuments({ action: 'conversation.move', 'target.id': id, ...who })).toBe(1);

  const pri = await api(h.url, `/api/acd/conversations/${id}/priority`, { token: tok.super1, body: { priority: 9 } });
  expect(pri.status).toBe(200);
  expect(pri.body.conversation.priority).toBe(9);
  expect((await h.hub.m.Conversation.findById(id).lean())?.priority).toBe(9);
  expect((await audits('conversation.priority', id)).map((a) => a.details)).toEqual([{ from: 0, to: 9 }]);

  const took = await api(h.url, `/api/acd/conversations/${id}/takeover`, { token: tok.super1, method: 'POST' });
  expect(took.status).toBe(200);
  expect(took.body.conversation.assignee.id).toBe(ids.super1);
  expect((await audits('conversation.takeover', id)).map((a) => [a.actor?.id, a.details])).toEqual([[ids.super1, { from: null }]]);
});

test('an agent may set their own state and end their own wrap-up; marketing may not; the state change is audited', async () => {
  const st = await api(h.url, '/api/acd/me/state', { token: tok.agent2, body: { state: 'available' } });
  expect(st.status).toBe(200);
  expect(st.body.agent.state).toBe('available');
  expect(await h.hub.m.Audit.countDocuments({ action: 'agent.state', 'target.id': ids.agent2, 'actor.id': ids.agent2 })).toBe(1);
  const end = await api(h.url, '/api/acd/me/wrapup-end', { token: tok.agent2, method: 'POST' });
  expect(end.status).toBe(200);
  expect(end.body.agent.state).toBe('available');
  for (const path of ['/api/acd/me/state', '/api/acd/me/wrapup-end']) {
    const r = await api(h.url, path, { token: tok.market1, body: { state: 'available' } });
    expect(r.status, path).toBe(403);
  }
});

test('an admin\'s team deletion is audited; a supervisor cannot delete a team', async () => {
  const team = `t${Date.now().toString(36)}`;
  expect((await api(h.url, `/api/admin/teams/${team}`, { token: tok.admin, method: 'PUT', body: { name: 'Temp team' } })).status).toBeLessThan(300);
  expect((await api(h.url, `/api/admin/teams/${team}`, { token: tok.super1, method: 'DELETE' })).status).toBe(403);
  expect(await audits('team.delete', team)).toHaveLength(0);
  expect((await api(h.url, `/api/admin/teams/${team}`, { token: tok.admin, method: 'DELETE' })).status).toBe(200);
  expect((await audits('team.delete', team)).map((a) => a.actor?.id)).toEqual([ids.admin]);
});
