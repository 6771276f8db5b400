/**
 * Text the store can keep. PostgreSQL (under the embedded store) cannot hold U+0000 in a JSON string,
 * and MongoDB's BSON cannot hold it in a field name, so a NUL anywhere in a document fails its whole
 * write. NUL is never meaningful in a chat message, an email body or a name: it is removed at the
 * edge, from every string and key of what a client sent.
 */
import { badRequest } from './errors.js';

const NUL = /\u0000/g;
/** Deeper than any body or message the hub takes (and a recursion bound). */
const MAX_DEPTH = 64;

export function stripNul<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replace(NUL, '') : value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) throw badRequest(`input nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return value.map((v) => stripNul(v, depth + 1)) as T;
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.includes('\u0000') ? k.replace(NUL, '') : k] = stripNul(v, depth + 1);
    return out as T;
  }
  return value;
}
