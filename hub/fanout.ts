/**
 * socket.io fan-out across hub processes: @socket.io/redis-adapter, with two savings on the chat hot
 * path, where one stored batch of messages emits one event per message:
 *
 * - Batched publishing: the broadcasts made in one turn of the event loop go out as ONE Redis
 *   PUBLISH (a single broadcast keeps the stock format and channel). Local sockets get each event at
 *   once, as before; other hubs get them in order, one turn later.
 * - Own echo: Redis delivers every PUBLISH to every subscriber, the publisher included, and the stock
 *   adapter decodes a message before it notices it is its own. A message whose msgpack header
 *   carries our uid (0x93 = array of 3, then the uid as a fixstr) is dropped before decoding.
 *
 * A batch is [uid, { nsp: BATCH }, [[packet, opts], ...]]: a stock adapter ignores it (unknown
 * namespace), so hubs of mixed versions never misdeliver, they only miss batched events.
 */
import type { BroadcastOptions } from 'socket.io-adapter';
import { RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { Namespace } from 'socket.io';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

const BATCH = '\u0000batch';

type Packet = { nsp?: string; [k: string]: unknown };
type RawOpts = { rooms: string[]; except: string[]; flags?: BroadcastOptions['flags'] };
type Internals = {
  uid: string;
  channel: string;
  pubClient: Redis;
  parser: { encode(v: unknown): Buffer; decode(b: Buffer): unknown };
};

/** The in-memory adapter's broadcast (RedisAdapter's parent): this process's sockets only. */
const localBroadcast = (Object.getPrototypeOf(RedisAdapter.prototype) as { broadcast(this: RedisAdapter, packet: never, opts: BroadcastOptions): void }).broadcast;

class BatchingAdapter extends RedisAdapter {
  private pending: [Packet, RawOpts][] = [];
  log?: Logger;
  private ownHeader?: Buffer;

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (opts.flags?.local) return super.broadcast(packet as never, opts);
    packet.nsp = this.nsp.name;
    this.pending.push([packet, { rooms: [...opts.rooms], except: [...new Set(opts.except)], flags: opts.flags }]);
    if (this.pending.length === 1) setImmediate(() => this.publishPending());
    localBroadcast.call(this, packet as never, opts);
  }

  private publishPending(): void {
    const batch = this.pending;
    this.pending = [];
    try {
      this.publish(batch);
    } catch (e) {
      // Not encodable (never expected: events are plain data). Local sockets already have them.
      this.log?.error({ err: e, events: batch.length }, 'fan-out: events not published to other hubs');
    }
  }

  private publish(batch: [Packet, RawOpts][]): void {
    const self = this as unknown as Internals;
    if (batch.length === 1) {
      // One broadcast: the stock message, on the room's own channel when it names one room.
      const [packet, raw] = batch[0];
      const channel = raw.rooms.length === 1 ? `${self.channel}${raw.rooms[0]}#` : self.channel;
      void self.pubClient.publish(channel, self.parser.encode([self.uid, packet, raw])).catch(() => undefined);
      return;
    }
    void self.pubClient.publish(self.channel, self.parser.encode([self.uid, { nsp: BATCH }, batch])).catch(() => undefined);
  }

  /** Our own messages are dropped unread; batches are unpacked; the rest goes to the stock handler. */
  onBatchMessage(pattern: unknown, channel: unknown, msg: unknown): boolean {
    if (!Buffer.isBuffer(msg)) return false;
    const self = this as unknown as Internals;
    if (!this.ownHeader) {
      const uid = Buffer.from(String(self.uid));
      this.ownHeader = Buffer.concat([Buffer.from([0x93, 0xa0 | uid.length]), uid]);
    }
    if (msg.length > this.ownHeader.length && this.ownHeader.equals(msg.subarray(0, this.ownHeader.length))) return true;
    if (String(channel) !== self.channel) return false;
    let decoded: unknown;
    try {
      decoded = self.parser.decode(msg);
    } catch {
      return true; // garbage on our channel: nothing to deliver
    }
    if (!Array.isArray(decoded)) return true;
    const [, head, rest] = decoded as [string, Packet | undefined, unknown];
    // A batch, or one stock broadcast (decoded here already, so delivered here too).
    const items = head?.nsp === BATCH ? (Array.isArray(rest) ? rest : []) : [[head, rest]];
    for (const item of items as [Packet | undefined, RawOpts | undefined][]) {
      const [packet, raw] = Array.isArray(item) ? item : [];
      if (!packet || typeof packet !== 'object' || !raw || typeof raw !== 'object') continue;
      if ((packet.nsp ?? '/') !== this.nsp.name) continue;
      packet.nsp = this.nsp.name;
      localBroadcast.call(this, packet as never, { rooms: new Set(raw.rooms ?? []), except: new Set(raw.except ?? []), flags: raw.flags });
    }
    return true;
  }
}

// onmessage is private in the adapter's typings; the adapter binds this.onmessage in its
// constructor, so a prototype override is what it calls.
type OnMessage = (this: BatchingAdapter, pattern: unknown, channel: unknown, msg: unknown) => void;
const stock = (RedisAdapter.prototype as unknown as { onmessage: OnMessage }).onmessage;
(BatchingAdapter.prototype as unknown as { onmessage: OnMessage }).onmessage = function (pattern, channel, msg) {
  if (this.onBatchMessage(pattern, channel, msg)) return;
  stock.call(this, pattern, channel, msg);
};

/** For io.adapter(): socket.io calls it with `new`, so it is a function, not an arrow. */
export function createFanoutAdapter(pub: Redis, sub: Redis, opts: Partial<RedisAdapterOptions>, log?: Logger) {
  return function adapter(nsp: Namespace) {
    const a = new BatchingAdapter(nsp, pub, sub, opts);
    a.log = log;
    return a;
  };
}
