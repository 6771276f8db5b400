import type { z } from 'zod';
import { badRequest } from './errors.js';
import { stripNul } from './storable.js';

/** Validate a request body at the edge (NUL characters removed first, see storable.ts); the error names every bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(stripNul(body ?? {}));
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), 'invalid_body');
  return r.data;
}
