// On the embedded store, lookups by the hub's key fields use an index (scripts/embedded-store/gin.go):
// FerretDB 1.24 filters as `_jsonb -> $1 @> $2`, which its own btree indexes cannot serve, so without
// the GIN companions every lookup was a sequential scan. Checked through explain (PostgreSQL's plan);
// on a real MongoDB (explain without FerretDB's plan) there is nothing to check.
import { afterAll, beforeAll, expect, test } from 'vitest';
import mongoose, { type Connection } from 'mongoose';
import { testMongoUri } from '../helpers/db.ts';

let conn: Connection;
beforeAll(async () => {
  conn = await mongoose.createConnection(testMongoUri('indexes')).asPromise();
});
afterAll(async () => {
  await conn?.dropDatabase().catch(() => {});
  await conn?.close();
});

/** Every node of a PostgreSQL plan (FerretDB's explain carries it as queryPlanner.Plan). */
function nodes(plan: Record<string, unknown> | undefined): Record<string, unknown>[] {
  if (!plan) return [];
  return [plan, ...((plan.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap((p) => nodes(p))];
}

test('an equality lookup on an indexed key field is an index scan; a field outside the list is not', async (ctx) => {
  const c = conn.db!.collection('lookups');
  await c.createIndex({ customerId: 1, at: -1 });
  await c.createIndex({ note: 1 });
  await c.insertMany(Array.from({ length: 2000 }, (_, i) => ({ customerId: `c${i % 200}`, note: `n${i % 7}`, at: i })));
  const ex = (await c.find({ customerId: 'c7' }).explain()) as { queryPlanner?: { Plan?: Record<string, unknown> }; serverInfo?: { ferretdbVersion?: string } };
  // A real MongoDB (MONGODB_URI): its own planner, nothing of ours to check; reported as skipped, not passed.
  if (!ex.serverInfo?.ferretdbVersion) return ctx.skip('not the embedded store (no FerretDB version in explain): no GIN companions to check');
  const used = nodes(ex.queryPlanner?.Plan).map((n) => String(n['Index Name'] ?? ''));
  expect(used.some((name) => name.startsWith('gin_'))).toBe(true);
  expect(await c.countDocuments({ customerId: 'c7' })).toBe(10);
  // 'note' is not a lookup field of the hub: no companion, FerretDB's plain scan.
  const other = (await c.find({ note: 'n3' }).explain()) as { queryPlanner?: { Plan?: Record<string, unknown> } };
  expect(nodes(other.queryPlanner?.Plan).some((n) => String(n['Index Name'] ?? '').startsWith('gin_'))).toBe(false);
});
