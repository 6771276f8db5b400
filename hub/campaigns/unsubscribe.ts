/**
 * E-mail unsubscribe: a signed link per (customer, channel, campaign) in every marketing mail, and the
 * one-click POST of RFC 8058 (List-Unsubscribe-Post: List-Unsubscribe=One-Click), which mail
 * providers send from their servers without a session or a browser. The token is the authority: an
 * HMAC over its fields, so a link cannot be forged or edited to opt out someone else.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import type { Hub } from '../hub.js';
import { badRequest } from '../../lib/errors.js';
import type { Consent, ConsentChannel } from './consent.js';

export interface UnsubscribeClaims {
  customerId: string;
  channel: ConsentChannel;
  campaignId: string;
}

export class UnsubscribeTokens {
  private readonly key: Buffer;
  constructor(secret: string | undefined) {
    // Without a configured secret (a single local hub) a per-process key: links die with the process.
    this.key = Buffer.from(`unsubscribe:${secret ?? randomBytes(32).toString('hex')}`);
  }

  sign(c: UnsubscribeClaims): string {
    const body = `${c.customerId}.${c.channel}.${c.campaignId}`;
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string): UnsubscribeClaims {
    const m = /^([0-9a-f]{24})\.(sms|email)\.([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) throw badRequest('this unsubscribe link is not valid', 'invalid_token');
    const body = `${m[1]}.${m[2]}.${m[3]}`;
    const want = Buffer.from(this.mac(body));
    const got = Buffer.from(m[4]!);
    if (want.length !== got.length || !timingSafeEqual(want, got)) throw badRequest('this unsubscribe link is not valid', 'invalid_token');
    return { customerId: m[1]!, channel: m[2] as ConsentChannel, campaignId: m[3]! };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body></html>`;

export function registerUnsubscribeRoutes(app: FastifyInstance, hub: Hub, tokens: UnsubscribeTokens, consent: Consent): void {
  const optOut = async (token: string, via: string, ip: string) => {
    const c = tokens.verify(token);
    await consent.set(new Types.ObjectId(c.customerId), c.channel, false, `${via}:${c.campaignId}`, { type: 'visitor', id: c.customerId }, { ip });
  };
  // Encapsulated: the form-encoded body parser exists only for these routes (RFC 8058 §3.1 bodies).
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_req, body, done) => done(null, body));
    // The link in the mail: a page with a button (a GET must not change anything: link scanners follow links).
    scope.get('/unsubscribe/:token', async (req, reply) => {
      const token = String((req.params as { token: string }).token);
      tokens.verify(token);
      reply.type('text/html; charset=utf-8');
      return page('Unsubscribe / 退订', `<h1>退订营销邮件 / Unsubscribe</h1><form method="post"><button type="submit">确认退订 / Unsubscribe</button></form>`);
    });
    // The button, and the one-click POST (List-Unsubscribe=One-Click) from the mail provider.
    scope.post('/unsubscribe/:token', async (req, reply) => {
      await optOut(String((req.params as { token: string }).token), typeof req.body === 'string' && req.body.includes('List-Unsubscribe=One-Click') ? 'one-click' : 'link', req.ip);
      reply.type('text/html; charset=utf-8');
      return page('Unsubscribed / 已退订', '<h1>您已退订营销邮件。You are unsubscribed.</h1><p>服务通知不受影响。Service messages continue.</p>');
    });
  });
  void hub;
}
