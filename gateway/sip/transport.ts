/**
 * UDP and TCP transports (RFC 3261 §18). Both hand up raw frames with the peer they came from; the
 * parser decides what a frame is. TCP is framed by Content-Length (gateway/sip/framer.ts): a frame
 * that cannot be cut (no Content-Length, over the size cap, not complete in time) closes that
 * connection only. Nothing here throws into the event loop: a socket error closes that socket.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Framer } from './framer.js';
import type { Transport } from './message.js';

export interface Peer {
  transport: Transport;
  address: string;
  port: number;
  /** The TCP connection a request came on: responses go back on it (RFC 3261 §18.2.2). */
  conn?: TcpConn;
}

export type FrameHandler = (frame: Buffer, peer: Peer) => void;

export interface TcpOptions {
  /** Close a connection that sends nothing for this long. */
  idleMs: number;
  /** A message started must be complete within this long (a slow client cannot hold a connection half-sent). */
  frameMs: number;
  /** Connections open at once, in and out. */
  maxConnections: number;
}

export interface SipSocket {
  readonly transport: Transport;
  readonly address: string;
  readonly port: number;
  send(buf: Buffer, peer: Peer): void;
  close(): Promise<void>;
}

export class UdpSocket implements SipSocket {
  readonly transport = 'udp' as const;
  private constructor(private readonly sock: dgram.Socket) {}

  static async listen(host: string, port: number, onFrame: FrameHandler): Promise<UdpSocket> {
    // A burst of requests (a carrier failing over to us) must wait in the kernel, not be dropped: the
    // default ~200 KB receive buffer held 251 of 2,000 OPTIONS sent at once (bench:sip). The kernel
    // caps it at net.core.rmem_max.
    const sock = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    sock.on('message', (msg, rinfo) => onFrame(msg, { transport: 'udp', address: rinfo.address, port: rinfo.port }));
    // ICMP port unreachable from a peer that went away surfaces here; it concerns that peer only.
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new UdpSocket(sock);
  }

  get address() {
    return this.sock.address().address;
  }
  get port() {
    return this.sock.address().port;
  }

  private inFlight = 0;
  private drained?: () => void;

  send(buf: Buffer, peer: Peer): void {
    this.inFlight++;
    this.sock.send(buf, peer.port, peer.address, () => {
      if (--this.inFlight === 0) this.drained?.();
    });
  }

  /** Closes after the datagrams already handed to send() are out (the 480s and BYEs of stop()). */
  async close(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
    await new Promise<void>((resolve) => this.sock.close(() => resolve()));
  }
}

/** One TCP connection, inbound or outbound. */
export class TcpConn {
  private readonly framer = new Framer();
  private frameTimer?: NodeJS.Timeout;
  closed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly opts: TcpOptions,
    private readonly onFrame: FrameHandler,
    private readonly onClose: (c: TcpConn) => void,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleMs, () => this.close());
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get peer(): Peer {
    return { transport: 'tcp', address: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0, conn: this };
  }

  private data(chunk: Buffer): void {
    if (this.closed) return;
    const out = this.framer.push(chunk);
    for (const frame of out.frames) this.onFrame(frame, this.peer);
    if (out.error) {
      // A stream we can no longer cut into messages: give up on this connection only.
      if (out.errorFrame) this.onFrame(out.errorFrame, this.peer);
      this.close();
      return;
    }
    if (this.framer.pending && !this.frameTimer) this.frameTimer = setTimeout(() => this.close(), this.opts.frameMs);
    else if (!this.framer.pending && this.frameTimer) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
  }

  send(buf: Buffer): void {
    if (!this.closed) this.socket.write(buf);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.frameTimer);
    // end() lets a 400 written just before reach the peer; destroy after a grace if it never drains.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.onClose(this);
  }
}

export class TcpSocket implements SipSocket {
  readonly transport = 'tcp' as const;
  private readonly conns = new Set<TcpConn>();
  /** Outbound connections by "host:port", reused for every request to that peer. */
  private readonly outbound = new Map<string, TcpConn>();

  private constructor(
    private readonly server: net.Server,
    private readonly opts: TcpOptions,
    private readonly onFrame: FrameHandler,
  ) {}

  static async listen(host: string, port: number, opts: TcpOptions, onFrame: FrameHandler): Promise<TcpSocket> {
    const server = net.createServer();
    const t = new TcpSocket(server, opts, onFrame);
    server.maxConnections = opts.maxConnections;
    server.on('connection', (s) => t.adopt(s));
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return t;
  }

  get address() {
    return (this.server.address() as net.AddressInfo).address;
  }
  get port() {
    return (this.server.address() as net.AddressInfo).port;
  }
  get connections() {
    return this.conns.size;
  }

  private adopt(s: net.Socket, key?: string): TcpConn {
    const c = new TcpConn(s, this.opts, this.onFrame, (conn) => {
      this.conns.delete(conn);
      if (key && this.outbound.get(key) === conn) this.outbound.delete(key);
    });
    this.conns.add(c);
    if (key) this.outbound.set(key, c);
    return c;
  }

  send(buf: Buffer, peer: Peer): void {
    if (peer.conn && !peer.conn.closed) return peer.conn.send(buf);
    const key = `${peer.address}:${peer.port}`;
    let c = this.outbound.get(key);
    if (!c || c.closed) {
      if (this.conns.size >= this.opts.maxConnections) return;
      c = this.adopt(net.connect({ host: peer.address, port: peer.port }), key);
    }
    c.send(buf);
  }

  async close(): Promise<void> {
    for (const c of [...this.conns]) {
      c.close();
      c.socket.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
