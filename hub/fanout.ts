/**
 * socket.io fan-out across hub processes: @socket.io/redis-adapter, with one saving. Redis delivers
 * every PUBLISH to every subscriber, the publisher included, and the stock adapter decodes each
 * message before it notices the message is its own (and drops it). On the chat hot path that is
 * one msgpack decode per event, for nothing: here a message whose header carries our own uid is
 * dropped before decoding. The header is msgpack: 0x93 (array of 3), then the uid as a fixstr.
 */
import { RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { Namespace } from 'socket.io';
import type { Redis } from 'ioredis';

type OnMessage = (this: RedisAdapter, pattern: unknown, channel: unknown, msg: unknown) => void;

class OwnEchoSkippingAdapter extends RedisAdapter {}

// onmessage is private in the adapter's typings; the adapter binds this.onmessage in its
// constructor, so a prototype override is what it calls.
const stock = (RedisAdapter.prototype as unknown as { onmessage: OnMessage }).onmessage;
const headers = new WeakMap<RedisAdapter, Buffer>();
(OwnEchoSkippingAdapter.prototype as unknown as { onmessage: OnMessage }).onmessage = function (pattern, channel, msg) {
  if (Buffer.isBuffer(msg)) {
    let own = headers.get(this);
    if (!own) {
      const uid = Buffer.from(String(this.uid));
      own = Buffer.concat([Buffer.from([0x93, 0xa0 | uid.length]), uid]);
      headers.set(this, own);
    }
    if (msg.length > own.length && own.equals(msg.subarray(0, own.length))) return;
  }
  stock.call(this, pattern, channel, msg);
};

/** For io.adapter(): socket.io calls it with `new`, so it is a function, not an arrow. */
export function createFanoutAdapter(pub: Redis, sub: Redis, opts: Partial<RedisAdapterOptions>) {
  return function adapter(nsp: Namespace) {
    return new OwnEchoSkippingAdapter(nsp, pub, sub, opts);
  };
}
