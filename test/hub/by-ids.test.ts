/** hub/by-ids.ts on the real store: a few ids one by one, many with $in; same answer either way. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import mongoose, { Schema, Types, type Connection } from 'mongoose';
import { findByIds } from '../../hub/by-ids.js';
import { testMongoUri } from '../helpers/db.js';

let conn: Connection;
const Thing = () => conn.models.Thing ?? conn.model('Thing', new Schema({ n: Number, tag: String }));
let ids: Types.ObjectId[];
beforeAll(async () => {
  conn = await mongoose.createConnection(testMongoUri('byids')).asPromise();
  const docs = Array.from({ length: 60 }, (_, n) => ({ _id: new Types.ObjectId(), n, tag: `t${n}` }));
  await Thing().insertMany(docs);
  ids = docs.map((d) => d._id);
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

test('a few ids (read one by one): each found once, unknown ids and repeats ignored, projection kept', async () => {
  const unknown = new Types.ObjectId();
  const rows = await findByIds<{ _id: Types.ObjectId; n: number; tag?: string }>(Thing(), [ids[3], String(ids[5]), ids[3], unknown], { n: 1 });
  expect(rows.map((r) => r.n).sort((a, b) => a - b)).toEqual([3, 5]);
  expect(rows.every((r) => r.tag === undefined)).toBe(true);
  expect(await findByIds(Thing(), [])).toEqual([]);
});

test('many ids (one $in): all found', async () => {
  const rows = await findByIds<{ n: number }>(Thing(), ids.slice(0, 50));
  expect(rows.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
});
