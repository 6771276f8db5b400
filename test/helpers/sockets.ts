/**
 * socket.io clients for tests: open one on a hub namespace and wait until it is connected (or reject
 * with the refusal, whose `data.code` the hub sets), and close every client a file opened.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

export class Sockets {
  private readonly open: Socket[] = [];

  /** A connected client of `${base}${nsp}` with this token (websocket only). */
  connect(base: string, nsp: string, token: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<Socket> {
    const s = io(`${base}${nsp}`, { auth: { token }, transports: ['websocket'], ...opts });
    this.open.push(s);
    return new Promise((resolve, reject) => {
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  }

  closeAll(): void {
    for (const s of this.open.splice(0)) s.close();
  }
}
