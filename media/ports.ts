/**
 * The trunk legs' UDP ports, from the configured range. Each leg gets one even port (RTP, with RTCP
 * multiplexed on it, RFC 5761). A port is handed out again only after its socket closed, and ports
 * are taken round-robin so a just-freed port is the last to be reused (late packets of the previous
 * call must not reach the next one).
 */
import dgram from 'node:dgram';
import { MediaError } from './contract.js';

export class PortPool {
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(
    private readonly minPort: number,
    private readonly maxPort: number,
    private readonly ip: string,
  ) {
    this.cursor = minPort + (minPort & 1);
  }

  get used(): number {
    return this.inUse.size;
  }

  /** Binds a UDP socket on a free port of the range; MediaError('no-port') when none is left. */
  async bind(): Promise<{ socket: dgram.Socket; port: number }> {
    const first = this.minPort + (this.minPort & 1);
    const count = Math.floor((this.maxPort - first) / 2) + 1;
    for (let tried = 0; tried < count; tried++) {
      const port = this.cursor;
      this.cursor = this.cursor + 2 > this.maxPort ? first : this.cursor + 2;
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      const socket = dgram.createSocket({ type: this.ip.includes(':') ? 'udp6' : 'udp4' });
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, this.ip, () => resolve(true));
      });
      if (ok) return { socket, port };
      // Taken by someone else on this host: skip it this round.
      this.inUse.delete(port);
      socket.close();
    }
    throw new MediaError('no-port', `no free RTP port in ${this.minPort}-${this.maxPort}`);
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}
