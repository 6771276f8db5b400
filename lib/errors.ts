/**
 * The small error vocabulary. Everything thrown at the edge maps to one of these; the HTTP layer and the
 * socket ack turn them into `{ error: { code, message } }` with the status below.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
export const badRequest = (message: string, code = 'bad_request') => new AppError(400, code, message);
export const unauthorized = (message = 'sign in first') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'your role may not do this') => new AppError(403, 'forbidden', message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const tooLarge = (message: string) => new AppError(413, 'too_large', message);
export const unsupportedType = (message: string) => new AppError(415, 'unsupported_type', message);
export const rateLimited = (message = 'too many requests, slow down') => new AppError(429, 'rate_limited', message);

/** A send that may succeed later (network, peer busy): BullMQ retries it. */
export class RetryableError extends Error {}
/** A send that will never succeed (invalid address, opted out): not retried. */
export class UnrecoverableSendError extends Error {}

export function errorBody(e: unknown): { status: number; body: { error: { code: string; message: string } } } {
  if (e instanceof AppError) return { status: e.status, body: { error: { code: e.code, message: e.message } } };
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

/**
 * What a socket client is told when something fails: the refusal itself, or — for anything that is not
 * a refusal (Redis or the store unreachable, a bug) — `unavailable`, which the widget and the console
 * retry (every retry is idempotent: client ids, job ids).
 */
export function clientError(e: unknown): { code: string; message: string } {
  return e instanceof AppError ? errorBody(e).body.error : { code: 'unavailable', message: 'the service is briefly unavailable; try again' };
}

/** A socket.io middleware refusal: the client's connect_error carries the code as `err.data.code`. */
export function socketRefusal(e: unknown): Error {
  const error = clientError(e);
  return Object.assign(new Error(error.message), { data: { code: error.code } });
}

export const isDuplicateKey = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: number }).code === 11000;
