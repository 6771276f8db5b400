/**
 * Marketing campaigns and consent (issue 22): the models, consent and opt-out, the unsubscribe
 * links, and the campaign runner, wired to one hub. hub/hub.ts creates one, registers its routes and
 * starts and stops it.
 */
import type { FastifyInstance } from 'fastify';
import type { Hub } from '../hub.js';
import type { IngestResult } from '../ingest/ingest.js';
import { Consent } from './consent.js';
import { registerConsentRoutes } from './consent-routes.js';
import { campaignModels, type CampaignModels } from './models.js';
import { registerUnsubscribeRoutes, UnsubscribeTokens } from './unsubscribe.js';
import { systemClock } from './clock.js';
import { CampaignRunner } from './runner.js';
import { CampaignService } from './service.js';
import { registerCampaignRoutes } from './routes.js';
import { Replies } from './replies.js';
import { CampaignRealtime } from './realtime.js';
import type { Types } from 'mongoose';
import type { Channel } from '../models/types.js';

export class Campaigns {
  readonly models: CampaignModels;
  readonly consent: Consent;
  readonly unsubscribe: UnsubscribeTokens;
  readonly runner: CampaignRunner;
  readonly service: CampaignService;
  readonly replies: Replies;
  readonly realtime: CampaignRealtime;
  private readonly listeners = new Set<(campaignId: string) => void>();

  constructor(private readonly hub: Hub) {
    this.models = campaignModels(hub.conn);
    this.consent = new Consent(hub, this.models);
    this.unsubscribe = new UnsubscribeTokens(hub.config.jwtSecret);
    const changed = (id: string) => {
      for (const l of this.listeners) l(id);
    };
    this.replies = new Replies(hub, this.models, changed);
    this.runner = new CampaignRunner(hub, this.models, this.consent, this.unsubscribe, systemClock, { changed }, this.replies);
    this.service = new CampaignService(hub, this.models, this.runner, changed);
    this.realtime = new CampaignRealtime(hub, hub.io, this.models, this.service, hub.log.child({ mod: 'campaigns' }));
    this.listeners.add((id) => this.realtime.changed(id));
    hub.receipts.campaignReceipt = (channel, sentId, status, detail) => (channel === 'sms' || channel === 'email' ? this.runner.receipt(channel, sentId, status, detail) : Promise.resolve(false));
  }

  /** Tell `fn` whenever a campaign's counts or state may have moved (in this process). */
  onChange(fn: (campaignId: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Start sending (after the connectors are started: a send before would find none). */
  async start(): Promise<void> {
    await this.runner.start();
  }

  async init(): Promise<void> {
    await Promise.all(Object.values(this.models).map((m) => m.createIndexes()));
  }

  registerRoutes(app: FastifyInstance): void {
    registerConsentRoutes(app, this.hub, this.consent, this.models);
    registerUnsubscribeRoutes(app, this.hub, this.unsubscribe, this.consent);
    registerCampaignRoutes(app, this.hub, this.service, this.models);
  }

  /** Every inbound message once stored (also a redelivery of a stored one), before its channel is acknowledged. */
  async inbound(r: Pick<IngestResult, 'message' | 'conversation'>): Promise<void> {
    const optOut = await this.consent.inbound(r);
    await this.replies.inbound(r, optOut);
  }

  /** Where a customer's new conversation goes when it answers a campaign (ingest's `opening` hook). */
  replyRouting(customerId: Types.ObjectId, channel: Channel): Promise<{ queue?: string; tags?: string[] } | null> {
    return this.replies.routing(customerId, channel);
  }

  async close(): Promise<void> {
    this.realtime.close();
    await this.runner.close();
  }
}
