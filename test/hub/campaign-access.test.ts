/**
 * Marketing manages campaigns and sees aggregates, never conversation contents (issue 22 "Access"):
 * every route the hub has under the conversation, message, customer, attachment and routing-contents
 * prefixes (read from the running hub's route table, so a route added later is walked too) refuses
 * the marketing role with 403 and changes nothing; the agent socket refuses marketing; supervisors
 * see both campaigns and conversations.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { routeTable } from '../helpers/routes.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { SocketRefused, Sockets } from '../helpers/sockets.js';

let h: TestHub;
const sockets = new Sockets();
const CONTENT = [/^\/api\/conversations/, /^\/api\/customers/, /^\/api\/attachments/, /^\/api\/acd\/conversations/, /^\/api\/acd\/offers/, /^\/api\/suppressions/];

beforeAll(async () => {
  h = await startTestHub({ name: 'campaign-access' });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const routes = () => routeTable(h.hub.app);

test('marketing is refused every conversation, message, customer and attachment route, and the agent socket', async () => {
  const mkt = await loginAs(h.url, 'market1');
  const walked = routes().filter((r) => CONTENT.some((re) => re.test(r.path)));
  // The table is read, not listed by hand: the known content routes are among what is walked.
  for (const known of ['GET /api/conversations', 'GET /api/conversations/:id/messages', 'GET /api/customers/:id', 'POST /api/conversations/:id/messages', 'GET /api/attachments/:id', 'GET /api/customers/:id/consents']) expect(walked.map((r) => `${r.method} ${r.path}`)).toContain(known);
  const before = await Promise.all([h.hub.m.Conversation.countDocuments({}), h.hub.m.Message.countDocuments({}), h.hub.m.Audit.countDocuments({ action: { $ne: 'login' } })]);
  const id = (await h.hub.m.Customer.findOne({}).lean())!._id;
  for (const r of walked) {
    const path = r.path.replace(/:[A-Za-z]+/g, String(id));
    const res = await api(h.url, path, { method: r.method, token: mkt, ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { body: { text: 'x', clientId: 'mkt-probe-0001' } }) });
    expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 403 });
  }
  expect(await Promise.all([h.hub.m.Conversation.countDocuments({}), h.hub.m.Message.countDocuments({}), h.hub.m.Audit.countDocuments({ action: { $ne: 'login' } })])).toEqual(before);
  const refused = await sockets.connect(h.url, '/agent', mkt).then(() => null, (e) => e);
  expect(refused).toBeInstanceOf(SocketRefused);
  // The campaign progress socket is theirs, and not an agent's.
  await sockets.connect(h.url, '/campaigns', mkt);
  const agentRefused = await sockets.connect(h.url, '/campaigns', await loginAs(h.url, 'agent1')).then(() => null, (e) => e);
  expect(agentRefused?.code).toBe('forbidden');
});

test('marketing and supervisors see campaigns; supervisors also see conversations', async () => {
  const mkt = await loginAs(h.url, 'market1');
  const sup = await loginAs(h.url, 'super1');
  expect((await api(h.url, '/api/campaigns', { token: mkt })).status).toBe(200);
  expect((await api(h.url, '/api/campaigns', { token: sup })).status).toBe(200);
  expect((await api(h.url, '/api/conversations', { token: sup })).status).toBe(200);
});
