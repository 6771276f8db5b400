/**
 * One write per socket per event-loop turn. socket.io sends every packet as its own WebSocket frame
 * and ws writes every frame with its own system call; an agent (or a supervisor) following a busy
 * queue gets one frame per stored message — 1,000 writes a second at 1,000 msg/s, each a wake-up of
 * the kernel's loopback/TCP path. Corking the connection's TCP socket from the first frame of a turn
 * until the end of the turn (setImmediate) hands the kernel that turn's frames in one writev.
 * Frames, order and acks are unchanged; a frame waits at most for the rest of its turn.
 */
import type { Server } from 'socket.io';

type Corkable = { cork(): void; uncork(): void; destroyed?: boolean };
type WsTransport = { name: string; send(packets: unknown[]): void; socket?: { _socket?: Corkable } };
const wrapped = new WeakSet<object>();

function coalesce(t: WsTransport | undefined): void {
  if (!t || t.name !== 'websocket' || wrapped.has(t)) return;
  const tcp = t.socket?._socket;
  if (!tcp || typeof tcp.cork !== 'function') return;
  wrapped.add(t);
  const send = t.send.bind(t);
  let corked = false;
  t.send = (packets: unknown[]) => {
    if (!corked) {
      corked = true;
      tcp.cork();
      setImmediate(() => {
        corked = false;
        tcp.uncork();
      });
    }
    send(packets);
  };
}

export function coalesceWebsocketWrites(io: Server): void {
  io.engine.on('connection', (conn: { transport?: WsTransport; on(ev: 'upgrade', fn: () => void): void }) => {
    coalesce(conn.transport);
    conn.on('upgrade', () => coalesce(conn.transport));
  });
}
