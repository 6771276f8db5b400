/**
 * The headers every response carries. The console and the demo page run no inline script (Vite emits
 * module files), so the policy allows scripts from this origin only; styles may be inline (the widget
 * puts its CSS in its shadow root, Vue sets style attributes). No page of ours may be framed
 * (clickjacking); the widget is a script on the bank's own page, not a frame, so it is not affected.
 * Mail HTML is shown in a sandboxed iframe (no scripts, srcdoc: it inherits this policy).
 * A route that sets its own policy (attachments: `default-src 'none'; sandbox`) keeps it.
 */
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // Remote images (http/https) only because an agent may ask to see a mail's images: the console
  // strips every remote source from mail HTML until that click (agent-ui mailHtml.ts), and scripts
  // stay 'self' only. Referrer-Policy no-referrer keeps the console's URLs from the sender.
  "img-src 'self' data: blob: https: http:",
  // Call recordings and voicemails play from blob: URLs (fetched with the agent's token, like images).
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), geolocation=(), payment=(), usb=()',
};

export function securityHeaders(app: FastifyInstance, opts: { https: boolean }): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    for (const [k, v] of Object.entries(HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    if (opts.https) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return payload;
  });
}
