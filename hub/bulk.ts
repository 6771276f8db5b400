import type { AnyBulkWriteOperation, BulkWriteOptions, Collection, Document } from 'mongodb';

/**
 * Most statements in one update/bulkWrite command. FerretDB 1.24 (the embedded store) keeps every
 * statement's query open until the command ends, one pooled PostgreSQL connection each (50 in its
 * pool), so a command of ~50 updates waits for a connection forever while holding the store's write
 * lock: every write of every hub stops. MongoDB does not care either way.
 */
export const MAX_STATEMENTS = 25;

export async function bulkWriteChunked<T extends Document>(coll: Collection<T>, ops: AnyBulkWriteOperation<T>[], opts: BulkWriteOptions = { ordered: true }): Promise<void> {
  for (let i = 0; i < ops.length; i += MAX_STATEMENTS) await coll.bulkWrite(ops.slice(i, i + MAX_STATEMENTS), opts);
}
