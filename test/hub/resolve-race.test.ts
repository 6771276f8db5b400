/**
 * A customer's message already on its way into a conversation (waiting for its batch) when an agent
 * resolves that conversation: it must not end up unrouted in the resolved conversation. It moves to
 * the customer's next conversation, which is opened and queued, and the counts follow it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
beforeAll(async () => {
  h = await startTestHub({ name: 'resolve_race' });
});
afterAll(async () => {
  await h?.close();
});

/** An admission gate for IngestOptions.admit that tells when the batch waits on it, and opens on demand. */
function gate() {
  let armed = false;
  let reached!: () => void;
  let open!: () => void;
  const atBatch = new Promise<void>((r) => (reached = r));
  const inner = new Promise<void>((r) => (open = r));
  const admit = {
    then: (f?: (v: void) => unknown, r?: (e: unknown) => unknown) => {
      if (armed) reached();
      return inner.then(f, r);
    },
    catch: (r: (e: unknown) => unknown) => inner.catch(r),
  } as unknown as Promise<unknown>;
  return { admit, arm: () => (armed = true), atBatch, open };
}

test('resolved while a message waits for its batch: the message moves to a new, queued conversation', async () => {
  const msg = (n: number) => ({ channel: 'webchat' as const, externalId: `race-visitor:${n}`, customer: { identity: { channel: 'webchat' as const, address: 'race-visitor' }, name: 'Race Visitor' }, text: `message ${n}`, channelData: { visitorId: 'race-visitor' } });
  const first = await h.hub.ingest.ingest(msg(1));
  const c1 = String(first.conversation._id);

  const g = gate();
  const pending = h.hub.ingest.ingest(msg(2), { admit: g.admit });
  g.arm();
  await g.atBatch; // message 2 is in a batch, bound for conversation c1

  const sup = await loginAs(h.url, 'super1');
  const res = await api(h.url, `/api/conversations/${c1}/resolve`, { token: sup, body: { wrapUpCode: 'resolved' } });
  g.open(); // (before any assertion: a batch left waiting would hold the hub's shutdown)
  expect(res.status).toBe(200);

  const second = await pending;
  const c2 = String(second.conversation._id);
  expect(c2).not.toBe(c1);
  expect(second.duplicate).toBe(false);

  const stored = await h.hub.m.Message.findOne({ externalId: 'race-visitor:2' }).lean();
  expect(String(stored!.conversationId)).toBe(c2);
  const conv2 = await h.hub.m.Conversation.findById(c2).lean();
  expect(conv2!.status).toBe('queued');
  expect((await h.hub.m.Conversation.findById(c1).lean())!.status).toBe('resolved');

  // The unread count follows the message: one in each conversation (c1 was at two before the move).
  expect((await h.hub.inbox.view(conv2!)).unreadCount).toBe(1);
  expect((await h.hub.inbox.view((await h.hub.m.Conversation.findById(c1).lean())!)).unreadCount).toBe(1);

  // And the customer's next message goes to c2 as well.
  const third = await h.hub.ingest.ingest(msg(3));
  expect(String(third.conversation._id)).toBe(c2);
});
