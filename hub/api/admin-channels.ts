/**
 * GET /api/admin/channels (admins only): each enabled channel connector's lifecycle state (what /readyz
 * lists) and its links to the outside (SMPP binds: bound, reconnecting, error) as this hub process
 * sees them. Built from what connectors report, never from their config: no host, no system id, no
 * password can reach the answer. Reading it changes nothing, so it is not audited.
 */
import type { FastifyInstance } from 'fastify';
import type { Hub } from '../hub.js';
import { requireUser } from './auth-routes.js';

/** Reasons are the connector's own words; cut them to a size a table can show. */
const REASON_MAX = 300;

export function registerAdminChannelRoutes(app: FastifyInstance, hub: Hub): void {
  const admin = requireUser(hub, ['admin']);
  app.get('/api/admin/channels', async (req) => {
    await admin(req);
    const channels = hub.connectors.details().map(({ kind, status, parts }) => ({
      kind,
      state: status.state,
      reason: status.reason,
      since: status.since,
      parts: parts.map((p) => ({ name: String(p.name).slice(0, 100), state: p.state, reason: p.reason?.slice(0, REASON_MAX), since: p.since })),
    }));
    return { channels, updatedAt: new Date().toISOString() };
  });
}
