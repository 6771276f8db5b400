/**
 * Inbound a connector refused and kept (e-mail past the per-sender flood limit: the raw mail in the
 * file store with `metadata.refused` = the reason, channels/email/refusals.ts). Admins only:
 *   GET    /api/admin/refused               the list, newest first, with the reason
 *   POST   /api/admin/refused/:id/release   the connector takes it in now (past the limit); then the kept copy goes
 *   DELETE /api/admin/refused/:id           the kept copy goes, unread
 * Release and delete are audited. Release stores before it deletes: a crash between them leaves the
 * item listed, and releasing it again is harmless (ingest is idempotent on the mail's Message-ID).
 */
import type { FastifyInstance } from 'fastify';
import { Types } from 'mongoose';
import { AppError, notFound, tooLarge } from '../../lib/errors.js';
import type { Channel } from '../models/types.js';
import { BUCKET } from '../files.js';
import type { Hub } from '../hub.js';
import { requireUser, type SessionUser } from './auth-routes.js';

/** The most a list shows; refused mail is rare (a sender past the flood limit), not a mailbox. */
const LIST_MAX = 500;
/** A refused item is read whole to hand it back to its connector: never more than a mail may be. */
const RELEASE_MAX_BYTES = 64 * 1024 * 1024;

const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);

export function registerAdminRefusedRoutes(app: FastifyInstance, hub: Hub): void {
  const admin = requireUser(hub, ['admin']);
  const actor = (u: SessionUser) => ({ type: 'user' as const, id: u.id, name: u.name, role: u.role });
  const files = () => hub.conn.db!.collection(`${BUCKET}.files`);

  const view = (f: Record<string, any>) => ({
    id: String(f._id),
    channel: text(f.metadata?.channel, 20) ?? 'email',
    reason: text(f.metadata?.refused, 300),
    mailbox: text(f.metadata?.mailbox, 100),
    from: text(f.metadata?.from, 320),
    subject: text(f.metadata?.subject, 300),
    messageId: text(f.metadata?.messageId, 500),
    size: Number(f.length ?? 0),
    at: f.uploadDate instanceof Date ? f.uploadDate.toISOString() : undefined,
  });

  /** The refused item by id, or 404 (also for an id that is not one, or a file that was not refused). */
  async function item(params: unknown) {
    const id = String((params as { id?: unknown }).id ?? '');
    if (!/^[0-9a-f]{24}$/.test(id)) throw notFound('refused item');
    const f = await files().findOne({ _id: new Types.ObjectId(id) });
    if (!f || typeof f.metadata?.refused !== 'string') throw notFound('refused item');
    return f;
  }

  app.get('/api/admin/refused', async (req) => {
    await admin(req);
    const rows = await files().find({ 'metadata.refused': { $exists: true } }).toArray();
    rows.sort((a, b) => +(b.uploadDate ?? 0) - +(a.uploadDate ?? 0));
    return { items: rows.slice(0, LIST_MAX).map(view), total: rows.length };
  });

  app.post('/api/admin/refused/:id/release', async (req) => {
    const u = await admin(req);
    const f = await item(req.params);
    const v = view(f);
    const connector = hub.connectors.get(v.channel as Channel);
    if (!connector?.releaseRefused) throw new AppError(422, 'channel_unavailable', `no ${v.channel} connector on this hub can take this in`);
    if (v.size > RELEASE_MAX_BYTES) throw tooLarge('this item is larger than a mail may be');
    const chunks: Buffer[] = [];
    for await (const c of hub.files.open(v.id)) chunks.push(c as Buffer);
    await connector.releaseRefused({ id: v.id, metadata: f.metadata as Record<string, unknown>, bytes: Buffer.concat(chunks) });
    await hub.audit.record(actor(u), 'refused.release', { type: 'file', id: v.id }, { channel: v.channel, mailbox: v.mailbox, from: v.from, reason: v.reason, messageId: v.messageId }, req.ip);
    await hub.files.delete(v.id);
    return { released: v };
  });

  app.delete('/api/admin/refused/:id', async (req, reply) => {
    const u = await admin(req);
    const v = view(await item(req.params));
    await hub.files.delete(v.id);
    await hub.audit.record(actor(u), 'refused.delete', { type: 'file', id: v.id }, { channel: v.channel, mailbox: v.mailbox, from: v.from, reason: v.reason, messageId: v.messageId }, req.ip);
    reply.code(204);
    return null;
  });
}
