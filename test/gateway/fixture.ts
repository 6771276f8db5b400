/**
 * What the gateway tests share: a gateway on 127.0.0.1 (free UDP and TCP ports) with one trunk
 * (carrier: 127.0.0.2, number 95588), and a raw UDP/TCP client that sends bytes as a trunk would and
 * collects what comes back. "Silence" is proven without sleeping: a probe OPTIONS sent after the
 * message under test comes back first (the gateway handles one socket's messages in order).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { VoiceConfigSchema } from '../../config/voice.ts';
import { SipGateway, type GatewayOptions } from '../../gateway/sip/gateway.ts';

export async function startGateway(
  extra: Partial<GatewayOptions> = {},
  t1Ms = 500,
  tcpIdleSeconds = 30,
  outbound?: { host: string; port: number; transport: 'udp' | 'tcp' },
): Promise<{ gw: SipGateway; udp: number; tcp: number }> {
  const config = VoiceConfigSchema.parse({
    enabled: true,
    sip: { listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }, { transport: 'tcp', host: '127.0.0.1', port: 0 }], t1Ms, tcpIdleSeconds },
    trunks: [{ name: 'carrier', addresses: ['127.0.0.2'], numbers: ['95588'], outbound }],
  });
  const gw = new SipGateway({ config, ...extra });
  await gw.start();
  const port = (t: string) => gw.listening.find((l) => l.transport === t)!.port;
  return { gw, udp: port('udp'), tcp: port('tcp') };
}

let probes = 0;
export function options(callId = `probe-${++probes}-${process.pid}`, transport = 'UDP'): string {
  return [
    'OPTIONS sip:95588@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/${transport} 127.0.0.2:5060;branch=z9hG4bK${callId}`,
    'From: <sip:carrier@127.0.0.2>;tag=p1',
    'To: <sip:95588@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export interface RawResponse {
  status: number;
  callId: string;
  text: string;
}

/** The Call-ID of a message as written (Call-ID or its compact form i). */
export function callIdOf(text: string): string | undefined {
  return /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(text)?.[1];
}

/** A UDP socket on a trunk address (or another) that parses what it receives. */
export class UdpPeer {
  /**
   * What came back, read with regular expressions rather than our parser: a 400 echoes the sender's
   * broken headers, which our own parser (rightly) refuses.
   */
  readonly responses: RawResponse[] = [];
  private waiters: (() => void)[] = [];
  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (m) => {
      const text = m.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3}) /.exec(text);
      if (status) this.responses.push({ status: Number(status[1]), callId: callIdOf(text) ?? '', text });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(address = '127.0.0.2'): Promise<UdpPeer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, address, r));
    return new UdpPeer(sock);
  }

  send(data: string | Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.sock.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  /** Resolves with the first response matching, waiting (no polling interval) until it comes or timeoutMs. */
  async next(pred: (r: RawResponse) => boolean, timeoutMs = 5000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.responses.find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * Sends `data`, then a probe OPTIONS; resolves with the statuses (100 left out) that came back for
   * `data` before the probe's 200 — [] is silence, and the 200 proves the gateway is alive.
   */
  async exchange(data: string | Buffer, port: number): Promise<number[]> {
    const probe = `probe-${++probes}-${process.pid}`;
    const before = this.responses.length;
    await this.send(data, port);
    await this.send(options(probe), port);
    await this.next((r) => r.callId === probe && r.status === 200);
    const idx = this.responses.findIndex((r) => r.callId === probe);
    const callId = callIdOf(typeof data === 'string' ? data : data.toString('latin1'));
    return this.responses
      .slice(before, idx)
      .filter((r) => r.status !== 100 && r.callId === callId)
      .map((r) => r.status);
  }

  close(): void {
    this.sock.close();
  }
}

/** A TCP connection from a trunk address; collects what it receives and whether the gateway closed it. */
export class TcpPeer {
  data = Buffer.alloc(0);
  closed: Promise<void>;
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.data = Buffer.concat([this.data, d])));
    sock.on('error', () => {});
    this.closed = new Promise((r) => sock.on('close', () => r()));
  }

  static async open(port: number, localAddress = '127.0.0.2'): Promise<TcpPeer> {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    return new TcpPeer(sock);
  }

  write(data: string | Buffer): void {
    this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits until the received text contains `text`. */
  async received(text: string, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.data.toString('latin1').includes(text)) {
      if (Date.now() > deadline) throw new Error(`no "${text}" received; got: ${this.data.toString('latin1').slice(0, 200)}`);
      await new Promise<void>((r) => this.sock.once('data', () => r()).once('close', () => r()));
      if (this.sock.destroyed && !this.data.toString('latin1').includes(text)) throw new Error(`closed before "${text}"`);
    }
    return this.data.toString('latin1');
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** An INVITE from the carrier (127.0.0.2) to 95588 with a G.711 offer; CANCEL and ACK for it. */
export function invite(callId: string, method: 'INVITE' | 'CANCEL' | 'ACK' = 'INVITE', toTag = ''): string {
  const sdp = method === 'INVITE' ? 'v=0\r\no=c 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\n' : '';
  return [
    `${method} sip:95588@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-${callId}`,
    'From: <sip:13800138000@127.0.0.2>;tag=c1',
    `To: <sip:95588@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    'Contact: <sip:13800138000@127.0.0.2:5060>',
    'Max-Forwards: 70',
    ...(sdp ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${sdp.length}`,
    '',
    sdp,
  ].join('\r\n');
}
