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

export class Campaigns {
  readonly models: CampaignModels;
  readonly consent: Consent;
  readonly unsubscribe: UnsubscribeTokens;

  constructor(private readonly hub: Hub) {
    this.models = campaignModels(hub.conn);
    this.consent = new Consent(hub, this.models);
    this.unsubscribe = new UnsubscribeTokens(hub.config.jwtSecret);
  }

  async init(): Promise<void> {
    await Promise.all(Object.values(this.models).map((m) => m.createIndexes()));
  }

  registerRoutes(app: FastifyInstance): void {
    registerConsentRoutes(app, this.hub, this.consent, this.models);
    registerUnsubscribeRoutes(app, this.hub, this.unsubscribe, this.consent);
  }

  /** Every inbound message once stored (also a redelivery of a stored one), before its channel is acknowledged. */
  async inbound(r: Pick<IngestResult, 'message' | 'conversation'>): Promise<void> {
    await this.consent.inbound(r);
  }

  async close(): Promise<void> {}
}
