/**
 * The channel connector conformance suite (channels/contract.ts): every connector — webchat, email,
 * sms, voice, fax — runs these same tests against a real hub, with an adapter playing the far end of
 * the channel (a widget, an SMSC, a mail server, a SIP phone) through the channel's real protocol:
 *   - ingest exactly once: resending the same channel message id never stores it twice, also across
 *     a reconnect of the transport and when the transport dropped after the hub read the message
 *     but before its ack reached the peer (the lost ack);
 *   - ack after store: with the store frozen (SIGSTOP) no ack arrives; every acked message is stored;
 *   - restart without loss: a hub process SIGKILLed while messages are in flight loses and
 *     duplicates nothing once the peer resends to the next one;
 *   - status mapping: the connector's table of native delivery states, and each state the peer can
 *     report through the protocol (web chat: read) reaching the stored message;
 *   - outbound: a hub-side reply reaches the peer and its stored status becomes 'sent'.
 * Capabilities a channel lacks (optional adapter methods) are skipped visibly, never passed silently.
 *
 * A connector's test file supplies the adapter: `describeConnectorConformance('sms', () => makeSmsAdapter())`.
 * The adapter runs the hub as a child process (test/helpers/hub-process.ts) so crash() can SIGKILL it,
 * on embedded services of its own (test/helpers/own-services.ts) so stallStore() freezes no other file.
 * test/channels/webchat.test.ts is the worked example.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_STATUSES, type ChannelConnector, type DeliveryStatus } from '../../channels/contract.js';
import { waitFor } from '../helpers/wait.js';

/**
 * How long the stalled-store test watches for an ack that must not come, after sync() showed the hub
 * has read the messages. An ack sent on receipt already fails at sync() (it precedes sync's answer on
 * the one ordered transport); this window catches one sent after a short non-store step.
 */
const STALL_WINDOW_MS = 400;

export interface DeliverResult {
  /** The stored message's id, when the channel's ack carries it (web chat does; SMPP/IMAP don't). */
  messageId?: string;
}

export interface ConformanceAdapter {
  /**
   * Make the connector receive one inbound message through its real protocol. `inboundId` is the
   * channel's own message id (web chat clientId, SMPP message id, Message-ID...): delivering the same
   * id again is a channel-level resend. Resolves when the channel got its ack. If the transport drops
   * before the ack, the adapter resends after reconnecting, as the real peer does (an outbox).
   */
  deliver(inboundId: string, text: string): Promise<DeliverResult>;
  /** How many stored messages the hub holds for this inbound id (read from the database). */
  storedCount(inboundId: string): Promise<number>;
  /**
   * Kill the hub process abruptly (SIGKILL: nothing closed, flushed or acked) and start a new one on
   * the same store and Redis; the peer reconnects and resends what it holds unacked. The signal is
   * sent synchronously, before crash() returns, so a test can kill at an exact point of a stream.
   * Resolves once the new hub is up with how many inbound messages the peer had sent and not had
   * acked at the moment of the kill.
   */
  crash?(): Promise<{ unackedAtKill: number }>;
  /**
   * Optional, weaker: close the hub gracefully and start a new one on the same store and Redis. For
   * adapters whose hub cannot yet run as a child process; the SIGKILL test skips without crash().
   */
  restart?(): Promise<void>;
  /** Optional: freeze the hub's store (SIGSTOP; services of the adapter's own). Returns resume (SIGCONT). */
  stallStore?(): () => void;
  /**
   * Optional: a round trip over the same ordered transport that touches no store; when it resolves
   * the hub has read (and begun handling) everything the peer sent before it.
   */
  sync?(): Promise<void>;
  /** Optional: drop the channel's transport (socket, SMPP bind, IMAP session) and reconnect it; after deliverLosingAck, just reconnect. */
  reconnect?(): Promise<void>;
  /**
   * Optional, the lost ack: send one message and drop the transport after the hub has read it but
   * before its ack can reach the peer, which keeps it unacked and stays offline until reconnect().
   * `acked` resolves with the ack of the peer's resend after reconnect().
   */
  deliverLosingAck?(inboundId: string, text: string): Promise<{ acked: Promise<DeliverResult> }>;
  /** Optional: the inbound ids the customer sees in their history after everything. */
  inboundHistory?(): Promise<string[]>;
  /** Make the hub send `text` to this peer (an agent reply); resolves with the stored outbound message id. */
  triggerSend(text: string): Promise<{ messageId: string }>;
  /** Every outbound message the peer has received so far. */
  received(): { text: string; messageId?: string }[];
  /** The stored delivery status of an outbound message. */
  outboundStatus(messageId: string): Promise<string | undefined>;
  /**
   * Optional: the peer reports a native delivery state for an outbound message through its protocol.
   * Resolves false when this channel has no way to report that state (web chat reports only reads).
   */
  reportNative?(messageId: string, native: string): Promise<boolean>;
  // --- Context v2 (each optional: a channel without the notion skips its test) ---
  /**
   * Deliver an inbound message in a thread of the channel (a reply in an e-mail thread); resolves with
   * the id of the conversation it was stored in.
   */
  deliverInThread?(thread: string, inboundId: string, text: string): Promise<{ conversationId: string }>;
  /**
   * Send the hub a file through the channel's own way (an upload, an attachment, a fax page) of about
   * `bytes` bytes. Resolves with whether it was accepted (the hub's limit refused it: false).
   */
  sendFile?(bytes: number): Promise<{ accepted: boolean }>;
  /** The largest file the channel accepts, and how many files (and chunks) the hub's file store holds. */
  fileLimit?: number;
  storedFiles?(): Promise<{ files: number; chunks: number }>;
  /**
   * The peer reports a native delivery state by the channel's own id for an outbound message (an SMS
   * delivery report, a bounce). Resolves false when the channel has no such receipts.
   */
  reportByChannelId?(messageId: string, native: string): Promise<boolean>;

  /**
   * Optional (v2): an agent starts a conversation to this peer's address (POST /api/conversations with
   * the channel's `to`), with the given clientId; resolves with the HTTP status and stored message id.
   */
  startConversation?(text: string, clientId: string): Promise<{ status: number; messageId?: string }>;

  /** The connector's status mapping (its class, or an instance when the hub runs in this process). */
  connector(): Pick<ChannelConnector, 'mapStatus'>;
  /** Native delivery states and what they must map to (undefined: unknown state, ignored). */
  mapStatus: { native: string; expected: DeliveryStatus | undefined }[];
  close(): Promise<void>;
}

export function describeConnectorConformance(name: string, factory: () => Promise<ConformanceAdapter>): void {
  describe(`connector conformance: ${name}`, () => {
    let a: ConformanceAdapter;
    const id = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      a = await factory();
    });
    afterAll(async () => a?.close());

    test('ingest exactly once: resends of one inbound id store one message', async () => {
      const inb = id('once');
      const first = await a.deliver(inb, 'hello once');
      expect(await a.storedCount(inb)).toBe(1);
      // Concurrent and sequential resends of the same id.
      const again = await Promise.all(Array.from({ length: 5 }, () => a.deliver(inb, 'hello once')));
      again.push(await a.deliver(inb, 'hello once'));
      expect(await a.storedCount(inb)).toBe(1);
      if (first.messageId) for (const r of again) expect(r.messageId).toBe(first.messageId);
    });

    test('ingest exactly once across a reconnect of the transport', async (ctx) => {
      if (!a.reconnect) return ctx.skip();
      const inb = id('reconn');
      const first = await a.deliver(inb, 'before reconnect');
      await a.reconnect();
      const again = await a.deliver(inb, 'before reconnect');
      expect(await a.storedCount(inb)).toBe(1);
      if (first.messageId) expect(again.messageId).toBe(first.messageId);
      // A new message after the reconnect is stored normally.
      const other = id('reconn-new');
      await a.deliver(other, 'after reconnect');
      expect(await a.storedCount(other)).toBe(1);
    });

    test('ingest exactly once when the ack is lost: the transport drops after the hub read the message', async (ctx) => {
      if (!a.deliverLosingAck || !a.reconnect) return ctx.skip();
      const inb = id('lostack');
      const { acked } = await a.deliverLosingAck(inb, 'my ack gets lost');
      // The hub stores it although the peer never heard back...
      await waitFor(async () => (await a.storedCount(inb)) === 1, 10_000, 'stored without an ack');
      // ...and the peer's resend after reconnecting is acked as that same message, not stored again.
      await a.reconnect();
      const r = await acked;
      expect(await a.storedCount(inb)).toBe(1);
      if (r.messageId) expect((await a.deliver(inb, 'my ack gets lost')).messageId).toBe(r.messageId);
      expect(await a.storedCount(inb)).toBe(1);
    });

    test('ack after store: when the channel gets its ack the message is already stored', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => id(`ack${i}`));
      // Many in flight at once, so an ack sent before the write would be caught by the read that
      // starts the moment the ack arrives.
      const seenAtAck = await Promise.all(ids.map((inb) => a.deliver(inb, `ack test ${inb}`).then(() => a.storedCount(inb))));
      expect(seenAtAck).toEqual(ids.map(() => 1));
    });

    test('ack after store: while the store is frozen no ack arrives, and every message acked after is stored', async (ctx) => {
      if (!a.stallStore || !a.sync) return ctx.skip();
      const ids = Array.from({ length: 10 }, (_, i) => id(`stall${i}`));
      const ackedWhileStalled: string[] = [];
      let stalled = true;
      const resume = a.stallStore();
      let deliveries: Promise<DeliverResult>[] = [];
      try {
        deliveries = ids.map((inb) =>
          a.deliver(inb, `stalled ${inb}`).then((r) => {
            if (stalled) ackedWhileStalled.push(inb);
            return r;
          }),
        );
        await a.sync(); // the hub has every one of them now, and cannot store any
        await new Promise((r) => setTimeout(r, STALL_WINDOW_MS)); // watching for an ack that must not come
        expect(ackedWhileStalled).toEqual([]);
      } finally {
        stalled = false;
        resume();
      }
      await Promise.all(deliveries);
      for (const inb of ids) expect(await a.storedCount(inb), inb).toBe(1);
    });

    test('restart without loss: a hub SIGKILLed with messages in flight loses and duplicates nothing', async (ctx) => {
      if (!a.crash) return ctx.skip('the adapter cannot kill its hub process (crash())');
      const crash = a.crash.bind(a);
      const before = Array.from({ length: 5 }, (_, i) => id(`pre${i}`));
      for (const inb of before) await a.deliver(inb, `pre ${inb}`);
      // A stream with up to WINDOW unacked at a time; the KILL_AT-th ack kills the hub on the spot,
      // so the messages in flight then are in every state (unread, stored but unacked, in a batch...).
      const during = Array.from({ length: 30 }, (_, i) => id(`mid${i}`));
      const WINDOW = 6;
      const KILL_AT = 8;
      const ackedBeforeKill: string[] = [];
      let crashed: Promise<{ unackedAtKill: number }> | undefined;
      const stream = (async () => {
        const inflight = new Set<Promise<unknown>>();
        for (const inb of during) {
          while (inflight.size >= WINDOW) await Promise.race(inflight);
          const p = a.deliver(inb, `mid ${inb}`).then(() => {
            if (crashed) return;
            ackedBeforeKill.push(inb);
            if (ackedBeforeKill.length === KILL_AT) crashed = crash();
          });
          const tracked = p.finally(() => inflight.delete(tracked));
          inflight.add(tracked);
        }
        await Promise.all(inflight);
      })();
      await waitFor(() => crashed, 30_000, 'the kill');
      const { unackedAtKill } = await crashed!;
      expect(unackedAtKill, 'messages in flight at the kill').toBeGreaterThan(0);
      await stream;
      const after = Array.from({ length: 5 }, (_, i) => id(`post${i}`));
      for (const inb of after) await a.deliver(inb, `post ${inb}`);
      // The peer resends everything it ever sent; nothing is stored twice, nothing acked is missing.
      const all = [...before, ...during, ...after];
      await Promise.all(all.map((inb) => a.deliver(inb, `resend ${inb}`)));
      for (const inb of all) expect(await a.storedCount(inb), inb).toBe(1);
      if (a.inboundHistory) {
        const hist = await a.inboundHistory();
        for (const inb of all) expect(hist, inb).toContain(inb);
        expect(hist.filter((h) => all.includes(h))).toHaveLength(all.length);
      }
    });

    test('graceful restart mid-stream loses and duplicates nothing (weaker than a kill: adapters without crash())', async (ctx) => {
      if (!a.restart || a.crash) return ctx.skip('covered by the SIGKILL test, or no restart()');
      const during = Array.from({ length: 10 }, (_, i) => id(`gmid${i}`));
      const inFlight = during.map((inb) => a.deliver(inb, `mid ${inb}`));
      await Promise.race(inFlight);
      await a.restart();
      await Promise.all(inFlight);
      await Promise.all(during.map((inb) => a.deliver(inb, `resend ${inb}`)));
      for (const inb of during) expect(await a.storedCount(inb), inb).toBe(1);
    });

    test('status mapping: the connector\'s table of native delivery states', async () => {
      const c = a.connector();
      for (const { native, expected } of a.mapStatus) {
        const got = c.mapStatus(native);
        expect(got, native).toBe(expected);
        if (got !== undefined) expect(DELIVERY_STATUSES).toContain(got);
      }
      expect(c.mapStatus('no-such-state-' + randomBytes(3).toString('hex'))).toBeUndefined();
    });

    test('outbound: a reply reaches the peer and its status becomes sent', async () => {
      await a.deliver(id('pre-out'), 'I have a question');
      const text = `reply ${randomBytes(4).toString('hex')}`;
      const { messageId } = await a.triggerSend(text);
      const got = await waitFor(() => a.received().find((r) => r.text === text), 10_000, 'peer receives the reply');
      if (got.messageId) expect(got.messageId).toBe(messageId);
      expect(await waitFor(async () => ((await a.outboundStatus(messageId)) === 'sent' ? 'sent' : undefined), 10_000, 'status sent')).toBe('sent');
      // Exactly one copy reached the peer.
      expect(a.received().filter((r) => r.text === text)).toHaveLength(1);
    });

    test('status mapping through the protocol: each state the peer reports reaches the stored message', async (ctx) => {
      if (!a.reportNative) return ctx.skip();
      await a.deliver(id('pre-report'), 'another question');
      const text = `reported ${randomBytes(4).toString('hex')}`;
      const { messageId } = await a.triggerSend(text);
      await waitFor(async () => (await a.outboundStatus(messageId)) === 'sent', 10_000, 'status sent');
      let reported = 0;
      for (const { native, expected } of a.mapStatus) {
        if (!expected || expected === 'sent') continue;
        if (!(await a.reportNative(messageId, native))) continue;
        reported++;
        expect(await waitFor(async () => ((await a.outboundStatus(messageId)) === expected ? expected : undefined), 5000, `status ${expected}`)).toBe(expected);
      }
      // An adapter that can report must report something, or this test proved nothing.
      expect(reported).toBeGreaterThan(0);
    });

    test('v2 threads: two threads stay apart, a reply joins its own thread', async (ctx) => {
      if (!a.deliverInThread) return ctx.skip();
      const t1 = id('thread-a');
      const t2 = id('thread-b');
      const a1 = await a.deliverInThread(t1, id('ta1'), 'first case');
      const b1 = await a.deliverInThread(t2, id('tb1'), 'second case');
      expect(b1.conversationId).not.toBe(a1.conversationId);
      expect((await a.deliverInThread(t1, id('ta2'), 'about the first')).conversationId).toBe(a1.conversationId);
      expect((await a.deliverInThread(t2, id('tb2'), 'about the second')).conversationId).toBe(b1.conversationId);
    });

    test('v2 files: a file within the limit is stored; past it, refused and nothing half-stored', async (ctx) => {
      if (!a.sendFile || !a.storedFiles || !a.fileLimit) return ctx.skip();
      const before = await a.storedFiles();
      expect((await a.sendFile(Math.min(2048, a.fileLimit))).accepted).toBe(true);
      const after = await a.storedFiles();
      expect(after.files).toBe(before.files + 1);
      expect((await a.sendFile(a.fileLimit * 3)).accepted).toBe(false);
      expect(await a.storedFiles()).toEqual(after);
    });

    test('v2 agent-started: a conversation an agent starts reaches the peer once, a retried start sends nothing more', async (ctx) => {
      if (!a.startConversation) return ctx.skip();
      const text = `outreach ${randomBytes(4).toString('hex')}`;
      const clientId = id('start');
      const first = await a.startConversation(text, clientId);
      expect(first.status).toBe(201);
      await waitFor(() => a.received().find((r) => r.text === text), 10_000, 'peer receives the started conversation');
      // The same start again (a retried request), also concurrently: the stored message, nothing sent.
      const again = await Promise.all([a.startConversation(text, clientId), a.startConversation(text, clientId)]);
      for (const r of again) {
        expect(r.status).toBe(200);
        expect(r.messageId).toBe(first.messageId);
      }
      expect(await waitFor(async () => ((await a.outboundStatus(first.messageId!)) === 'sent' ? 'sent' : undefined), 10_000, 'status sent')).toBe('sent');
      // A later message from the peer is stored and answerable as usual; still one copy at the peer.
      await a.deliver(id('after-start'), 'thanks for writing');
      expect(a.received().filter((r) => r.text === text)).toHaveLength(1);
    });

    test('v2 receipts by the channel\'s id: out of order and duplicated, the furthest status stays', async (ctx) => {
      if (!a.reportByChannelId) return ctx.skip();
      await a.deliver(id('pre-receipt'), 'receipts please');
      const { messageId } = await a.triggerSend(`receipted ${randomBytes(4).toString('hex')}`);
      await waitFor(async () => (await a.outboundStatus(messageId)) === 'sent', 10_000, 'status sent');
      const forward = a.mapStatus.filter((m) => m.expected === 'delivered' || m.expected === 'read');
      const furthest = forward.some((m) => m.expected === 'read') ? 'read' : 'delivered';
      // Furthest first, then the rest, each twice: none may move it back.
      const order = [...forward.filter((m) => m.expected === furthest), ...forward.filter((m) => m.expected !== furthest)];
      for (const m of [...order, ...order]) if (!(await a.reportByChannelId(messageId, m.native))) return ctx.skip();
      expect(await waitFor(async () => ((await a.outboundStatus(messageId)) === furthest ? furthest : undefined), 5000, `status ${furthest}`)).toBe(furthest);
    });
  });
}
