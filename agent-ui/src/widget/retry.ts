// Refusals of message.send worth resending automatically (the hub or its store is busy or briefly
// unreachable); any other code is shown as failed with a Retry link. Its own module so the tests'
// widget stand-in (test/helpers/widget.ts) retries exactly what the widget retries.
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['rate_limited', 'too_many_requests', 'unavailable', 'service_unavailable', 'internal', 'internal_error', 'timeout', 'store_unavailable']);
