/**
 * Issue 16, uploads and attachment links, as the attacker's requests: fields buffered before the file,
 * upload floods and quotas, files uploaded and never sent, a client-chosen extension, probing ids
 * without credentials, session tokens and forged or expired links in URLs.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';

let h: TestHub;
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'sec-uploads', overrides: { 'webchat.uploadsPerMinute': 4, 'uploads.bytesPerCustomerPerDay': 3000 } });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

async function visitor(name = 'Uploader') {
  const r = await api(h.url, '/api/webchat/session', { body: { name } });
  expect(r.status).toBe(200);
  return { token: r.body.token as string, visitorId: r.body.visitorId as string };
}
async function send(token: string, form: FormData) {
  const r = await fetch(`${h.url}/api/webchat/attachments`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}
function fileForm(text: string, filename = 'note.txt', type = 'text/plain') {
  const f = new FormData();
  f.append('file', new Blob([text], { type }), filename);
  return f;
}
const files = () => h.hub.conn.db!.collection('attachments.files').countDocuments();
const get = (path: string, token?: string) => fetch(h.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test('many large fields before the file are refused, not buffered; nothing is stored', async () => {
  const v = await visitor();
  const before = await files();
  const f = new FormData();
  for (let i = 0; i < 50; i++) f.append(`f${i}`, 'x'.repeat(64 * 1024));
  f.append('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
  const r = await send(v.token, f);
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(r.body.error.code).toMatch(/too_large|bad_upload|bad_request/);
  expect(await files()).toBe(before);
});

test('a file named evil.html is stored and served with the extension of its verified type', async () => {
  const v = await visitor();
  const r = await send(v.token, fileForm('<script>alert(1)</script>', '../../evil.html'));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.attachment.name).toBe('evil.txt');
  const dl = await get(r.body.attachment.url);
  expect(dl.status).toBe(200);
  expect(dl.headers.get('content-type')).toBe('text/plain');
  expect(dl.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''evil.txt");
});

test('uploads per visitor and minute are limited; past the day quota nothing more is stored', async () => {
  const v = await visitor();
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await send(v.token, fileForm(`file ${i}`))).status);
  expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);

  const q = await visitor('Quota');
  const big = 'q'.repeat(1400);
  expect((await send(q.token, fileForm(big))).status).toBe(201);
  expect((await send(q.token, fileForm(big))).status).toBe(201);
  const before = await files();
  const over = await send(q.token, fileForm(big)); // 4,200 bytes of a 3,000-byte day
  expect(over.status).toBe(429);
  expect(over.body.error.code).toBe('rate_limited');
  expect(await files()).toBe(before);
});

test('an upload never attached to a message is swept; an attached one stays', async () => {
  const v = await visitor('Sweep');
  const s = await sockets.connect(h.url, '/webchat', v.token);
  const kept = (await send(v.token, fileForm('kept'))).body.attachment;
  const ack = await s.timeout(5000).emitWithAck('message.send', { clientId: 'sweep-keep-1', text: 'here', attachmentIds: [kept.id] });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  const orphan = (await send(v.token, fileForm('never sent'))).body.attachment;
  const col = h.hub.conn.db!.collection('attachments.files');
  const { Types } = await import('mongoose');
  // Both uploaded two hours ago (the sweep takes unattached files older than the TTL, 1 h by default).
  await col.updateMany({ _id: { $in: [new Types.ObjectId(kept.id), new Types.ObjectId(orphan.id)] } }, { $set: { uploadDate: new Date(Date.now() - 2 * 3600_000) } });
  // Too old to attach now (the sweep may be deleting it).
  const late = await s.timeout(5000).emitWithAck('message.send', { clientId: 'sweep-late-1', text: 'late', attachmentIds: [orphan.id] });
  expect(late.error?.code).toBe('unknown_attachment');
  expect(await h.hub.uploadSweep.sweep()).toBeGreaterThanOrEqual(1);
  expect(await col.countDocuments({ _id: new Types.ObjectId(orphan.id) })).toBe(0);
  expect(await h.hub.conn.db!.collection('attachments.chunks').countDocuments({ files_id: new Types.ObjectId(orphan.id) })).toBe(0);
  expect(await col.countDocuments({ _id: new Types.ObjectId(kept.id) })).toBe(1);
});

test('without credentials an existing id and a missing one answer the same 401; a forged or expired link 403', async () => {
  const v = await visitor();
  const id = (await send(v.token, fileForm('secret'))).body.attachment.id as string;
  const missing = '0123456789abcdef01234567';
  for (const x of [id, missing]) {
    const r = await get(`/api/attachments/${x}`);
    expect(r.status, x).toBe(401);
    expect(((await r.json()) as any).error.code).toBe('unauthorized');
  }
  // The 30-day visitor token in a URL is not accepted any more.
  expect((await get(`/api/attachments/${id}?token=${encodeURIComponent(v.token)}`)).status).toBe(401);
  // A link signed for another id, with a moved expiry, or expired: refused whether the file exists or not.
  const good = h.hub.tokens.attachmentLink(missing);
  const linkSig = (h.hub.tokens as unknown as { linkSig(id: string, exp: number): string }).linkSig.bind(h.hub.tokens);
  const past = Math.floor(Date.now() / 1000) - 5;
  for (const q of [`exp=${good.exp}&sig=${good.sig}`, `exp=${good.exp + 3600}&sig=${h.hub.tokens.attachmentLink(id).sig}`, `exp=${past}&sig=${linkSig(id, past)}`, 'exp=1&sig=x', 'sig=']) {
    const r = await get(`/api/attachments/${id}?${q}`);
    expect(r.status, q).toBe(403);
  }
  const ok = h.hub.tokens.attachmentLink(id);
  expect((await get(`/api/attachments/${id}?exp=${ok.exp}&sig=${ok.sig}`)).status).toBe(200);
});
