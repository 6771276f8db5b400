/**
 * POST /api/conversations/:id/attachments (agents, supervisors, admins): a file the agent will send
 * in this conversation (multipart, one `file`). A fax conversation takes only what a fax gateway can
 * send — PDF or TIFF, recognised by its bytes (the file store refuses content that is not what it
 * claims) — others the hub's `files.allowedTypes`; size up to `files.maxBytes`, enforced while it
 * streams. The file belongs to the conversation and its uploader (metadata), so the reply route takes
 * its id in `attachmentIds` and other agents see it only through the conversation.
 */
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import { AppError, badRequest, notFound, tooLarge } from '../../lib/errors.js';
import type { Hub } from '../hub.js';
import type { ConversationDoc } from '../models/conversation.js';
import { visibleWithoutOffers } from '../visibility.js';
import { requireUser } from './auth-routes.js';

/** What an e-mail-to-fax gateway turns into a fax. */
export const FAX_DOCUMENT_TYPES = ['application/pdf', 'image/tiff'];
/** Browsers label a .tif or .pdf they do not know as octet-stream: the name says what it should be (the bytes are checked). */
const BY_EXTENSION: Record<string, string> = { pdf: 'application/pdf', tif: 'image/tiff', tiff: 'image/tiff' };
const LIMITS = (fileSize: number) => ({ fileSize, files: 1, fields: 4, fieldSize: 1024, fieldNameSize: 64, parts: 6, headerPairs: 20 });

export function registerAgentUploadRoutes(app: FastifyInstance, hub: Hub): void {
  const inboxUser = requireUser(hub, ['agent', 'supervisor', 'admin']);

  /** Errors while reading the upload are the client's: a malformed or cut-off body, a file too large. */
  const uploadError = (max: number) => (e: unknown): never => {
    const err = e as { code?: string; statusCode?: number; message?: string };
    if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(`file is larger than ${max} bytes`);
    if (e instanceof AppError || (err.statusCode && err.statusCode < 500)) throw e;
    throw badRequest(`malformed upload: ${String(err.message ?? 'unreadable multipart body').slice(0, 200)}`, 'bad_upload');
  };

  app.post('/api/conversations/:id/attachments', { config: { multipart: true } }, async (req, reply) => {
    const u = await inboxUser(req);
    const id = String((req.params as { id?: unknown }).id ?? '');
    if (!/^[0-9a-f]{24}$/.test(id)) throw badRequest('conversation id is not valid');
    const c = (await hub.m.Conversation.findById(new Types.ObjectId(id)).lean()) as ConversationDoc | null;
    // Not theirs to see is as if missing.
    if (!c || !visibleWithoutOffers(u, c)) throw notFound('conversation');
    if (!req.isMultipart()) throw badRequest('send multipart/form-data with a file field');
    const max = hub.config.files.maxBytes;
    const file = await req.file({ limits: LIMITS(max) }).catch(uploadError(max));
    if (!file) throw badRequest('no file in the upload');
    const cut = () => tooLarge(`file is larger than ${max} bytes`);
    if (file.file.truncated) {
      file.file.resume();
      throw cut();
    }
    file.file.once('limit', () => file.file.destroy(cut()));
    const fax = c.channel === 'fax';
    const ext = /\.([a-z0-9]{1,5})$/i.exec(file.filename ?? '')?.[1]?.toLowerCase() ?? '';
    const declared = (file.mimetype || '').toLowerCase();
    const contentType = (!declared || declared === 'application/octet-stream') && BY_EXTENSION[ext] ? BY_EXTENSION[ext]! : declared;
    const attachment = await hub.files
      .store(file.file, {
        name: file.filename || (fax ? 'fax-document' : 'file'),
        contentType,
        maxBytes: max,
        ...(fax ? { allowedTypes: FAX_DOCUMENT_TYPES } : {}),
        metadata: { conversationId: id, userId: u.id, channel: c.channel },
      })
      .catch(uploadError(max));
    reply.code(201);
    return { attachment };
  });
}
