/**
 * Live campaign progress over socket.io: namespace `/campaigns` (marketing, supervisors, admins, as
 * stored now). Clients get `campaign.progress` `{id, state, progress, updatedAt}` — counts only, never
 * contents — at most once a second per campaign from each process that moves it (the lanes' process),
 * to every hub's clients through the Redis adapter. The agent socket is not used: it carries
 * conversation contents and refuses marketing.
 */
import type { Server } from 'socket.io';
import type { Logger } from 'pino';
import { Types } from 'mongoose';
import { AppError, forbidden, socketRefusal } from '../../lib/errors.js';
import { sessionUser } from '../auth/sessions.js';
import type { Hub } from '../hub.js';
import type { CampaignModels } from './models.js';
import type { CampaignService } from './service.js';

const ROOM = 'campaigns';
const ROLES = new Set(['marketing', 'supervisor', 'admin']);

export class CampaignRealtime {
  private pending = new Map<string, NodeJS.Timeout>();
  private last = new Map<string, number>();

  constructor(
    private readonly hub: Hub,
    private readonly io: Server,
    private readonly cm: CampaignModels,
    private readonly svc: CampaignService,
    private readonly log: Logger,
  ) {
    const ns = io.of('/campaigns');
    ns.use((socket, next) => {
      void (async () => {
        const claims = await hub.tokens.verify(socket.handshake.auth?.token, 'agent');
        const user = await sessionUser({ m: hub.m }, claims);
        if (!ROLES.has(String(user.role))) throw forbidden('campaign progress is for marketing, supervisors and admins');
        next();
      })().catch((e) => {
        if (!(e instanceof AppError)) this.log.warn({ err: e }, 'campaign socket check failed');
        next(socketRefusal(e));
      });
    });
    // Clients only listen: any event they send is ignored.
    ns.on('connection', (socket) => void socket.join(ROOM));
  }

  /** A campaign moved here: announce its counts (coalesced to one emission a second per campaign). */
  changed(id: string): void {
    if (this.pending.has(id)) return;
    const wait = Math.max(0, 1000 - (Date.now() - (this.last.get(id) ?? 0)));
    this.pending.set(
      id,
      setTimeout(() => {
        this.pending.delete(id);
        this.last.set(id, Date.now());
        if (this.last.size > 1000) this.last.clear();
        void this.emit(id).catch((e) => this.log.warn({ err: e, campaignId: id }, 'campaign progress not announced'));
      }, wait),
    );
  }

  private async emit(id: string): Promise<void> {
    const c = await this.cm.Campaign.findById(id, { state: 1, updatedAt: 1 }).lean();
    if (!c) return;
    const progress = await this.svc.progress(new Types.ObjectId(id));
    this.io.of('/campaigns').to(ROOM).emit('campaign.progress', { id, state: c.state, progress, updatedAt: new Date().toISOString() });
  }

  close(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    void this.hub;
  }
}
