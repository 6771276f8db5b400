/**
 * Every HTTP route and socket event of the hub against hostile input, as every kind of caller: malformed and
 * mistyped bodies, operator objects, prototype keys, deep nesting, odd content types, malformed ids
 * and queries. Bad input must get a 4xx with an error body (a 2xx only where the input is valid for
 * that route: see Verdict), never a 5xx, and the hub must log no error (an error log means a handler
 * failed in a way nobody planned for). Sockets: hostile handshakes are refused with a code, hostile
 * events answered or ignored, and reserved event names sent raw change nothing.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { routeTable } from '../helpers/routes.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';
import { nextEvent } from '../helpers/wait.js';

const ROUTES: [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string][] = [
  ['GET', '/api/admin/users'],
  ['POST', '/api/admin/users'],
  ['PATCH', '/api/admin/users/:id'],
  ['GET', '/api/admin/teams'],
  ['PUT', '/api/admin/teams/:id'],
  ['DELETE', '/api/admin/teams/:id'],
  ['GET', '/api/admin/queues'],
  ['PUT', '/api/admin/queues/:id'],
  ['GET', '/api/acd/me'],
  ['GET', '/api/acd/overview'],
  ['GET', '/api/attachments/:id'],
  ['GET', '/api/conversations'],
  ['GET', '/api/conversations/:id'],
  ['GET', '/api/conversations/:id/messages'],
  ['GET', '/api/customers/:id'],
  ['GET', '/api/me'],
  ['GET', '/api/webchat/status'],
  ['GET', '/api/wrapup-codes'],
  ['POST', '/api/acd/agents/:id/state'],
  ['POST', '/api/acd/conversations/:id/move'],
  ['POST', '/api/acd/conversations/:id/priority'],
  ['POST', '/api/acd/conversations/:id/reassign'],
  ['POST', '/api/acd/conversations/:id/takeover'],
  ['POST', '/api/acd/me/state'],
  ['POST', '/api/acd/me/wrapup-end'],
  ['POST', '/api/acd/offers/:id/accept'],
  ['POST', '/api/acd/offers/:id/reject'],
  ['POST', '/api/auth/login'],
  ['POST', '/api/conversations'],
  ['POST', '/api/customers/:id/merge'],
  ['POST', '/api/conversations/:id/claim'],
  ['POST', '/api/conversations/:id/messages'],
  ['POST', '/api/conversations/:id/read'],
  ['POST', '/api/conversations/:id/resolve'],
  ['POST', '/api/webchat/attachments'],
  ['POST', '/api/webchat/offline'],
  ['POST', '/api/webchat/session'],
];

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
/**
 * What a route may do with a raw body:
 *  - 'bad': refused with a 4xx by every route (not JSON, or a content type no JSON route reads);
 *  - 'bad-body': refused with a 4xx by every route that reads a body; routes whose input is only the
 *    path and the caller (BODILESS) may ignore it;
 *  - 'may-pass': valid for some routes (an empty body where every field has a default, unknown keys
 *    dropped, NUL stripped at the edge by parseBody): a 2xx is allowed, the checks after the sweep
 *    (no prototype pollution, roles unchanged) still hold.
 */
type Verdict = 'bad' | 'bad-body' | 'may-pass';
/** Raw bodies with their content type and verdict. */
const BODIES: [contentType: string, raw: string, verdict: Verdict][] = [
  ['application/json', 'not json', 'bad'],
  ['application/json', '{"a":', 'bad'],
  ['application/json', 'null', 'may-pass'],
  ['application/json', '[]', 'bad-body'],
  ['application/json', '"text"', 'bad-body'],
  ['application/json', '12345', 'bad-body'],
  ['application/json', '{}', 'may-pass'],
  ['application/json', '{"__proto__":{"role":"admin","isAdmin":true}}', 'may-pass'],
  ['application/json', '{"constructor":{"prototype":{"role":"admin"}}}', 'may-pass'],
  ['application/json', deep(5000), 'bad-body'],
  ['application/json', JSON.stringify({ text: { $gt: '' }, username: { $ne: null }, password: { $ne: null }, state: { $where: '1' } }), 'bad-body'],
  ['application/json', JSON.stringify({ text: ['a', 'b'], state: 7, reason: {}, agentId: [], queue: { $regex: '.*' }, priority: 'high', code: null, clientId: 5 }), 'bad-body'],
  ['application/json', JSON.stringify({ text: 'x'.repeat(200_000), name: 'y'.repeat(50_000), username: 'z'.repeat(50_000), password: 'p'.repeat(50_000) }), 'bad-body'],
  ['application/json', JSON.stringify({ priority: 1e308, state: 'available', queue: '../../etc/passwd', agentId: '000000000000000000000000', code: '\u0000', email: 'a@b', text: '<script>alert(1)</script>' }), 'may-pass'],
  ['application/json', '{"text":"nul\\u0000inside","name":"a\\u0000b","email":"x\\u0000@example.com","username":"agent1\\u0000","password":"p\\u0000","clientId":"nul-body-\\u00000001","wrapUpCode":"resolved\\u0000","reason":"break\\u0000","state":"not_ready"}', 'may-pass'],
  ['text/plain', '{"text":"hello"}', 'bad-body'],
  ['application/x-www-form-urlencoded', 'text=hello&username[$ne]=1', 'bad'],
  ['multipart/form-data', 'garbage without a boundary', 'bad'],
  ['multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="file"; filename="' + 'a'.repeat(5000) + '"\r\n\r\nabc\r\n--XX--\r\n', 'bad'],
  ['multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nunterminated', 'bad'],
];
/** Routes whose input is only the path and the caller: a well-formed body is ignored, not refused. */
const BODILESS = new Set([
  'POST /api/conversations/:id/claim', 'POST /api/conversations/:id/read', 'POST /api/acd/conversations/:id/takeover',
  'POST /api/acd/me/wrapup-end', 'POST /api/acd/offers/:id/accept', 'POST /api/acd/offers/:id/reject', 'DELETE /api/admin/teams/:id',
]);
/** The upload route reads multipart: a well-formed upload of a file may pass there. */
const UPLOAD = 'POST /api/webchat/attachments';
/** Queries the paged list must refuse (the other GET routes take no such parameter and ignore unknown ones). */
const BAD_LIST_QUERIES = new Set(['?limit=-1', '?limit=1e9', '?limit=abc', '?before=not-a-date']);

/** Whether this answer breaks the promise: a 2xx where the input is bad for this route. */
function wronglyAccepted(route: string, verdict: Verdict | undefined, query: string, raw: string | undefined): boolean {
  if (route === UPLOAD && raw?.includes('filename=')) return false;
  if (verdict === 'bad') return true;
  if (verdict === 'bad-body') return !BODILESS.has(route);
  if (route === 'GET /api/conversations') return BAD_LIST_QUERIES.has(query);
  return false;
}
const IDS = ['nothex', '0'.repeat(24), 'ffffffffffffffffffffffff', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(5000), '%7B%22%24gt%22%3A%22%22%7D'];
const QUERIES = ['', '?status=open&status=queued', '?status[]=x', '?limit=-1', '?limit=1e9', '?limit=abc', '?channel=%3Cscript%3E', '?before=not-a-date', '?scope=all&scope=mine', '?q[$ne]=1', '?cursor=' + 'z'.repeat(3000)];

let h: TestHub;
const errorLogs: string[] = [];
let conversationId = '';
const tokens: Record<string, string | undefined> = {};

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line && JSON.parse(line).level >= 50) errorLogs.push(line.slice(0, 2000));
      cb();
    },
  });
  h = await startTestHub({ name: 'hostile_http', log: pino({ level: 'warn' }, sink), overrides: { 'webchat.eventsPerSecond': 100_000, 'webchat.eventBurst': 100_000, 'webchat.messagesPer10s': 100_000, 'webchat.connectionsPerMinute': 100_000 } });
  tokens.none = undefined;
  tokens.garbage = 'not.a.jwt';
  for (const u of ['agent1', 'super1', 'admin', 'market1']) tokens[u] = await loginAs(h.url, u);
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Hostile Test Visitor' } });
  tokens.visitor = sess.body.token;
  // One real conversation, so id routes get past "not found" into their handlers.
  const { io } = await import('socket.io-client');
  const s = io(`${h.url}/webchat`, { auth: { token: tokens.visitor }, transports: ['websocket'] });
  const ack = await s.timeout(5000).emitWithAck('message.send', { clientId: 'hostile-0001', text: 'hello' });
  conversationId = ack.message.conversationId;
  s.close();
});
afterAll(async () => {
  await h?.close();
});

function paths(template: string): string[] {
  if (!template.includes(':id')) return [template];
  return [conversationId, ...IDS].map((id) => template.replace(':id', id));
}

async function call(method: string, path: string, token: string | undefined, contentType?: string, raw?: string) {
  const r = await fetch(h.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(contentType ? { 'content-type': contentType } : {}) },
    body: raw,
  });
  const text = await r.text();
  return { status: r.status, text };
}

/** Whether a refusal carries the promised `{ error: { code, message } }` body. */
function hasErrorBody(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } } | null;
    return typeof body?.error?.code === 'string' && typeof body.error.message === 'string';
  } catch {
    return false;
  }
}

test('every route × every caller × hostile input: bad input gets a 4xx with an error body, never a 5xx, no error logged', async () => {
  const failures: string[] = [];
  let calls = 0;
  for (const [method, template] of ROUTES) {
    for (const path of paths(template)) {
      for (const [who, token] of Object.entries(tokens)) {
        const variants: [string | undefined, string | undefined, string, Verdict | undefined][] =
          method === 'GET' ? QUERIES.map((q) => [undefined, undefined, q, undefined]) : BODIES.map(([ct, raw, v]) => [ct, raw, '', v]);
        // Every caller gets every variant on the first path; the malformed ids get a few (they fail on the id).
        const some = path.includes(conversationId) || !template.includes(':id') ? variants : variants.slice(0, 3);
        for (const [ct, raw, q, verdict] of some) {
          const r = await call(method, path + q, token, ct, raw);
          calls++;
          const where = `${method} ${path.slice(0, 80)}${q.slice(0, 40)} as ${who} [${ct ?? ''} ${raw?.slice(0, 40) ?? ''}]`;
          if (r.status >= 500) failures.push(`${where} → ${r.status} ${r.text.slice(0, 200)}`);
          else if (r.status < 400 && wronglyAccepted(`${method} ${template}`, verdict, q, raw)) failures.push(`${where} → ${r.status}: bad input accepted`);
          else if (r.status >= 400 && !hasErrorBody(r.text)) failures.push(`${where} → ${r.status} without an error body: ${r.text.slice(0, 200)}`);
        }
      }
    }
  }
  expect(calls).toBeGreaterThan(1000);
  expect(failures).toEqual([]);
  expect(errorLogs).toEqual([]);
  // Still healthy, and the prototype keys changed nothing.
  expect((await api(h.url, '/readyz')).status).toBe(200);
  expect(({} as Record<string, unknown>).role).toBeUndefined();
  const me = await api(h.url, '/api/me', { token: tokens.agent1 });
  expect(me.body.user.role).toBe('agent');
}, 240_000);

const PAYLOADS: unknown[] = [
  undefined,
  null,
  0,
  -1e308,
  'text',
  '',
  [],
  [1, 2, 3],
  {},
  { __proto__: { typing: true }, constructor: { prototype: { ok: true } } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  { clientId: 'x'.repeat(64), text: { $gt: '' } },
  { clientId: ['a'], text: 5, attachmentIds: 'nope' },
  { clientId: 'hostile-sock-01', text: 'ok', attachmentIds: ['0'.repeat(24), 'zz'] },
  { clientId: 'hostile-sock-02', text: '\u0000\uffff<img src=x onerror=alert(1)>' },
  { clientId: 'hostile-sock-03', text: 'x'.repeat(60_000) },
  { clientId: 'hostile-sock-04', text: 'lone \ud800 surrogate, \udfff too' },
  { clientId: 'hostile-sock-05', text: 'literal \\u0000 and \\x00, emoji 👩‍👩‍👧 and RTL \u202e txet' },
  { clientId: 'hostile-sock-06', text: '{"$gt": ""} {{constructor.constructor("return process")()}} ${process.exit()}' },
  { upTo: { $gt: '' } },
  { upTo: 'ffffffffffffffffffffffff' },
  { conversationId: { $ne: null }, typing: 'yes' },
  { conversationId: '0'.repeat(24), typing: true },
  { typing: true },
  { typing: false },
  { ids: [{ $gt: '' }] },
  { ids: 'ffffffffffffffffffffffff' },
  { ids: ['0'.repeat(24), { $ne: null }] },
  { ids: Array.from({ length: 1000 }, () => 'f'.repeat(24)) }, // over the 100 a console sends, within the 64 KiB packet limit
  { ids: [] },
];
/** Events the hub answers (through the ack), per namespace. */
const ACKED: Record<string, Set<string>> = { '/webchat': new Set(['message.send', 'history', 'read']), '/agent': new Set() };
/** Names socket.io reserves for itself; a client can still put them on the wire. */
const RESERVED = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];
const EVENTS: Record<string, string[]> = {
  '/webchat': ['message.send', 'history', 'read', 'typing', 'no.such.event', '__proto__'],
  '/agent': ['typing', 'conversation.ack', 'message.send', 'no.such.event', 'constructor'],
};

test('every socket event × hostile payloads, with and without an ack: an answer or nothing, never a crash or an error log', async () => {
  const sockets = new Sockets();
  const failures: string[] = [];
  const ackedIds: string[] = [];
  for (const [nsp, token] of [['/webchat', tokens.visitor], ['/agent', tokens.agent1], ['/agent', tokens.super1]] as const) {
    let s = await sockets.connect(h.url, nsp, token!, { reconnection: false });
    for (const event of EVENTS[nsp]) {
      if (nsp === '/agent') {
        // A fresh console connection per event: the console namespace's flood budget (fixed, 200 at
        // once) would otherwise refuse the tail of the sweep before any handler saw it.
        s.close();
        s = await sockets.connect(h.url, nsp, token!, { reconnection: false });
      }
      for (const p of PAYLOADS) {
        try {
          s.emit(event, p);
          if (!ACKED[nsp].has(event)) {
            // No answer is defined for these: sent with an ack callback too, which the hub must ignore.
            s.emit(event, p, () => failures.push(`${nsp} ${event}: answered an event that has no answer`));
            continue;
          }
          const ack = await s.timeout(5000).emitWithAck(event, p).catch((e: Error) => ({ timeout: e.message }));
          if (event === 'message.send' && ack && typeof ack === 'object' && (ack as { ok?: boolean }).ok) ackedIds.push((ack as { message: { id: string } }).message.id);
          if (ack && typeof ack === 'object' && 'timeout' in ack) failures.push(`${nsp} ${event} ${JSON.stringify(p)?.slice(0, 60)}: no answer`);
          if (ack && typeof ack === 'object' && 'ok' in ack && ack.ok === false && typeof (ack as { error?: { code?: unknown } }).error?.code !== 'string') failures.push(`${nsp} ${event} ${JSON.stringify(p)?.slice(0, 60)}: refusal without an error code`);
        } catch (e) {
          failures.push(`${nsp} ${event}: the client refused to send it (${(e as Error).message})`);
        }
        if (!s.connected) {
          failures.push(`${nsp} ${event} ${JSON.stringify(p)?.slice(0, 60)}: connection dropped`);
          s.connect();
          await new Promise<void>((r) => s.once('connect', () => r()));
        }
      }
    }
    // The connection still works after the whole sweep: a round trip (the agent namespace has no
    // answered event: an HTTP round trip gives the hub time to read what was sent, then it must still be up).
    if (nsp === '/webchat') expect((await s.timeout(5000).emitWithAck('history', {})).ok).toBe(true);
    else expect((await api(h.url, '/readyz')).status).toBe(200);
    expect(s.connected).toBe(true);
    s.close();
  }
  expect(failures).toEqual([]);
  expect(errorLogs).toEqual([]);
  // An ok ack means stored: every message acked above is in the store (a NUL once got acked unstored).
  expect(ackedIds.length).toBeGreaterThan(0);
  for (const id of ackedIds) expect(await h.hub.m.Message.exists({ _id: id }), `acked message ${id} is stored`).toBeTruthy();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((await api(h.url, '/readyz')).status).toBe(200);
}, 240_000);

test('reserved event names (connect, disconnect...) forged as raw packets: the connection is closed, no handler runs, no error', async () => {
  const sockets = new Sockets();
  for (const [nsp, token] of [['/webchat', tokens.visitor], ['/agent', tokens.agent1]] as const) {
    for (const event of RESERVED) {
      // The client library refuses to emit these names: written on the wire as a socket.io EVENT packet.
      const s = await sockets.connect(h.url, nsp, token!, { reconnection: false });
      const closed = nextEvent<string>(s, 'disconnect', () => true, 5000);
      s.io.engine.write(`42${nsp},${JSON.stringify([event, { clientId: 'reserved-name-01', text: 'x' }])}`);
      expect(await closed, `${nsp} ${event}`).toBe('transport close');
    }
  }
  sockets.closeAll();
  expect(await h.hub.m.Message.countDocuments({ clientId: 'reserved-name-01' })).toBe(0);
  expect(errorLogs).toEqual([]);
  expect((await api(h.url, '/readyz')).status).toBe(200);
});

test('hostile handshakes on both namespaces are refused with a code, and the hub logs no error', async () => {
  const sockets = new Sockets();
  const huge = 'x'.repeat(16_000); // long, within the socket's 64 KiB packet limit (beyond it socket.io drops the connection itself)
  const AUTHS: [string, unknown][] = [
    ['no token', undefined], ['empty', ''], ['garbage', 'not.a.jwt'], ['huge', huge], ['operator', { $ne: null }],
    ['array', [tokens.agent1]], ['number', 12345], ['prototype', JSON.parse('{"__proto__":{"role":"admin"}}')],
  ];
  const refused: string[] = [];
  for (const nsp of ['/webchat', '/agent']) {
    // The other namespace's kind of token is no key either.
    const cases: [string, unknown][] = [...AUTHS, ['wrong kind', nsp === '/agent' ? tokens.visitor : tokens.agent1]];
    for (const [what, token] of cases) {
      const r = await sockets.connect(h.url, nsp, token as string, { reconnection: false }).then(
        () => 'connected',
        (e: Error & { code?: string }) => e.code ?? `no code: ${e.message}`,
      );
      refused.push(`${nsp} ${what}: ${r}`);
    }
  }
  sockets.closeAll();
  for (const line of refused) expect(line).toMatch(/: (unauthorized|forbidden|invalid_token|bad_request)$/);
  expect(errorLogs).toEqual([]);
});

test('sockets that send hostile events and vanish before the answer leave no error and no half-stored message', async () => {
  const sockets = new Sockets();
  const sent: string[] = [];
  for (let i = 0; i < PAYLOADS.length; i++) {
    const s = await sockets.connect(h.url, '/webchat', tokens.visitor!, { reconnection: false });
    for (const event of ['message.send', 'history', 'read', 'typing']) s.emit(event, PAYLOADS[i], () => undefined);
    // And one valid message, whose answer nobody will read.
    const clientId = `vanish-${String(i).padStart(4, '0')}`;
    s.emit('message.send', { clientId, text: `vanishing ${i}` }, () => undefined);
    sent.push(clientId);
    s.disconnect(); // at once: the hub handles the events of a socket that is gone
  }
  sockets.closeAll();
  // Each vanished message is stored once or not at all; a later resend (the widget's outbox) stores it exactly once.
  const again = await sockets.connect(h.url, '/webchat', tokens.visitor!, { reconnection: false });
  for (const clientId of sent) {
    const ack = await again.timeout(10_000).emitWithAck('message.send', { clientId, text: 'resent' });
    expect(ack.ok, `${clientId} ${JSON.stringify(ack.error)}`).toBe(true);
    expect(await h.hub.m.Message.countDocuments({ clientId }), clientId).toBe(1);
  }
  sockets.closeAll();
  expect(errorLogs).toEqual([]);
  expect((await api(h.url, '/readyz')).status).toBe(200);
});


test('every other API route in the hub\'s table (campaigns, IVR, canned replies, tags, consents...) × every caller × hostile input: never a 5xx, always an error body, no error logged', async () => {
  // Read from the table, so a route added later is swept without anyone listing it here.
  const listed = new Set(ROUTES.map(([m, p]) => `${m} ${p}`));
  const others = routeTable(h.hub.app).map((r) => [r.method, r.path] as const).filter(([m, p]) => p.startsWith('/api/') && !listed.has(`${m} ${p}`));
  expect(others.length).toBeGreaterThan(10);
  const failures: string[] = [];
  let calls = 0;
  for (const [method, template] of others) {
    // Any path parameter (:id, :shortcut, :name...) gets the real conversation id and the hostile ids.
    const concrete = [conversationId, ...IDS].map((id) => template.replace(/:[A-Za-z]+/g, id));
    const targets = template.includes(':') ? concrete : [template];
    const variants: [string | undefined, string | undefined, string][] = method === 'GET' ? QUERIES.map((q) => [undefined, undefined, q]) : BODIES.map(([ct, raw]) => [ct, raw, '']);
    // The callers in parallel (each its own requests in order): the sweep is thousands of calls.
    await Promise.all(
      Object.entries(tokens).map(async ([who, token]) => {
        for (const path of targets) {
          const some = path === targets[0] ? variants : variants.slice(0, 3);
          for (const [ct, raw, q] of some) {
            const r = await call(method, path + q, token, ct, raw);
            calls++;
            const where = `${method} ${path.slice(0, 80)}${q.slice(0, 40)} as ${who} [${ct ?? ''} ${raw?.slice(0, 40) ?? ''}]`;
            if (r.status >= 500) failures.push(`${where} → ${r.status} ${r.text.slice(0, 200)}`);
            else if (r.status >= 400 && !hasErrorBody(r.text)) failures.push(`${where} → ${r.status} without an error body: ${r.text.slice(0, 200)}`);
          }
        }
      }),
    );
  }
  expect(calls).toBeGreaterThan(1000);
  expect(failures).toEqual([]);
  expect(errorLogs).toEqual([]);
  expect((await api(h.url, '/readyz')).status).toBe(200);
}, 300_000);
