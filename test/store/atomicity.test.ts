// The embedded store (FerretDB 1.x) runs update/findAndModify as a read then a write; our wire
// front (scripts/embedded-store) serialises writes so these races have MongoDB's outcome.
// Without the front: 100 concurrent $inc → ~4, 20 concurrent claims → ~12 winners.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import mongoose, { Schema, type Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { testMongoUri } from '../helpers/db.ts';

let conn: Connection;

beforeAll(async () => {
  conn = await mongoose.createConnection(testMongoUri('atomicity'), { maxPoolSize: 50 }).asPromise();
});

afterAll(async () => {
  await conn?.dropDatabase().catch(() => {});
  await conn?.close();
});

describe('embedded store: single-document atomicity under concurrency', () => {
  it('100 concurrent $inc on one document sum to 100', async () => {
    const Counter = conn.model('Counter', new Schema({ name: String, n: Number }));
    const { _id } = await Counter.create({ name: 'c', n: 0 });
    await Promise.all(Array.from({ length: 100 }, () => Counter.updateOne({ _id }, { $inc: { n: 1 } })));
    expect((await Counter.findById(_id).lean())?.n).toBe(100);
  });

  it('20 concurrent claims of an unassigned item have exactly one winner', async () => {
    const Item = conn.model('Item', new Schema({ name: String, assignee: { type: Number, default: null } }));
    const { _id } = await Item.create({ name: 'offer' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Item.findOneAndUpdate({ _id, assignee: null }, { $set: { assignee: i } }, { new: true }).lean(),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect((await Item.findById(_id).lean())?.assignee).toBe(winners[0]!.assignee);
  });

  it('30 concurrent upserts on one key leave one document', async () => {
    const Session = conn.model('Session', new Schema({ key: String, hits: Number }));
    const key = randomBytes(6).toString('hex');
    const results = await Promise.all(
      Array.from({ length: 30 }, () => Session.updateOne({ key }, { $inc: { hits: 1 } }, { upsert: true })),
    );
    expect(results.filter((r) => r.upsertedCount === 1)).toHaveLength(1);
    const docs = await Session.find({ key }).lean();
    expect(docs).toHaveLength(1);
    expect(docs[0]!.hits).toBe(30);
  });

  it('a unique index admits one of 50 concurrent duplicate inserts', async () => {
    const Account = conn.model('Account', new Schema({ email: { type: String, unique: true } }));
    await Account.init(); // builds the unique index
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => Account.create({ email: 'same@example.com' })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const dup = results.filter(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && (r.reason as { code?: number }).code === 11000,
    );
    expect(ok).toHaveLength(1);
    expect(dup).toHaveLength(49);
    expect(await Account.countDocuments({ email: 'same@example.com' })).toBe(1);
  });
});

describe('embedded store: GridFS', () => {
  it('round-trips a 1 MB file byte for byte', async () => {
    const bucket = new mongoose.mongo.GridFSBucket(conn.db!, { bucketName: 'files' });
    const data = randomBytes(1024 * 1024);
    const id = await new Promise<unknown>((res, rej) => {
      const up = bucket.openUploadStream('blob.bin', { metadata: { kind: 'test' } });
      up.once('error', rej).once('finish', () => res(up.id));
      up.end(data);
    });
    const chunks: Buffer[] = [];
    for await (const c of bucket.openDownloadStream(id as mongoose.mongo.ObjectId)) chunks.push(c as Buffer);
    const back = Buffer.concat(chunks);
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
    const [file] = await bucket.find({ _id: id as mongoose.mongo.ObjectId }).toArray();
    expect(file?.length).toBe(data.length);
  });
});
