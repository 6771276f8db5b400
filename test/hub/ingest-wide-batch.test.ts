/**
 * One group-commit batch touching many conversations (bench/chat.ts: 500 live chats at 1,000 msg/s).
 * FerretDB 1.24 holds one pooled PostgreSQL connection per statement of an update command until the
 * command ends (pool of 50): a counters bulkWrite of ~50 conversations used to wait forever, with the
 * store's write lock held, so every later write of every hub hung. Ingest now splits it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';

let h: TestHub;
beforeAll(async () => {
  // One batch in flight: while the first message is written, the other 69 queue up into one batch.
  h = await startTestHub({ name: 'ingest_wide', overrides: { 'ingest.maxInFlight': 1 } });
});
afterAll(async () => h?.close());

test('a batch of 70 messages in 70 different conversations is stored, counted and answered', async () => {
  const tag = randomBytes(4).toString('hex');
  const N = 70;
  const msg = (i: number, n: number) => ({
    channel: 'sms' as const,
    externalId: `wide-${tag}-${i}-${n}`,
    customer: { identity: { channel: 'sms' as const, address: `+8613${tag}${String(i).padStart(3, '0')}` } },
    text: `message ${n} of ${i}`,
  });
  // Open the conversations first (customer and conversation lookups are then cached, so the second
  // messages reach the group commit together).
  for (let i = 0; i < N; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => h.hub.ingest.ingest(msg(i + j, 1))));
  let timer: NodeJS.Timeout | undefined;
  const results = await Promise.race([
    Promise.all(Array.from({ length: N }, (_, i) => h.hub.ingest.ingest(msg(i, 2)))),
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error('ingest of one wide batch did not finish in 30 s (store hung?)')), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  expect(results.filter((r) => !r.duplicate)).toHaveLength(N);
  const convIds = [...new Set(results.map((r) => String(r.conversation._id)))];
  expect(convIds).toHaveLength(N);
  // Counters live in the inbox view; MongoDB gets them by write-back.
  await h.hub.inbox.flushAll();
  const convs = await h.hub.m.Conversation.find({ _id: { $in: convIds } }).lean();
  expect(convs.map((c) => c.messageCount)).toEqual(Array(N).fill(2));
});
