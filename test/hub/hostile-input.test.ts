/**
 * Every HTTP route and socket event of the hub against hostile input, as every kind of caller: malformed and
 * mistyped bodies, operator objects, prototype keys, deep nesting, odd content types, malformed ids
 * and queries. Each answer must be a clear 2xx/4xx with an error body, never a 5xx, and the hub must
 * log no error (an error log means a handler failed in a way nobody planned for).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';

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
/** Raw bodies with their content type. */
const BODIES: [contentType: string, raw: string][] = [
  ['application/json', 'not json'],
  ['application/json', '{"a":'],
  ['application/json', 'null'],
  ['application/json', '[]'],
  ['application/json', '"text"'],
  ['application/json', '12345'],
  ['application/json', '{}'],
  ['application/json', '{"__proto__":{"role":"admin","isAdmin":true}}'],
  ['application/json', '{"constructor":{"prototype":{"role":"admin"}}}'],
  ['application/json', deep(5000)],
  ['application/json', JSON.stringify({ text: { $gt: '' }, username: { $ne: null }, password: { $ne: null }, state: { $where: '1' } })],
  ['application/json', JSON.stringify({ text: ['a', 'b'], state: 7, reason: {}, agentId: [], queue: { $regex: '.*' }, priority: 'high', code: null, clientId: 5 })],
  ['application/json', JSON.stringify({ text: 'x'.repeat(200_000), name: 'y'.repeat(50_000), username: 'z'.repeat(50_000), password: 'p'.repeat(50_000) })],
  ['application/json', JSON.stringify({ priority: 1e308, state: 'available', queue: '../../etc/passwd', agentId: '000000000000000000000000', code: '\u0000', email: 'a@b', text: '<script>alert(1)</script>' })],
  ['application/json', '{"text":"nul\\u0000inside","name":"a\\u0000b","email":"x\\u0000@example.com","username":"agent1\\u0000","password":"p\\u0000","clientId":"nul-body-\\u00000001","wrapUpCode":"resolved\\u0000","reason":"break\\u0000","state":"not_ready"}'],
  ['text/plain', '{"text":"hello"}'],
  ['application/x-www-form-urlencoded', 'text=hello&username[$ne]=1'],
  ['multipart/form-data', 'garbage without a boundary'],
  ['multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="file"; filename="' + 'a'.repeat(5000) + '"\r\n\r\nabc\r\n--XX--\r\n'],
  ['multipart/form-data; boundary=XX', '--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\nunterminated'],
];
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
  h = await startTestHub({ name: 'hostile_http', log: pino({ level: 'warn' }, sink), overrides: { 'webchat.eventsPerSecond': 100_000, 'webchat.eventBurst': 100_000 } });
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

test('every route × every caller × hostile input: never a 5xx, always an error body on 4xx, no error logged', async () => {
  const failures: string[] = [];
  let calls = 0;
  for (const [method, template] of ROUTES) {
    for (const path of paths(template)) {
      for (const [who, token] of Object.entries(tokens)) {
        const variants: [string | undefined, string | undefined, string][] =
          method === 'GET' ? QUERIES.map((q) => [undefined, undefined, q] as [undefined, undefined, string]) : BODIES.map(([ct, raw]) => [ct, raw, ''] as [string, string, string]);
        // Every caller gets every variant on the first path; the malformed ids get a few (they fail on the id).
        const some = path.includes(conversationId) || !template.includes(':id') ? variants : variants.slice(0, 3);
        for (const [ct, raw, q] of some) {
          const r = await call(method, path + q, token, ct, raw);
          calls++;
          const where = `${method} ${path.slice(0, 80)}${q.slice(0, 40)} as ${who} [${ct ?? ''} ${raw?.slice(0, 40) ?? ''}]`;
          if (r.status >= 500) failures.push(`${where} → ${r.status} ${r.text.slice(0, 200)}`);
          else if (r.status >= 400) {
            let body: { error?: { code?: unknown; message?: unknown } } | undefined;
            try {
              body = JSON.parse(r.text);
            } catch {
              /* not JSON */
            }
            if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') failures.push(`${where} → ${r.status} without an error body: ${r.text.slice(0, 200)}`);
          }
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
];
/** Events the hub answers (through the ack), per namespace. */
const ACKED: Record<string, Set<string>> = { '/webchat': new Set(['message.send', 'history', 'read']), '/agent': new Set() };
const EVENTS: Record<string, string[]> = {
  '/webchat': ['message.send', 'history', 'read', 'typing', 'no.such.event', 'disconnect', '__proto__'],
  '/agent': ['typing', 'message.send', 'no.such.event', 'connect', 'constructor'],
};

test('every socket event × hostile payloads, with and without an ack: an answer or nothing, never a crash or an error log', async () => {
  const sockets = new Sockets();
  const failures: string[] = [];
  const ackedIds: string[] = [];
  for (const [nsp, token] of [['/webchat', tokens.visitor], ['/agent', tokens.agent1], ['/agent', tokens.super1]] as const) {
    const s = await sockets.connect(h.url, nsp, token!, { reconnection: false });
    for (const event of EVENTS[nsp]) {
      for (const p of PAYLOADS) {
        // Reserved names throw on the client side: that is the client library, not the hub.
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
          if (!/reserved/.test((e as Error).message)) throw e;
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
