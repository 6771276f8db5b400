/**
 * A request refused before its body was read to the end (an upload cut off at the size limit, an
 * upload without a valid session) must not poison its keep-alive connection: the client's next request
 * on that same connection is answered. Before the fix the unread rest of the upload stayed on the
 * socket and the next request (an agent starting a conversation, in the conformance suite) hung.
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';

const LIMIT = 64 * 1024;
let h: TestHub;
let agent: http.Agent;

beforeAll(async () => {
  h = await startTestHub({ name: 'keepalive', seed: false, overrides: { 'webchat.maxAttachmentBytes': LIMIT } });
  // One socket, kept alive: every request below travels on the same connection as the refused one.
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
});
afterAll(async () => {
  agent?.destroy();
  await h?.close();
});

function request(path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; body: string; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.url}${path}`, { agent, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString(), socket: req.socket }));
      res.on('error', reject);
    });
    // The bound that turns a hang into a named failure (a working hub answers in milliseconds).
    req.setTimeout(15_000, () => req.destroy(new Error(`${init.method ?? 'GET'} ${path} got no answer: the connection is stuck`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

function multipart(bytes: number) {
  const boundary = 'keepalive-boundary';
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.pdf"\r\ncontent-type: application/pdf\r\n\r\n%PDF-1.4\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, Buffer.alloc(bytes, 0x41), tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

test('after an upload cut off at the size limit (413), the next request on the same connection is answered', async () => {
  const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Keepalive Visitor' } });
  expect(sess.status).toBe(200);
  const up = multipart(LIMIT * 16);
  const refused = await request('/api/webchat/attachments', { method: 'POST', body: up.body, headers: { ...up.headers, authorization: `Bearer ${sess.body.token}` } });
  expect(refused.status).toBe(413);
  expect(JSON.parse(refused.body).error.code).toBe('too_large');
  const next = await request('/healthz');
  expect(next.status).toBe(200);
  // And the upload path still works on whatever connection comes next.
  const small = multipart(1024);
  const ok = await request('/api/webchat/attachments', { method: 'POST', body: small.body, headers: { ...small.headers, authorization: `Bearer ${sess.body.token}` } });
  expect(ok.status).toBe(201);
});

test('after an upload refused before reading (no session, 401), the next request on the same connection is answered', async () => {
  const up = multipart(LIMIT * 16);
  const refused = await request('/api/webchat/attachments', { method: 'POST', body: up.body, headers: { ...up.headers, authorization: 'Bearer nonsense' } });
  expect(refused.status).toBe(401);
  const next = await request('/healthz');
  expect(next.status).toBe(200);
});
