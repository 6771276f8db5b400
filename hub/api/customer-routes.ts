/**
 * Customers: one customer with every identity and one timeline of their conversations across
 * channels (GET /api/customers/:id), a supervisor's merge of two customers (POST
 * /api/customers/:id/merge), and agent-started conversations (POST /api/conversations). The logic
 * is in hub/identities.ts, hub/customer-merge.ts and hub/outreach.ts; these routes check and audit.
 */
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { badRequest, notFound } from '../../lib/errors.js';
import type { ConversationDoc } from '../models/conversation.js';
import { CHANNELS } from '../models/types.js';
import { conversationView, messageView } from '../views.js';
import { requireUser, type SessionUser } from './auth-routes.js';
import { parseBody } from '../../lib/validate.js';

const objectId = z.string().regex(/^[0-9a-f]{24}$/, 'must be an id');
const MergeBody = z.object({ from: objectId }).strict();
const StartBody = z
  .object({
    channel: z.enum(CHANNELS),
    to: z.string().trim().min(1, 'recipient is empty').max(320),
    text: z.string().trim().min(1, 'message is empty').max(10_000),
    subject: z.string().trim().max(998).optional(),
    attachments: z.array(objectId).max(10).optional(),
    clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  })
  .strict();

const isLead = (u: SessionUser) => u.role === 'supervisor' || u.role === 'admin';
const TIMELINE_LIMIT = 100;

export function registerCustomerRoutes(app: FastifyInstance, hub: Hub): void {
  const inboxUser = requireUser(hub, ['agent', 'supervisor', 'admin']);
  const leadUser = requireUser(hub, ['supervisor', 'admin']);
  const idParam = (p: unknown) => {
    const r = objectId.safeParse((p as { id?: string }).id);
    if (!r.success) throw badRequest('customer id is not valid');
    return r.data;
  };
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });

  app.get('/api/customers/:id', async (req) => {
    const u = await inboxUser(req);
    const asked = new Types.ObjectId(idParam(req.params));
    // A merged customer's id (an old link, a console that has not heard) shows the survivor.
    const id = hub.ingest.ids.current(asked);
    const [customer, identities, conversations] = await Promise.all([
      hub.m.Customer.findById(id).lean(),
      hub.m.Identity.find({ customerId: id }).lean(),
      hub.m.Conversation.find({ customerId: id }).sort({ createdAt: -1 }).limit(TIMELINE_LIMIT).lean() as Promise<ConversationDoc[]>,
    ]);
    if (!customer) throw notFound('customer');
    // Agents see customers they serve: one of the customer's conversations is theirs or in their queues.
    if (!isLead(u) && !conversations.some((c) => c.assigneeId === u.id || u.queues.includes(c.queue))) throw notFound('customer');
    return {
      customer: {
        id: String(customer._id),
        name: customer.name ?? '',
        tier: customer.tier ?? 'standard',
        segment: customer.segment ?? undefined,
        language: customer.language ?? undefined,
        tags: customer.tags ?? [],
        mergedFrom: String(asked) !== String(id) ? String(asked) : undefined,
      },
      identities: identities.map(identityView).sort((a, b) => a.kind.localeCompare(b.kind) || a.address.localeCompare(b.address)),
      timeline: conversations.map(conversationView).sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt)),
    };
  });

  app.post('/api/customers/:id/merge', async (req) => {
    const u = await leadUser(req);
    const into = idParam(req.params);
    const body = parseBody(MergeBody, req.body);
    return { merge: await hub.merges.merge(into, body.from, u, req.ip) };
  });

  app.post('/api/conversations', async (req, reply) => {
    const u = await inboxUser(req);
    const body = parseBody(StartBody, req.body);
    if (body.channel === 'email' && !body.subject) throw badRequest('subject: an e-mail needs a subject', 'invalid_body');
    const r = await hub.outreach.start(u, body);
    if (!r.duplicate) {
      await hub.audit.record(actor(u), 'conversation.start', { type: 'conversation', id: String(r.conversation._id) }, { channel: body.channel, customerId: String(r.conversation.customerId), messageId: String(r.message._id) }, req.ip);
    }
    reply.code(r.duplicate ? 200 : 201);
    return { conversation: conversationView(r.conversation), message: messageView(r.message) };
  });
}

/** An identity as the customer panel shows it: kind, address, the channels it was seen on. */
function identityView(i: { _id: unknown; kind?: string | null; address?: string | null; channels?: string[] | null; verified?: boolean | null }) {
  // Identities stored before kinds: "channel:address".
  const key = String(i._id);
  const [prefix, ...rest] = key.replace(/^unverified:/, '').split(':');
  const kind = i.kind ?? ({ sms: 'phone', voice: 'phone', fax: 'phone' } as Record<string, string>)[prefix] ?? prefix;
  return { kind, address: i.address ?? rest.join(':'), channels: i.channels ?? (CHANNELS.includes(prefix as never) ? [prefix] : []), verified: i.verified ?? !key.startsWith('unverified:') };
}
