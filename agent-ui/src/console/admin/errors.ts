// The hub refuses a bad admin form with `{ error: { code, message } }`; for `invalid_body` the message
// lists every bad field as "path: what is wrong" joined by "; " (lib/validate.ts). These helpers
// put each part next to its field, and everything else at the top of the form.
import { ApiError } from '../api';

/** Field path ("hours.tz", "skills.cards", "capacity.webchat") → the server's words about it. */
export type FieldErrors = Record<string, string>;

const PATH = /^([A-Za-z_$][\w$]*(?:\.[\w$:.-]+)*): (.+)$/;

/** Which field a refusal names: the `path: message` parts of invalid_body, and the codes that stand for one field. */
export function fieldErrors(e: unknown): FieldErrors {
  if (!(e instanceof ApiError)) return {};
  const out: FieldErrors = {};
  const add = (path: string, msg: string) => { out[path] = out[path] ? `${out[path]}; ${msg}` : msg; };
  switch (e.code) {
    case 'username_taken': add('username', e.message); return out;
    case 'unknown_team': add('team', e.message); return out;
    case 'unknown_queue': add('queues', e.message); return out;
  }
  if (/^an? (queue|team|user) id is/.test(e.message)) { add('id', e.message); return out; }
  if (e.code !== 'invalid_body') return out;
  for (const part of e.message.split('; ')) {
    const m = PATH.exec(part);
    // "body: …" is about the whole form (an unknown key), not one field
    if (m && m[1] !== 'body') add(m[1], m[2]);
  }
  return out;
}

/** The errors for a field and anything under it: errorFor(errs, 'hours.week.1') also finds "hours.week.1.0.1". */
export function errorFor(errors: FieldErrors, prefix: string): string {
  return Object.entries(errors)
    .filter(([path]) => path === prefix || path.startsWith(`${prefix}.`))
    .map(([path, msg]) => (path === prefix ? msg : `${path.slice(prefix.length + 1)}: ${msg}`))
    .join('; ');
}

/** Whether the hub named this field or anything under it (for aria-invalid). */
export const hasError = (errors: FieldErrors, prefix: string): boolean =>
  Object.keys(errors).some((path) => path === prefix || path.startsWith(`${prefix}.`));

/** Only the words, once each, where the field under the prefix is marked on its own (an interval's index means nothing to a reader). */
export function messagesFor(errors: FieldErrors, prefix: string): string {
  const msgs = Object.entries(errors).filter(([path]) => path === prefix || path.startsWith(`${prefix}.`)).map(([, msg]) => msg);
  return [...new Set(msgs)].join('; ');
}

/** The server's message for the top of the form (status 0: the hub could not be reached). */
export function formError(e: unknown): { code: string; message: string } {
  if (e instanceof ApiError) return { code: e.code, message: e.message };
  return { code: 'generic', message: e instanceof Error ? e.message : String(e) };
}
