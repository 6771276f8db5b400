/** Web chat HTTP edge: session, agent availability, offline form, attachment upload. */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConnectorContext } from '../contract.js';
import { AppError, badRequest, tooLarge } from '../../lib/errors.js';
import { parseBody } from '../../lib/validate.js';
import type { WebchatConfig } from './config.js';

const SessionBody = z.object({
  name: z.string().trim().min(1, 'name is required').max(100),
  email: z.string().trim().email().max(320).optional().or(z.literal('')),
  phone: z.string().trim().regex(/^\+?[0-9 -]{5,20}$/, 'phone must be digits').optional().or(z.literal('')),
  locale: z.enum(['en', 'zh']).optional(),
  token: z.string().max(4096).optional(),
});
const OfflineBody = z.object({
  name: z.string().trim().min(1).max(100),
  email: z.string().trim().email().max(320),
  text: z.string().trim().min(1).max(4000),
  formId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
});

/** What a visitor may upload (the hub's file store checks each one's content against its magic bytes). */
const WEBCHAT_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'];

export function registerWebchatHttp(ctx: ConnectorContext, config: WebchatConfig): void {
  const app = ctx.http;
  const perIp = ctx.limiter('ip', config.sessionsPerIpPerMinute, 60);
  const limitIp = (req: FastifyRequest) => perIp.consume(req.ip);

  // Chat is offered when someone can answer now: an agent has the console open and the web chat queue
  // is within its business hours. `open: false` lets the widget say the bank is closed (not just busy).
  app.get('/api/webchat/status', async () => {
    const { agentsOnline, open } = await ctx.routing.availability(config.defaultQueue);
    return { online: agentsOnline > 0 && open, open };
  });

  app.post('/api/webchat/session', async (req) => {
    const body = parseBody(SessionBody, req.body);
    if (body.token) {
      const v = await ctx.customers.verifySession(body.token).catch(() => null);
      if (v) return { visitorId: v.sub, token: await ctx.customers.issueSession(v), name: v.name };
    }
    await limitIp(req);
    const visitorId = randomUUID();
    // A visitor is anonymous: the e-mail or phone typed into the form is kept as unverified contact
    // data, never used to link the chat to a bank customer's history.
    const cid = await ctx.customers.resolve({ channel: 'webchat', address: visitorId }, { name: body.name, language: body.locale });
    await ctx.customers.setUnverifiedContact(cid, body.name, { email: body.email || undefined, phone: body.phone || undefined });
    const token = await ctx.customers.issueSession({ sub: visitorId, cid, name: body.name });
    return { visitorId, token, name: body.name };
  });

  app.post('/api/webchat/offline', async (req) => {
    const body = parseBody(OfflineBody, req.body);
    await limitIp(req);
    const r = await ctx.ingest({
      channel: 'email',
      externalId: `webchat-offline:${body.formId ?? randomUUID()}`,
      customer: { identity: { channel: 'email', address: body.email }, name: body.name },
      from: body.email,
      subject: 'Web chat offline message',
      text: body.text,
      queue: config.defaultQueue,
      channelData: { source: 'webchat-offline' },
    });
    return { conversationId: r.conversation.id };
  });

  /** Errors while reading the upload are the client's: a malformed or cut-off multipart body, a file too large. */
  const uploadError = (e: unknown): never => {
    const err = e as { code?: string; statusCode?: number; message?: string };
    if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(`file is larger than ${config.maxAttachmentBytes} bytes`);
    if (e instanceof AppError || (err.statusCode && err.statusCode < 500)) throw e;
    throw badRequest(`malformed upload: ${String(err.message ?? 'unreadable multipart body').slice(0, 200)}`, 'bad_upload');
  };

  app.post('/api/webchat/attachments', { config: { multipart: true } }, async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const v = await ctx.customers.verifySession(header.replace(/^Bearer /i, ''));
    if (!req.isMultipart()) throw badRequest('send multipart/form-data with a file field');
    const file = await req.file({ limits: { fileSize: config.maxAttachmentBytes, files: 1 } }).catch(uploadError);
    if (!file) throw badRequest('no file in the upload');
    const max = config.maxAttachmentBytes;
    // The multipart limit cuts the stream at `max` bytes and says so with 'limit' (already, for a small
    // body parsed at once: `truncated`): failing the stream makes the file store drop what it wrote, so
    // a cut-off file is never kept.
    const cut = () => tooLarge(`file is larger than ${max} bytes`);
    if (file.file.truncated) {
      file.file.resume();
      throw cut();
    }
    file.file.once('limit', () => file.file.destroy(cut()));
    const attachment = await ctx
      .storeFile(file.file, { name: file.filename, contentType: file.mimetype, maxBytes: max, allowedTypes: WEBCHAT_TYPES, metadata: { customerId: v.cid, visitorId: v.sub } })
      .catch(uploadError);
    reply.code(201);
    return { attachment };
  });
}
