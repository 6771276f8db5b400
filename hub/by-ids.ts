/**
 * Documents by a handful of ids. FerretDB 1.24 does not push `_id: {$in: [...]}` down to PostgreSQL:
 * it reads and decodes the whole collection (~0.6 s at 15k conversations, whatever the number of
 * ids), while an `_id` equality is pushed down (~10 ms there). So a few ids are read one by one, in
 * parallel; many ids (where one scan is cheaper than many lookups) with `$in`. On MongoDB both are
 * index lookups.
 */
import { Types, type Model } from 'mongoose';

const ONE_BY_ONE_MAX = 32;

export async function findByIds<T>(model: Model<any>, ids: (string | Types.ObjectId)[], projection?: Record<string, 0 | 1>): Promise<T[]> {
  const unique = [...new Set(ids.map(String))].map((i) => new Types.ObjectId(i));
  if (!unique.length) return [];
  if (unique.length > ONE_BY_ONE_MAX) return (await model.find({ _id: { $in: unique } }, projection).lean()) as T[];
  const rows = await Promise.all(unique.map((id) => model.findById(id, projection).lean()));
  return rows.filter((r) => r !== null) as T[];
}
