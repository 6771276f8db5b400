/**
 * A campaign's life: draft → (awaiting_approval when its audience is over campaigns.approvalThreshold:
 * a supervisor approves) → scheduled / running → paused ⇄ running → completed, or cancelled from any
 * state before completed. Every transition is one conditional write on the state it leaves (two
 * clicks, two hubs: one wins, the other gets a 409), and every action is audited.
 */
import { Types } from 'mongoose';
import { conflict, notFound } from '../../lib/errors.js';
import type { Actor } from '../audit.js';
import type { Hub } from '../hub.js';
import { countAudience, type Audience } from './audience.js';
import type { Content } from './content.js';
import type { CampaignChannel, CampaignDoc, CampaignModels, CampaignState } from './models.js';
import type { CampaignRunner } from './runner.js';

export interface CampaignInput {
  name: string;
  channel: CampaignChannel;
  audience: Audience;
  content: Content;
  queue?: string;
  startAt?: Date;
}

export interface Progress {
  total: number;
  /** Went out (delivered included); delivered and failed say what became of them. */
  pending: number;
  waiting: number;
  sending: number;
  sent: number;
  delivered: number;
  failed: number;
  skipped: Record<string, number>;
  optedOut: number;
  replied: number;
}

export class CampaignService {
  constructor(
    private readonly hub: Hub,
    private readonly cm: CampaignModels,
    private readonly runner: CampaignRunner,
    private readonly changed: (id: string) => void,
  ) {}

  async get(id: string): Promise<CampaignDoc> {
    if (!Types.ObjectId.isValid(id)) throw notFound('campaign');
    const c = (await this.cm.Campaign.findById(id).lean()) as unknown as CampaignDoc | null;
    if (!c) throw notFound('campaign');
    return c;
  }

  async create(input: CampaignInput, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.cm.Campaign.create({ ...input, state: 'draft', createdBy: { id: actor.id, name: actor.name } });
    await this.hub.audit.record(actor, 'campaign.create', { type: 'campaign', id: String(c._id) }, { name: input.name, channel: input.channel, audience: input.audience }, ip);
    return c.toObject() as unknown as CampaignDoc;
  }

  /** A draft's audience, content, schedule or queue (only while it is a draft). */
  async update(id: string, input: Partial<CampaignInput>, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.move(id, ['draft'], 'draft', input as Record<string, unknown>);
    await this.hub.audit.record(actor, 'campaign.update', { type: 'campaign', id }, { fields: Object.keys(input) }, ip);
    return c;
  }

  count(channel: CampaignChannel, audience: Audience): Promise<number> {
    return countAudience(this.hub.m, audience, channel);
  }

  /** Submit a draft: over the threshold it waits for approval; else it is scheduled or runs now. */
  async start(id: string, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.get(id);
    if (c.state !== 'draft') throw conflict('invalid_state', `a ${c.state} campaign cannot be started`);
    const size = await this.count(c.channel, c.audience as Audience);
    const needsApproval = size > this.hub.config.campaigns.approvalThreshold;
    const next = needsApproval ? await this.move(id, ['draft'], 'awaiting_approval', { audienceCount: size }) : await this.launch(id, ['draft'], { audienceCount: size });
    await this.hub.audit.record(actor, needsApproval ? 'campaign.submit' : 'campaign.start', { type: 'campaign', id }, { audienceCount: size, state: next.state }, ip);
    return next;
  }

  async approve(id: string, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.launch(id, ['awaiting_approval'], { approvedBy: { id: actor.id, name: actor.name, at: new Date() } });
    await this.hub.audit.record(actor, 'campaign.approve', { type: 'campaign', id }, { state: c.state }, ip);
    return c;
  }

  async pause(id: string, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.move(id, ['running', 'scheduled'], 'paused');
    await this.hub.audit.record(actor, 'campaign.pause', { type: 'campaign', id }, {}, ip);
    return c;
  }

  async resume(id: string, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.move(id, ['paused'], 'running', { startedAt: new Date() });
    await this.runner.kick(c);
    await this.hub.audit.record(actor, 'campaign.resume', { type: 'campaign', id }, {}, ip);
    return c;
  }

  async cancel(id: string, actor: Actor, ip?: string): Promise<CampaignDoc> {
    const c = await this.move(id, ['draft', 'awaiting_approval', 'scheduled', 'running', 'paused'], 'cancelled', { finishedAt: new Date() });
    // Whatever was not sent is accounted for as skipped (a lane mid-send finishes its one recipient).
    await this.cm.Recipient.updateMany({ campaignId: c._id, state: { $in: ['pending', 'waiting'] } }, { $set: { state: 'skipped', reason: 'cancelled', updatedAt: new Date() } });
    await this.hub.audit.record(actor, 'campaign.cancel', { type: 'campaign', id }, {}, ip);
    this.changed(id);
    return c;
  }

  /** Scheduled for later, or running now. */
  private async launch(id: string, from: CampaignState[], set: Record<string, unknown>): Promise<CampaignDoc> {
    const c = await this.get(id);
    const later = c.startAt && new Date(c.startAt).getTime() > Date.now();
    const next = await this.move(id, from, later ? 'scheduled' : 'running', { ...set, ...(later ? {} : { startedAt: new Date() }) });
    if (later) await this.runner.schedule(id, new Date(c.startAt!));
    else await this.runner.kick(next);
    return next;
  }

  private async move(id: string, from: CampaignState[], to: CampaignState, set: Record<string, unknown> = {}): Promise<CampaignDoc> {
    const c = await this.get(id);
    const next = (await this.cm.Campaign.findOneAndUpdate({ _id: c._id, state: { $in: from } }, { $set: { ...set, state: to, updatedAt: new Date() } }, { new: true }).lean()) as unknown as CampaignDoc | null;
    if (!next) throw conflict('invalid_state', `a ${(await this.get(id)).state} campaign cannot become ${to}`);
    this.changed(id);
    return next;
  }

  /** Counts by state and skip reason, opt-outs and replies: aggregates only, never contents. */
  async progress(id: Types.ObjectId): Promise<Progress> {
    const rows = (await this.cm.Recipient.aggregate([{ $match: { campaignId: id } }, { $group: { _id: { state: '$state', reason: '$reason' }, n: { $sum: 1 } } }])) as { _id: { state: string; reason?: string | null }; n: number }[];
    const p: Progress = { total: 0, pending: 0, waiting: 0, sending: 0, sent: 0, delivered: 0, failed: 0, skipped: {}, optedOut: 0, replied: 0 };
    for (const r of rows) {
      p.total += r.n;
      const s = r._id.state;
      if (s === 'skipped') p.skipped[r._id.reason ?? 'other'] = (p.skipped[r._id.reason ?? 'other'] ?? 0) + r.n;
      else if (s in p) (p as unknown as Record<string, number>)[s] += r.n;
    }
    // `sent` counts every message that went out, delivered ones too (a progress bar's numerator).
    p.sent += p.delivered;
    [p.optedOut, p.replied] = await Promise.all([this.cm.Recipient.countDocuments({ campaignId: id, optedOut: true }), this.cm.Recipient.countDocuments({ campaignId: id, replied: true })]);
    return p;
  }
}
