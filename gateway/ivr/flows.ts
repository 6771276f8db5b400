/**
 * Stored flows: create, update (compare-and-set on the version), delete, read, and the flow a called
 * number runs. Every saved version is appended to the version log. The checks that need the store
 * (queues that exist, uploaded prompts that exist) are here; the rest is validate-flow.ts.
 */

import { checkFlow, type FlowProblem } from './validate-flow.js';
import type { Flow, FlowNode, PromptRef } from './flow-schema.js';
import type { IvrModels } from './model.js';

export class FlowInvalid extends Error {
  constructor(readonly problems: FlowProblem[]) {
    super(problems.map((p) => (p.node ? `node ${p.node}: ${p.message}` : p.message)).join('; '));
  }
}
export class FlowConflict extends Error {
  constructor(
    readonly code: 'flow_exists' | 'version_conflict',
    message: string,
  ) {
    super(message);
  }
}
export class FlowMissing extends Error {}

export interface StoredFlow {
  id: string;
  version: number;
  flow: Flow;
  updatedAt: Date;
  updatedBy?: string;
}

export class Flows {
  constructor(
    private readonly m: IvrModels,
    /** Queue ids that exist now (routing's list). */
    private readonly queues: () => Promise<string[]>,
  ) {}

  /** Schema, graph, then what the store must hold: the queues and uploaded prompts the flow names. */
  async check(body: unknown): Promise<{ ok: true; flow: Flow } | { ok: false; problems: FlowProblem[] }> {
    const c = checkFlow(body);
    if (!c.ok) return c;
    const problems: FlowProblem[] = [];
    const known = new Set(await this.queues());
    const files = new Set<string>();
    for (const n of c.flow.nodes) {
      if ('queue' in n && !known.has(n.queue)) problems.push({ node: n.id, message: `queue: unknown queue ${n.queue}` });
      for (const p of prompts(n)) if ('file' in p) files.add(p.file);
    }
    if (c.flow.vip && !known.has(c.flow.vip.queue)) problems.push({ message: `vip.queue: unknown queue ${c.flow.vip.queue}` });
    if (c.flow.vip?.greeting && 'file' in c.flow.vip.greeting) files.add(c.flow.vip.greeting.file);
    if (files.size) {
      const found = new Set((await this.m.IvrPrompt.find({ _id: { $in: [...files] } }, { _id: 1 }).lean()).map((p) => String(p._id)));
      for (const n of c.flow.nodes) for (const p of prompts(n)) if ('file' in p && !found.has(p.file)) problems.push({ node: n.id, message: `prompt file ${p.file} is not an uploaded prompt` });
    }
    return problems.length ? { ok: false, problems } : c;
  }

  async list(): Promise<StoredFlow[]> {
    const rows = await this.m.IvrFlow.find().sort({ _id: 1 }).lean();
    return rows.map(view);
  }

  async get(id: string): Promise<StoredFlow | null> {
    const row = await this.m.IvrFlow.findById(id).lean();
    return row ? view(row) : null;
  }

  /** The flow answering this called number (E.164 with or without '+'), else the `default` flow. */
  async forCalled(called: string): Promise<StoredFlow | null> {
    const plain = called.replace(/^\+/, '');
    const row = (await this.m.IvrFlow.findOne({ numbers: plain }).lean()) ?? (await this.m.IvrFlow.findOne({ numbers: `+${plain}` }).lean()) ?? (await this.m.IvrFlow.findById('default').lean());
    return row ? view(row) : null;
  }

  async create(id: string, body: unknown, by: string): Promise<StoredFlow> {
    const flow = await this.valid(body);
    try {
      await this.m.IvrFlow.create({ _id: id, version: 1, flow, numbers: flow.numbers, updatedBy: by });
    } catch (e) {
      if ((e as { code?: number }).code === 11000) throw new FlowConflict('flow_exists', `a flow ${id} exists already`);
      throw e;
    }
    await this.logVersion(id, 1, flow, by);
    return (await this.get(id))!;
  }

  /** Replaces version `expected` with the body as version `expected + 1`; 409 when someone saved first. */
  async update(id: string, expected: number, body: unknown, by: string): Promise<StoredFlow> {
    const flow = await this.valid(body);
    const r = await this.m.IvrFlow.updateOne({ _id: id, version: expected }, { $set: { version: expected + 1, flow, numbers: flow.numbers, updatedBy: by } });
    if (!r.matchedCount) {
      const now = await this.m.IvrFlow.findById(id, { version: 1 }).lean();
      if (!now) throw new FlowMissing(`flow ${id} not found`);
      throw new FlowConflict('version_conflict', `flow ${id} is at version ${now.version}, not ${expected}: reload it and edit again`);
    }
    await this.logVersion(id, expected + 1, flow, by);
    return (await this.get(id))!;
  }

  async delete(id: string, by: string): Promise<void> {
    const row = await this.m.IvrFlow.findById(id).lean();
    if (!row) throw new FlowMissing(`flow ${id} not found`);
    await this.m.IvrFlow.deleteOne({ _id: id });
    await this.logVersion(id, row.version + 1, row.flow as Flow, by, true);
  }

  async versions(id: string): Promise<{ version: number; by?: string; at: Date; deleted: boolean }[]> {
    const rows = await this.m.IvrFlowVersion.find({ flowId: id }, { version: 1, by: 1, at: 1, deleted: 1 }).sort({ version: -1 }).limit(100).lean();
    return rows.map((r) => ({ version: r.version, by: r.by ?? undefined, at: r.at, deleted: !!r.deleted }));
  }

  private async valid(body: unknown): Promise<Flow> {
    const c = await this.check(body);
    if (!c.ok) throw new FlowInvalid(c.problems);
    return c.flow;
  }

  private async logVersion(id: string, version: number, flow: Flow, by: string, deleted = false) {
    // _id "flow:version": a retried save writes its version once.
    await this.m.IvrFlowVersion.create({ _id: `${id}:${version}`, flowId: id, version, flow, by, ...(deleted ? { deleted } : {}) }).catch((e) => {
      if ((e as { code?: number }).code !== 11000) throw e;
    });
  }
}

/** Every prompt a node may say. */
export function prompts(n: FlowNode): PromptRef[] {
  const out: (PromptRef | undefined)[] = [];
  if ('prompt' in n) out.push(n.prompt);
  if (n.type === 'menu' || n.type === 'collect') out.push(n.invalidPrompt, n.noInputPrompt);
  if (n.type === 'menu') out.push(...n.options.map((o) => o.label));
  return out.filter((p): p is PromptRef => !!p);
}

function view(row: { _id: unknown; version: number; flow: unknown; updatedAt?: Date; updatedBy?: string | null }): StoredFlow {
  return { id: String(row._id), version: row.version, flow: row.flow as Flow, updatedAt: row.updatedAt ?? new Date(0), updatedBy: row.updatedBy ?? undefined };
}

