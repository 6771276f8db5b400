/**
 * Consent and suppression over HTTP, for supervisors and admins (docs/API.md "Consent"):
 *   GET  /api/customers/:id/consents          the customer's consent per channel
 *   PUT  /api/customers/:id/consents/:channel { marketing, source }
 *   GET  /api/suppressions?channel=&address=  whether an address is listed (or the latest 100)
 *   POST /api/suppressions                    { channel, address, reason }
 *   DELETE /api/suppressions/:key
 * Every change is audited.
 */
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { badRequest, notFound } from '../../lib/errors.js';
import { parseBody } from '../../lib/validate.js';
import { requireUser, type SessionUser } from '../api/auth-routes.js';
import { CONSENT_CHANNELS, type Consent } from './consent.js';
import type { CampaignModels } from './models.js';

const objectId = z.string().regex(/^[0-9a-f]{24}$/);
const ConsentBody = z.object({ marketing: z.boolean(), source: z.string().trim().min(1).max(100) }).strict();
const SuppressBody = z.object({ channel: z.enum(CONSENT_CHANNELS), address: z.string().trim().min(1).max(320), reason: z.string().trim().max(200).default('') }).strict();

export const actorOf = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });

export function registerConsentRoutes(app: FastifyInstance, hub: Hub, consent: Consent, cm: CampaignModels): void {
  const lead = requireUser(hub, ['supervisor', 'admin']);
  const customerId = (p: unknown) => {
    const r = objectId.safeParse((p as { id?: string }).id);
    if (!r.success) throw badRequest('customer id is not valid');
    return new Types.ObjectId(r.data);
  };
  const channelOf = (p: unknown) => {
    const r = z.enum(CONSENT_CHANNELS).safeParse((p as { channel?: string }).channel);
    if (!r.success) throw badRequest('channel must be sms or email');
    return r.data;
  };

  app.get('/api/customers/:id/consents', async (req) => {
    await lead(req);
    const id = customerId(req.params);
    if (!(await hub.m.Customer.exists({ _id: id }))) throw notFound('customer');
    const entries = await consent.get(id);
    return { consents: Object.fromEntries(CONSENT_CHANNELS.map((c) => [c, entries[c] ? { marketing: entries[c].marketing, source: entries[c].source, at: new Date(entries[c].at).toISOString() } : { marketing: true, source: 'default', at: null }])) };
  });

  app.put('/api/customers/:id/consents/:channel', async (req) => {
    const u = await lead(req);
    const id = customerId(req.params);
    const channel = channelOf(req.params);
    const body = parseBody(ConsentBody, req.body);
    if (!(await hub.m.Customer.exists({ _id: id }))) throw notFound('customer');
    const changed = await consent.set(id, channel, body.marketing, `user:${body.source}`, actorOf(u), { ip: req.ip });
    return { changed };
  });

  app.get('/api/suppressions', async (req) => {
    await lead(req);
    const q = req.query as { channel?: string; address?: string };
    if (q.address !== undefined) {
      const channel = channelOf(q);
      const key = consent.suppressionKey(channel, String(q.address));
      const row = await cm.Suppression.findById(key).lean();
      return { key, suppressed: !!row, ...(row ? { reason: row.reason, at: row.at } : {}) };
    }
    const rows = await cm.Suppression.find({}).limit(100).lean();
    return { suppressions: rows.map((r) => ({ key: r._id, reason: r.reason ?? '', at: r.at })) };
  });

  app.post('/api/suppressions', async (req, reply) => {
    const u = await lead(req);
    const body = parseBody(SuppressBody, req.body);
    const key = consent.suppressionKey(body.channel, body.address);
    const added = await consent.suppress(key, body.reason, { id: u.id, name: u.name });
    if (added) await hub.audit.record(actorOf(u), 'suppression.add', { type: 'suppression', id: key }, { reason: body.reason }, req.ip);
    reply.code(added ? 201 : 200);
    return { key, added };
  });

  app.delete('/api/suppressions/:key', async (req) => {
    const u = await lead(req);
    const key = String((req.params as { key: string }).key);
    if (!/^(phone|email):.{1,320}$/.test(key)) throw badRequest('not a suppression key (phone:… or email:…)');
    if (!(await consent.unsuppress(key))) throw notFound('suppression');
    await hub.audit.record(actorOf(u), 'suppression.remove', { type: 'suppression', id: key }, {}, req.ip);
    return { removed: true };
  });
}
