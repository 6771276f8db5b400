/**
 * socket.io clients for tests: open one on a hub namespace and wait until it is connected, and close
 * every client a file opened. A refusal (the hub's middleware said no: `err.data.code`) or a refused
 * connection rejects at once and closes the client, instead of socket.io retrying in the background
 * until the test times out.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

/** A connection the hub refused; `code` is the hub's error code (unauthorized, rate_limited...) when it gave one. */
export class SocketRefused extends Error {
  /** As socket.io's own connect_error carries it, for tests that read `err.data.code`. */
  readonly data: { code?: string };
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.data = { code };
  }
}

export class Sockets {
  private readonly open: Socket[] = [];

  /** A connected client of `${base}${nsp}` with this token (websocket only); rejects with SocketRefused within timeoutMs. */
  connect(base: string, nsp: string, token: string, opts: Partial<ManagerOptions & SocketOptions> = {}, timeoutMs = 10_000): Promise<Socket> {
    const s = io(`${base}${nsp}`, { auth: { token }, transports: ['websocket'], ...opts });
    this.open.push(s);
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        clearTimeout(timer);
        s.off('connect', ok);
        s.close();
        reject(e);
      };
      const ok = () => {
        clearTimeout(timer);
        s.off('connect_error', refused);
        resolve(s);
      };
      const refused = (e: Error & { data?: { code?: string } }) => fail(new SocketRefused(e.data?.code, `${nsp} refused: ${e.data?.code ?? ''} ${e.message}`));
      const timer = setTimeout(() => fail(new Error(`${nsp}: not connected within ${timeoutMs} ms`)), timeoutMs);
      s.once('connect', ok);
      s.once('connect_error', refused);
    });
  }

  closeAll(): void {
    for (const s of this.open.splice(0)) s.close();
  }
}
