/**
 * A supervisor merges two customers who are one person: the merged customer's identities and
 * conversations (live ones too) move to the surviving customer, and the merged one stays behind as a
 * tombstone (`mergedInto`) that every hub follows, so nothing that still names it (a web chat
 * visitor's token, an identity cached before the merge) can open anything under it again.
 *
 * Messages keep the customer id they arrived under (their conversation is what moves): a web chat
 * visitor's history is read by that id and must stay theirs.
 *
 * Concurrent ingest: a message whose customer was resolved just before the merge may open a
 * conversation under the merged customer after the move. The move therefore runs twice: once, then
 * again after every hub has acknowledged the merge (from then on their ingest follows the tombstone,
 * and moves on the spot whatever it opened for the merged customer: hub/ingest/ingest.ts findOrOpen).
 * The store serialises writes, so anything opened is either seen by the second move or opened after
 * the acknowledgement.
 */
import { Types } from 'mongoose';
import type { Hub } from './hub.js';
import type { SessionUser } from './api/auth-routes.js';
import { badRequest, conflict, isDuplicateKey, notFound } from '../lib/errors.js';
import type { ConversationDoc } from './models/conversation.js';
import { isLive } from './models/types.js';

const EVENT = 'customer.merged';

export interface MergeResult {
  into: string;
  from: string;
  identities: number;
  conversations: number;
  live: number;
}

export class CustomerMerge {
  constructor(private readonly hub: Hub) {
    // Another hub merged: follow the tombstone and drop what this process cached for the merged customer.
    hub.io.on(EVENT, (from: string, into: string, openKeys: string[], ack?: (ok: boolean) => void) => {
      this.applyLocally(from, into, openKeys);
      ack?.(true);
    });
  }

  async merge(intoId: string, fromId: string, u: SessionUser, ip?: string): Promise<MergeResult> {
    if (intoId === fromId) throw badRequest('a customer cannot be merged into itself', 'same_customer');
    const m = this.hub.m;
    const into = new Types.ObjectId(intoId);
    const from = new Types.ObjectId(fromId);
    const [a, b] = await Promise.all([m.Customer.findById(into).lean(), m.Customer.findById(from).lean()]);
    if (!a) throw notFound('customer');
    if (!b) throw notFound('customer to merge');
    if (a.mergedInto) throw conflict('already_merged', `customer ${intoId} was merged into ${String(a.mergedInto)}`);
    // The tombstone is the lock: of two supervisors merging the same customer, one wins this write.
    const now = new Date();
    const marked = await m.Customer.findOneAndUpdate({ _id: from, mergedInto: null }, { $set: { mergedInto: into, mergedAt: now } }, { new: true }).lean();
    if (!marked) throw conflict('already_merged', `customer ${fromId} is already merged`);
    // A → B and B → A at once would make a loop: the survivor must not have been merged meanwhile.
    if ((await m.Customer.findById(into, { mergedInto: 1 }).lean())?.mergedInto) {
      await m.Customer.updateOne({ _id: from, mergedInto: into }, { $unset: { mergedInto: 1, mergedAt: 1 } });
      throw conflict('merge_conflict', 'the surviving customer was merged into another meanwhile; reload and try again');
    }
    this.hub.ingest.ids.customerMerged(fromId, intoId);

    const identities = await m.Identity.updateMany({ customerId: from }, { $set: { customerId: into } });
    // What the customer record shows: the survivor keeps its name and tier, gains tags and contact points.
    await m.Customer.updateOne(
      { _id: into },
      {
        $addToSet: { tags: { $each: (b.tags as string[]) ?? [] }, identities: { $each: (b.identities ?? []) as unknown as never[] } },
        $set: { updatedAt: now, ...(a.name ? {} : { name: b.name }) },
      },
    );
    const first = await this.moveConversations(from, into, { name: a.name || b.name || '', tier: a.tier ?? 'standard' });
    await this.tellEveryHub(fromId, intoId, first.openKeys);
    const second = await this.moveConversations(from, into, { name: a.name || b.name || '', tier: a.tier ?? 'standard' });
    if (second.openKeys.length) this.tellEveryHub(fromId, intoId, second.openKeys).catch(() => undefined);
    const moved = [...first.moved, ...second.moved];
    for (const c of moved) this.hub.events.conversationUpdated(c);
    const result: MergeResult = { into: intoId, from: fromId, identities: identities.modifiedCount ?? 0, conversations: moved.length, live: moved.filter((c) => isLive(c.status)).length };
    await this.hub.audit.record({ type: 'user', id: u.id, name: u.name, role: u.role }, 'customer.merge', { type: 'customer', id: intoId }, { from: fromId, identities: result.identities, conversations: result.conversations, live: result.live }, ip);
    this.hub.agents.emit(['role:supervisor', 'role:admin', ...new Set(moved.flatMap((c) => (c.assigneeId ? [`user:${c.assigneeId}`] : [])))], 'customer.merged', { from: fromId, into: intoId, updatedAt: now.toISOString() });
    return result;
  }

  /**
   * Every conversation of `from` now belongs to `into`. A live one takes the survivor's open key when
   * the survivor has no live conversation of its kind, so the customer's next message (by any of
   * their identities) lands in it; otherwise it keeps its key and stays live until an agent resolves it.
   */
  private async moveConversations(from: Types.ObjectId, into: Types.ObjectId, who: { name: string; tier: string }) {
    const m = this.hub.m;
    const rows = (await m.Conversation.find({ customerId: from }).lean()) as ConversationDoc[];
    const moved: ConversationDoc[] = [];
    const openKeys: string[] = [];
    for (const c of rows) {
      const set: Record<string, unknown> = { customerId: into, customerName: who.name, customerTier: who.tier, updatedAt: new Date() };
      let upd: ConversationDoc | null = null;
      const rekey = isLive(c.status) && c.openKey.includes(String(from)) ? c.openKey.split(String(from)).join(String(into)) : null;
      if (rekey && !(await m.Conversation.exists({ openKey: rekey }))) {
        openKeys.push(c.openKey, rekey);
        try {
          upd = (await m.Conversation.findOneAndUpdate({ _id: c._id, customerId: from, openKey: c.openKey }, { $set: { ...set, openKey: rekey } }, { new: true }).lean()) as ConversationDoc | null;
        } catch (e) {
          // Taken meanwhile. The embedded store reports a unique violation in findAndModify as PostgreSQL's 23505, not 11000.
          if (!isDuplicateKey(e) && !/SQLSTATE 23505|duplicate key/.test(String((e as Error).message))) throw e;
        }
      }
      // Not live, the survivor already has a live one here, or resolved meanwhile: move it as it is.
      upd ??= (await m.Conversation.findOneAndUpdate({ _id: c._id, customerId: from }, { $set: set }, { new: true }).lean()) as ConversationDoc | null;
      if (upd) moved.push(upd);
    }
    return { moved, openKeys };
  }

  private applyLocally(from: string, into: string, openKeys: string[]): void {
    this.hub.ingest.ids.customerMerged(from, into);
    for (const k of openKeys) this.hub.ingest.forgetConversation(k);
  }

  /** Every hub follows the merge and forgets the moved conversations' keys; waits for their acks (bounded: a dead hub ingests nothing). */
  private async tellEveryHub(from: string, into: string, openKeys: string[]): Promise<void> {
    this.applyLocally(from, into, openKeys);
    await new Promise<void>((resolve) => {
      // The Redis adapter counts the other hubs and gives up on the silent ones after its requestsTimeout (5 s).
      this.hub.io.serverSideEmit(EVENT, from, into, openKeys, (err: unknown) => {
        if (err) this.hub.log.warn({ err, from, into }, 'not every hub acknowledged a customer merge in time');
        resolve();
      });
    });
  }
}
