/**
 * Campaigns over HTTP (docs/API.md "Campaigns"). Marketing, supervisors and admins manage campaigns
 * and see aggregate results; only supervisors and admins approve. Nothing here returns conversation
 * contents: results are counts, and the CSV lists each recipient's state with the address masked.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Hub } from '../hub.js';
import { parseBody } from '../../lib/validate.js';
import { requireUser } from '../api/auth-routes.js';
import { AudienceSchema } from './audience.js';
import { actorOf } from './consent-routes.js';
import { ContentSchema, smsSegments } from './content.js';
import { CAMPAIGN_CHANNELS, type CampaignDoc, type CampaignModels } from './models.js';
import type { CampaignService, Progress } from './service.js';

const Base = z.object({
  name: z.string().trim().min(1, 'name is empty').max(120),
  channel: z.enum(CAMPAIGN_CHANNELS),
  audience: AudienceSchema.default({}),
  content: ContentSchema,
  queue: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  startAt: z.coerce.date().optional(),
});
const CreateBody = Base.strict();
const UpdateBody = Base.partial().strict();
const CountBody = z.object({ channel: z.enum(CAMPAIGN_CHANNELS), audience: AudienceSchema.default({}) }).strict();
const PreviewBody = z.object({ text: z.string().max(2000) }).strict();

export function campaignView(c: CampaignDoc, progress?: Progress) {
  return {
    id: String(c._id),
    name: c.name,
    channel: c.channel,
    state: c.state,
    audience: c.audience,
    content: c.content,
    queue: c.queue ?? null,
    startAt: c.startAt ? new Date(c.startAt).toISOString() : null,
    createdBy: c.createdBy ?? null,
    approvedBy: c.approvedBy?.id ? c.approvedBy : null,
    audienceCount: c.audienceCount ?? null,
    materialised: !!c.materialised,
    startedAt: c.startedAt ? new Date(c.startedAt).toISOString() : null,
    finishedAt: c.finishedAt ? new Date(c.finishedAt).toISOString() : null,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
    ...(progress ? { progress } : {}),
  };
}

const mask = (a: string | null | undefined) => (a ? (a.includes('@') ? `${a[0]}***@${a.split('@')[1]}` : `***${a.slice(-4)}`) : '');
const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  // Quoted, and a leading formula character defused (CSV injection into spreadsheets).
  return `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
};

export function registerCampaignRoutes(app: FastifyInstance, hub: Hub, svc: CampaignService, cm: CampaignModels): void {
  const manager = requireUser(hub, ['marketing', 'supervisor', 'admin']);
  const lead = requireUser(hub, ['supervisor', 'admin']);
  const id = (p: unknown) => String((p as { id?: string }).id ?? '');

  app.get('/api/campaigns', async (req) => {
    await manager(req);
    const rows = (await cm.Campaign.find({}).sort({ createdAt: -1 }).limit(200).lean()) as unknown as CampaignDoc[];
    return { campaigns: rows.map((c) => campaignView(c)) };
  });

  app.post('/api/campaigns', async (req, reply) => {
    const u = await manager(req);
    const body = parseBody(CreateBody, req.body);
    const c = await svc.create(body, actorOf(u), req.ip);
    reply.code(201);
    return { campaign: campaignView(c) };
  });

  app.post('/api/campaigns/audience/count', async (req) => {
    await manager(req);
    const body = parseBody(CountBody, req.body);
    return { count: await svc.count(body.channel, body.audience) };
  });

  app.post('/api/campaigns/sms-preview', async (req) => {
    await manager(req);
    const body = parseBody(PreviewBody, req.body);
    return smsSegments(body.text);
  });

  app.get('/api/campaigns/:id', async (req) => {
    await manager(req);
    const c = await svc.get(id(req.params));
    return { campaign: campaignView(c, await svc.progress(c._id)) };
  });

  app.patch('/api/campaigns/:id', async (req) => {
    const u = await manager(req);
    const body = parseBody(UpdateBody, req.body);
    return { campaign: campaignView(await svc.update(id(req.params), body, actorOf(u), req.ip)) };
  });

  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    app.post(`/api/campaigns/:id/${action}`, async (req) => {
      const u = await manager(req);
      return { campaign: campaignView(await svc[action](id(req.params), actorOf(u), req.ip)) };
    });
  }

  app.post('/api/campaigns/:id/approve', async (req) => {
    const u = await lead(req);
    return { campaign: campaignView(await svc.approve(id(req.params), actorOf(u), req.ip)) };
  });

  /** Every recipient's outcome (address masked), streamed. */
  app.get('/api/campaigns/:id/results.csv', async (req, reply) => {
    const u = await manager(req);
    const c = await svc.get(id(req.params));
    await hub.audit.record(actorOf(u), 'campaign.export', { type: 'campaign', id: String(c._id) }, {}, req.ip);
    reply.header('Content-Type', 'text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="campaign-${String(c._id)}.csv"`);
    const cursor = cm.Recipient.find({ campaignId: c._id }).lean().cursor({ batchSize: 500 });
    async function* lines() {
      yield '\ufeffcustomer,address,state,reason,sent_at,replied,opted_out\n';
      for await (const r of cursor) {
        const x = r as unknown as { customerId: unknown; address?: string; state: string; reason?: string; sentAt?: Date; replied?: boolean; optedOut?: boolean };
        yield [String(x.customerId), mask(x.address), x.state, x.reason ?? '', x.sentAt ? new Date(x.sentAt).toISOString() : '', x.replied ? 1 : 0, x.optedOut ? 1 : 0].map(csvCell).join(',') + '\n';
      }
    }
    const { Readable } = await import('node:stream');
    return reply.send(Readable.from(lines()));
  });
}
