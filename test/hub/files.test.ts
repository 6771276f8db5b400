/**
 * The file store connectors use (ctx.storeFile) against real GridFS: limits hold while the bytes
 * stream in (an oversized stream is cut off mid-way and nothing of it stays stored), types are checked
 * against the declared type and the content, and ingest accepts only references to stored files.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Types, mongo } from 'mongoose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { plugLoopback, type LoopbackConnector } from '../helpers/loopback-connector.js';

const LIMIT = 600 * 1024; // more than two GridFS chunks (255 KB): chunks are written before the limit is hit
let h: TestHub;
let fax: LoopbackConnector;

beforeAll(async () => {
  h = await startTestHub({ name: 'files', seed: false, overrides: { 'files.maxBytes': LIMIT } });
  fax = await plugLoopback(h.hub);
});
afterAll(async () => h?.close());

async function gridfs() {
  const db = h.hub.conn.db!;
  const [files, chunks] = await Promise.all([db.collection('attachments.files').countDocuments(), db.collection('attachments.chunks').countDocuments()]);
  return { files, chunks };
}

/** A stream of `total` bytes in 64 KB pieces, produced only as they are read (says how many were asked for). */
function source(total: number, first = Buffer.from('%PDF-1.7\n')) {
  const state = { produced: 0 };
  const piece = 64 * 1024;
  const stream = new Readable({
    read() {
      if (state.produced >= total) return this.push(null);
      const n = Math.min(piece, total - state.produced);
      const b = randomBytes(n);
      if (state.produced === 0) first.copy(b);
      state.produced += n;
      this.push(b);
    },
  });
  return { stream, state };
}

const read = async (id: string) => {
  const parts: Buffer[] = [];
  for await (const c of h.hub.files.open(id)) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

test('a file within the limit is stored whole and read back byte for byte', async () => {
  const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(300 * 1024)]);
  const ref = await fax.ctx.storeFile(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), { name: 'fax 01/12.pdf', contentType: 'application/pdf', metadata: { faxLine: '2' } });
  expect(ref).toMatchObject({ name: 'fax 01_12.pdf', contentType: 'application/pdf', size: bytes.length });
  expect((await read(ref.id)).equals(bytes)).toBe(true);
  const row = await h.hub.conn.db!.collection('attachments.files').findOne({ _id: new Types.ObjectId(ref.id) });
  expect(row!.metadata).toMatchObject({ contentType: 'application/pdf', faxLine: '2', channel: 'sms' });
});

test('past the limit the stream is cut off mid-way: 413, and no file nor chunk of it stays', async () => {
  const before = await gridfs();
  const total = 4 * 1024 * 1024;
  const { stream, state } = source(total);
  await expect(fax.ctx.storeFile(stream, { name: 'huge.pdf', contentType: 'application/pdf' })).rejects.toMatchObject({ status: 413, code: 'too_large' });
  // Stopped reading soon after the limit, not after the whole 4 MB.
  expect(state.produced).toBeLessThan(total / 2);
  expect(await gridfs()).toEqual(before);
});

test('a connector may ask for a smaller limit than the hub\'s', async () => {
  const before = await gridfs();
  await expect(fax.ctx.storeFile(source(100 * 1024).stream, { name: 'small-limit.pdf', contentType: 'application/pdf', maxBytes: 64 * 1024 })).rejects.toMatchObject({ status: 413 });
  expect(await gridfs()).toEqual(before);
});

test('a source that fails mid-stream leaves nothing stored', async () => {
  const before = await gridfs();
  let n = 0;
  const broken = new Readable({
    read() {
      n++;
      if (n === 1) return this.push(Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(300 * 1024)]));
      this.destroy(new Error('connection reset by the fax service'));
    },
  });
  await expect(fax.ctx.storeFile(broken, { name: 'cut.pdf', contentType: 'application/pdf' })).rejects.toThrow(/connection reset/);
  expect(await gridfs()).toEqual(before);
});

test('types: not allowed, or content contradicting the declared type → 415; empty → 400; nothing stored', async () => {
  const before = await gridfs();
  await expect(fax.ctx.storeFile(Readable.from([Buffer.from('MZ\x90\x00')]), { name: 'a.exe', contentType: 'application/x-msdownload' })).rejects.toMatchObject({ status: 415 });
  await expect(fax.ctx.storeFile(Readable.from([Buffer.from('not a tiff at all')]), { name: 'p.tif', contentType: 'image/tiff' })).rejects.toMatchObject({ status: 415 });
  await expect(fax.ctx.storeFile(Readable.from([Buffer.from('%PDF-1.4\n')]), { name: 'p.pdf', contentType: 'application/pdf', allowedTypes: ['image/*'] })).rejects.toMatchObject({ status: 415 });
  await expect(fax.ctx.storeFile(Readable.from([]), { name: 'empty.txt', contentType: 'text/plain' })).rejects.toMatchObject({ status: 400 });
  expect(await gridfs()).toEqual(before);
  // A real TIFF header passes (II*\0, little-endian).
  const tiff = await fax.ctx.storeFile(Readable.from([Buffer.concat([Buffer.from('II*\u0000', 'latin1'), randomBytes(100)])]), { name: 'page1.tif', contentType: 'image/TIFF' });
  expect(tiff.contentType).toBe('image/tiff');
});

test('ingest takes attachment references only to stored files, with name, type and size as stored', async () => {
  const ref = await fax.ctx.storeFile(Readable.from([Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2000)])]), { name: 'statement.pdf', contentType: 'application/pdf' });
  const customer = { identity: { channel: 'sms' as const, address: '+8613800138111' } };
  const r = await fax.ctx.ingest({ channel: 'sms', externalId: `att-${ref.id}`, customer, text: '', attachments: [{ ...ref, name: 'claimed.exe', size: 1 }] });
  expect(r.message.attachments).toEqual([ref]);
  expect((await h.hub.m.Message.findById(r.message.id).lean())!.attachments).toEqual([ref]);

  const missing = String(new Types.ObjectId());
  await expect(fax.ctx.ingest({ channel: 'sms', externalId: `att-missing-${missing}`, customer, text: 'x', attachments: [{ id: missing, name: 'x.pdf', contentType: 'application/pdf', size: 10 }] })).rejects.toMatchObject({ status: 400, code: 'unknown_attachment' });
  expect(await h.hub.m.Message.countDocuments({ externalId: `att-missing-${missing}` })).toBe(0);

  // A file stored some other way, past the limit (e.g. before the limit was lowered): refused.
  const bucket = new mongo.GridFSBucket(h.hub.conn.db!, { bucketName: 'attachments' });
  const bigId = new Types.ObjectId();
  await new Promise<void>((resolve, reject) => bucket.openUploadStreamWithId(bigId, 'old.pdf', { metadata: { contentType: 'application/pdf' } }).on('error', reject).on('finish', () => resolve()).end(Buffer.alloc(LIMIT + 1)));
  await expect(fax.ctx.ingest({ channel: 'sms', externalId: `att-big-${bigId}`, customer, text: 'x', attachments: [{ id: String(bigId), name: 'old.pdf', contentType: 'application/pdf', size: 10 }] })).rejects.toMatchObject({ status: 413 });
  expect(await h.hub.m.Message.countDocuments({ externalId: `att-big-${bigId}` })).toBe(0);
});
