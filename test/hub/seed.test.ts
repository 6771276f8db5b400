/** Two hubs starting at once on an empty database both seed the demo data: everything exists once. */
import { afterAll, expect, test } from 'vitest';
import mongoose from 'mongoose';
import { createModels } from '../../hub/models/index.js';
import { DEMO_USERS, seedDemo } from '../../hub/seed.js';
import { testMongoUri } from '../helpers/db.js';

const conns: mongoose.Connection[] = [];
afterAll(async () => {
  for (const c of conns) await c.close();
});

test('three concurrent seeds (separate connections, as separate hubs): each user, queue, customer and identity once; a later seed creates nothing', async () => {
  const uri = testMongoUri('seed_race');
  const models = [];
  for (let i = 0; i < 3; i++) {
    const c = await mongoose.createConnection(uri, { autoIndex: false }).asPromise();
    conns.push(c);
    models.push(createModels(c));
  }
  await Promise.all(Object.values(models[0]).map((model) => model.createIndexes()));
  const results = await Promise.all(models.map((m) => seedDemo(m)));
  const m = models[0];
  expect(await m.User.countDocuments()).toBe(DEMO_USERS.length);
  expect(await m.Queue.countDocuments()).toBe(4);
  expect(await m.Customer.countDocuments()).toBe(2);
  expect(await m.Identity.countDocuments()).toBe(3);
  // Every identity points at an existing customer.
  const customers = new Set((await m.Customer.find({}, { _id: 1 }).lean()).map((c) => String(c._id)));
  for (const i of await m.Identity.find().lean()) expect(customers.has(String(i.customerId))).toBe(true);
  expect(results.reduce((n, r) => n + r.created, 0)).toBe(DEMO_USERS.length + 2);
  expect((await seedDemo(m)).created).toBe(0);
});
