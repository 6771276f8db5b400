/** Web chat HTTP edge: session, agent availability, offline form, attachment upload. */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConnectorContext } from '../contract.js';
import { AppError, badRequest, tooLarge, unsupportedType } from '../../lib/errors.js';
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

/** Allowed upload types, each with the magic bytes its content must start with (never trust the declared type alone). */
const ALLOWED: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => b.subarray(0, 4).toString('latin1') === 'GIF8',
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'text/plain': (b) => !b.subarray(0, 4096).includes(0),
};

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

  app.post('/api/webchat/attachments', async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const v = await ctx.customers.verifySession(header.replace(/^Bearer /i, ''));
    if (!req.isMultipart()) throw badRequest('send multipart/form-data with a file field');
    const file = await req.file({ limits: { fileSize: config.maxAttachmentBytes, files: 1 } }).catch(uploadError);
    if (!file) throw badRequest('no file in the upload');
    const check = ALLOWED[file.mimetype];
    if (!check) throw unsupportedType(`files of type ${file.mimetype} are not accepted (images, PDF, plain text)`);
    const buf = await file.toBuffer().catch(uploadError);
    if (file.file.truncated) throw tooLarge(`file is larger than ${config.maxAttachmentBytes} bytes`);
    if (buf.length === 0) throw badRequest('file is empty');
    if (!check(buf)) throw unsupportedType(`the file's content is not ${file.mimetype}`);
    const name = (file.filename || 'file').replace(/[\u0000-\u001f\\/]/g, '_').slice(0, 200);
    const attachment = await ctx.files.put(buf, { name, contentType: file.mimetype, customerId: v.cid, channelData: { visitorId: v.sub } });
    reply.code(201);
    return { attachment };
  });
}
