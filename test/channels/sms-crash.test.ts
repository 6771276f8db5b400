/**
 * SIGKILL the hub while 1,000 MO texts are arriving (issue 19): the SMSC simulator keeps 50
 * deliver_sm outstanding at a time and redelivers every one it has no deliver_sm_resp for once the
 * next hub binds, as an SMSC does. After the restart every text is stored exactly once: none lost
 * (a resp only after the store), none twice (a redelivery of a stored text is recognised).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSmsHub, type SmsHub } from '../helpers/sms-hub.js';
import { waitFor } from '../helpers/wait.js';

const TOTAL = 1000;
const WINDOW = 50;
const KILL_AFTER = 400;
let env: SmsHub;

beforeAll(async () => {
  env = await startSmsHub('sms-crash');
});
afterAll(async () => env?.close());

test('a hub SIGKILLed while 1,000 MO texts arrive: after the restart each is stored exactly once', async () => {
  const { smsc, db } = env;
  // 50 customers writing in turn; each text is unique (SMPP gives an MO no id: its content is its identity).
  const mos = Array.from({ length: TOTAL }, (_, i) => ({ from: `86139${String(10_000_000 + (i % 50)).padStart(8, '0')}`, text: `balance question number ${i}` }));
  let acked = 0;
  let inFlight = 0;
  let unackedAtKill = -1;
  let restarted: Promise<void> | undefined;
  const deliver = async (mo: { from: string; text: string }) => {
    inFlight++;
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 50) throw new Error(`MO "${mo.text}" never acked`);
        await waitFor(() => smsc.sessions.size > 0, 60_000, 'a bound session');
        // -1: the session closed before the resp (the kill): redeliver to the next hub.
        const status = await smsc.mo(mo.from, mo.text).catch(() => -1);
        if (status === 0) break;
      }
    } finally {
      inFlight--;
    }
    acked++;
    if (acked === KILL_AFTER && !restarted) {
      unackedAtKill = inFlight;
      restarted = env.restart(); // SIGKILL now, with the window full of deliver_sm in every state
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < TOTAL) await deliver(mos[next++]!);
    }),
  );
  await restarted;
  expect(unackedAtKill, 'deliver_sm outstanding at the kill').toBeGreaterThan(0);
  expect(acked).toBe(TOTAL);

  const stored = await db.collection('messages').find({ channel: 'sms', direction: 'in', text: { $regex: '^balance question number ' } }, { projection: { text: 1 } }).toArray();
  const counts = new Map<string, number>();
  for (const m of stored) counts.set(String(m.text), (counts.get(String(m.text)) ?? 0) + 1);
  const missing = mos.filter((m) => !counts.has(m.text)).map((m) => m.text);
  const twice = [...counts].filter(([, c]) => c > 1).map(([t]) => t);
  expect(missing).toEqual([]);
  expect(twice).toEqual([]);
  expect(stored.length).toBe(TOTAL);
}, 300_000);
