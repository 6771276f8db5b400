/**
 * Web chat attachments end to end: a real PNG uploaded over multipart, sent with a message over the
 * socket and downloaded by the agent and by its visitor; everyone else, oversize files, lying content
 * and disallowed types are refused and leave nothing in GridFS.
 */
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { Sockets } from '../helpers/sockets.js';

const MAX = 2048;
let h: TestHub;
const sockets = new Sockets();

beforeAll(async () => {
  h = await startTestHub({ name: 'attach', overrides: { 'webchat.maxAttachmentBytes': MAX } });
});
afterAll(async () => {
  sockets.closeAll();
  await h?.close();
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A valid w×h RGB PNG; `noise` makes the pixel data incompressible (to build an oversize file). */
function png(w = 1, h = 1, noise = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let i = 1; i <= w * 3; i++) raw[y * (w * 3 + 1) + i] = noise ? (Math.imul(y * 7919 + i, 2654435761) >>> 24) & 0xff : 0xcc;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: noise ? 0 : 9 })), chunk('IEND', Buffer.alloc(0))]);
}

async function visitor(name: string) {
  const sess = await api(h.url, '/api/webchat/session', { body: { name } });
  expect(sess.status).toBe(200);
  return { token: sess.body.token as string, visitorId: sess.body.visitorId as string };
}

const connect = (token: string) => sockets.connect(h.url, '/webchat', token);

async function upload(token: string | undefined, bytes: Buffer, type: string, filename: string) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), filename);
  const r = await fetch(`${h.url}/api/webchat/attachments`, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await r.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body };
}

async function gridfs() {
  const db = h.hub.conn.db!;
  const [files, chunks] = await Promise.all([db.collection('attachments.files').countDocuments(), db.collection('attachments.chunks').countDocuments()]);
  return { files, chunks };
}

async function download(id: string, auth: { bearer?: string; query?: string }) {
  const q = auth.query ? `?token=${encodeURIComponent(auth.query)}` : '';
  const r = await fetch(`${h.url}/api/attachments/${id}${q}`, { headers: auth.bearer ? { authorization: `Bearer ${auth.bearer}` } : {} });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

test('a PNG is uploaded (201), sent with a message, and downloaded by the agent and by its visitor only', async () => {
  const image = png(4, 4);
  const v = await visitor('Pic Sender');
  const up = await upload(v.token, image, 'image/png', 'receipt.png');
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  const att = up.body.attachment;
  expect(att).toMatchObject({ name: 'receipt.png', contentType: 'image/png', size: image.length });
  expect(att.id).toMatch(/^[0-9a-f]{24}$/);

  const s = await connect(v.token);
  const ack = await s.timeout(5000).emitWithAck('message.send', { clientId: 'with-attachment-1', text: 'see attached', attachmentIds: [att.id] });
  expect(ack.ok, JSON.stringify(ack)).toBe(true);
  expect(ack.message.attachments).toEqual([att]);
  const stored = await h.hub.m.Message.findById(ack.message.id).lean();
  expect(stored!.attachments).toEqual([att]);

  // The agent sees it on the conversation and downloads it with a bearer token.
  const agent = await loginAs(h.url, 'agent1');
  const conv = await api(h.url, `/api/conversations/${ack.message.conversationId}`, { token: agent });
  expect(conv.body.messages[0].attachments).toEqual([att]);
  const byAgent = await download(att.id, { bearer: agent });
  expect(byAgent.status).toBe(200);
  expect(byAgent.bytes.equals(image)).toBe(true);
  expect(byAgent.headers.get('content-type')).toBe('image/png');
  expect(byAgent.headers.get('x-content-type-options')).toBe('nosniff');
  expect(byAgent.headers.get('content-disposition')).toMatch(/^inline/);

  // The visitor downloads it with ?token= (an <img src>).
  const byVisitor = await download(att.id, { query: v.token });
  expect(byVisitor.status).toBe(200);
  expect(byVisitor.bytes.equals(image)).toBe(true);

  // Another visitor: 404 (not 403: no hint that it exists), and cannot attach it to their own message.
  const other = await visitor('Nosy Visitor');
  expect((await download(att.id, { query: other.token })).status).toBe(404);
  expect((await download(att.id, { bearer: other.token })).status).toBe(404);
  const os = await connect(other.token);
  const steal = await os.timeout(5000).emitWithAck('message.send', { clientId: 'steal-attach-1', text: 'mine', attachmentIds: [att.id] });
  expect(steal.ok).toBe(false);
  expect(steal.error.code).toBe('unknown_attachment');
  expect(await h.hub.m.Message.countDocuments({ from: other.visitorId })).toBe(0);

  // No token, a bad token, marketing: refused.
  expect((await download(att.id, {})).status).toBe(401);
  expect((await download(att.id, { bearer: 'garbage' })).status).toBe(401);
  expect((await download(att.id, { bearer: await loginAs(h.url, 'market1') })).status).toBe(403);

  // Agents see attachments only of conversations they may open: moved to 'cards', agent2 (general, wealth) is refused.
  const sup = await loginAs(h.url, 'super1');
  const moved = await api(h.url, `/api/acd/conversations/${ack.message.conversationId}/move`, { token: sup, body: { queue: 'cards' } });
  expect(moved.status).toBe(200);
  // What the move itself stores (routing writes the conversation just after deciding): in 'cards', held by nobody.
  const after = await waitFor(async () => {
    const c = await h.hub.m.Conversation.findById(ack.message.conversationId).lean();
    return c?.queue === 'cards' ? c : undefined;
  }, 10_000, 'the conversation is in cards');
  expect(after.assigneeId ?? null).toBeNull();
  expect(after.status).toBe('queued');
  expect((await download(att.id, { bearer: await loginAs(h.url, 'agent2') })).status).toBe(404);
  expect((await download(att.id, { bearer: sup })).status).toBe(200);
});

test('a file over the size limit → 413 and nothing in GridFS', async () => {
  const v = await visitor('Big File');
  const big = png(40, 40, true);
  expect(big.length).toBeGreaterThan(MAX);
  const before = await gridfs();
  const r = await upload(v.token, big, 'image/png', 'big.png');
  expect(r.status, JSON.stringify(r.body)).toBe(413);
  expect(r.body.error.code).toBe('too_large');
  expect(await gridfs()).toEqual(before);
});

test('content that does not match the declared type → 415 and nothing stored', async () => {
  const v = await visitor('Liar');
  const before = await gridfs();
  const r = await upload(v.token, Buffer.from('this is plain text pretending to be a PNG\n'), 'image/png', 'fake.png');
  expect(r.status, JSON.stringify(r.body)).toBe(415);
  expect(r.body.error.code).toBe('unsupported_type');
  const pdf = await upload(v.token, png(), 'application/pdf', 'fake.pdf');
  expect(pdf.status).toBe(415);
  expect(await gridfs()).toEqual(before);
});

test('a disallowed type → 415 and nothing stored', async () => {
  const v = await visitor('Exe Sender');
  const before = await gridfs();
  const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
  const r = await upload(v.token, exe, 'application/x-msdownload', 'setup.exe');
  expect(r.status, JSON.stringify(r.body)).toBe(415);
  expect(r.body.error.code).toBe('unsupported_type');
  expect((await upload(v.token, Buffer.from('<svg onload="alert(1)"/>'), 'image/svg+xml', 'x.svg')).status).toBe(415);
  expect(await gridfs()).toEqual(before);
});

test('upload without a visitor token → 401 (an agent token is not a visitor token either)', async () => {
  const before = await gridfs();
  const r = await upload(undefined, png(), 'image/png', 'anon.png');
  expect(r.status).toBe(401);
  expect(r.body.error.code).toBe('unauthorized');
  expect((await upload(await loginAs(h.url, 'agent1'), png(), 'image/png', 'agent.png')).status).toBe(401);
  expect(await gridfs()).toEqual(before);
});
