/**
 * The channel connector conformance suite (channels/contract.ts): every connector — webchat, email,
 * sms, voice, fax — runs these same tests through its real protocol against a real hub:
 *   - ingest exactly once: resending the same channel message id never stores it twice
 *     (also across a reconnect of the channel's transport);
 *   - ack after store: when the channel gets its ack, the message is already in the database;
 *   - restart without loss: a hub restart in the middle of a stream loses nothing and duplicates nothing;
 *   - status mapping: the connector maps the channel's delivery states onto ours;
 *   - outbound: a hub-side reply reaches the channel peer and its stored status becomes 'sent'.
 *
 * A connector's test file supplies an adapter that plays the far end of the channel (a widget, an SMSC,
 * a mail server, a SIP phone) and calls `describeConnectorConformance('sms', () => makeSmsAdapter())`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DELIVERY_STATUSES, type ChannelConnector, type DeliveryStatus } from '../../channels/contract.js';
import { waitFor } from '../helpers/wait.js';

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
  /** Close the hub and start a new one on the same database and Redis prefix; the peer reconnects. */
  restart(): Promise<void>;
  /** Optional: drop the channel's transport (socket, SMPP bind, IMAP session) and reconnect it. */
  reconnect?(): Promise<void>;
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

  /** The connector under test (for mapStatus). */
  connector(): ChannelConnector;
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

    test('ack after store: when the channel gets its ack the message is already stored', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => id(`ack${i}`));
      // Many in flight at once, so an ack sent before the write would be caught by the read that
      // starts the moment the ack arrives.
      const seenAtAck = await Promise.all(ids.map((inb) => a.deliver(inb, `ack test ${inb}`).then(() => a.storedCount(inb))));
      expect(seenAtAck).toEqual(ids.map(() => 1));
    });

    test('restart without loss: a hub restart mid-stream loses and duplicates nothing', async () => {
      const before = Array.from({ length: 5 }, (_, i) => id(`pre${i}`));
      for (const inb of before) await a.deliver(inb, `pre ${inb}`);
      const during = Array.from({ length: 10 }, (_, i) => id(`mid${i}`));
      const inFlight = during.map((inb) => a.deliver(inb, `mid ${inb}`));
      // Restart once the stream is under way: some of `during` are acked, others are in flight.
      await Promise.race(inFlight);
      await a.restart();
      await Promise.all(inFlight);
      const after = Array.from({ length: 5 }, (_, i) => id(`post${i}`));
      for (const inb of after) await a.deliver(inb, `post ${inb}`);
      // The peer resends everything it ever sent; nothing is stored twice.
      const all = [...before, ...during, ...after];
      await Promise.all(all.map((inb) => a.deliver(inb, `resend ${inb}`)));
      for (const inb of all) expect(await a.storedCount(inb), inb).toBe(1);
      if (a.inboundHistory) {
        const hist = await a.inboundHistory();
        for (const inb of all) expect(hist, inb).toContain(inb);
        expect(hist.filter((h) => all.includes(h))).toHaveLength(all.length);
      }
    });

    test('status mapping: native delivery states map onto ours', async () => {
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

    test('status reports from the channel update the outbound message', async (ctx) => {
      if (!a.reportNative) return ctx.skip();
      await a.deliver(id('pre-report'), 'another question');
      const text = `reported ${randomBytes(4).toString('hex')}`;
      const { messageId } = await a.triggerSend(text);
      await waitFor(async () => (await a.outboundStatus(messageId)) === 'sent', 10_000, 'status sent');
      for (const { native, expected } of a.mapStatus) {
        if (!expected || expected === 'sent') continue;
        if (!(await a.reportNative(messageId, native))) continue;
        expect(await waitFor(async () => ((await a.outboundStatus(messageId)) === expected ? expected : undefined), 5000, `status ${expected}`)).toBe(expected);
      }
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
