/**
 * The IVR as the hub holds it: stored flows, prompt files, the bank-core adapter, and `run()`, which
 * the call layer (gateway/call) invokes with an answered call's media and call control. See
 * session.ts for the CallControl contract and what a run returns.
 */
import type { Connection } from 'mongoose';
import { join } from 'node:path';
import type { CallMedia } from '../../media/contract.js';
import type { BankCore } from './bank-core.js';
import { DemoBankCore, type DemoBankModels } from './bank-core.js';
import { Flows } from './flows.js';
import type { IvrModels } from './model.js';
import { PromptFiles } from './prompts/store.js';
import type { ProfileModels } from './caller-profile.js';
import { IvrSession, type CallControl, type IvrResult } from './session.js';

export interface IvrDeps {
  conn: Connection;
  m: IvrModels & DemoBankModels & ProfileModels;
  /** Prompt cache folder (under the hub's data dir). */
  promptDir: string;
  queues: () => Promise<string[]>;
  /** A bank's own adapter; the demo one answers from our customers. */
  bank?: BankCore;
  log?: { warn: (o: object, m: string) => void };
}

export class Ivr {
  readonly flows: Flows;
  readonly prompts: PromptFiles;
  readonly bank: BankCore;

  constructor(private readonly deps: IvrDeps) {
    this.flows = new Flows(deps.m, deps.queues);
    this.prompts = new PromptFiles(deps.promptDir, deps.m);
    this.bank = deps.bank ?? new DemoBankCore(deps.conn, deps.m);
  }

  /** Runs the flow for the called number over an answered call; resolves with where the caller went and the path. */
  async run(call: CallControl, media: CallMedia, opts: { flowId?: string } = {}): Promise<IvrResult> {
    const stored = opts.flowId ? await this.flows.get(opts.flowId) : await this.flows.forCalled(call.called);
    if (!stored) throw new Error(`no IVR flow for ${call.called} and no default flow`);
    const session = new IvrSession({ flow: stored.flow, flowId: stored.id, flowVersion: stored.version, call, media, prompts: this.prompts, bank: this.bank, models: this.deps.m, log: this.deps.log });
    return session.run();
  }
}

export const defaultPromptDir = (dataDir: string) => join(dataDir, 'prompts');
export type { CallControl, IvrResult } from './session.js';
