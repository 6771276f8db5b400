/**
 * A UAS dialog (RFC 3261 §12.1.1): Call-ID, our tag and the trunk's, the remote target (Contact),
 * the route set (Record-Route, in order) and our CSeq. Builds the requests we send inside it (BYE)
 * and checks the CSeq of those the trunk sends (§12.2.2: lower than the last one → 500).
 */
import { isIP } from 'node:net';
import { newBranch, serialize } from './build.js';
import { parseNameAddr, parseSipUri, splitOutside } from './grammar.js';
import { getHeaders, type SipRequest } from './message.js';
import type { Peer } from './transport.js';

export interface LocalAddress {
  host: string;
  port: number;
}

export class Dialog {
  readonly callId: string;
  readonly remoteTag: string;
  /** The trunk's From as it wrote it (our To); our From is its To plus our tag. */
  private readonly remoteParty: string;
  private readonly localParty: string;
  private remoteTarget: string;
  private readonly routeSet: string[];
  private localSeq = Math.floor(Math.random() * 10_000) + 1;
  remoteSeq: number;

  constructor(
    invite: SipRequest,
    readonly localTag: string,
    readonly peer: Peer,
    private readonly local: LocalAddress,
  ) {
    this.callId = invite.callId;
    this.remoteTag = invite.from.tag ?? '';
    this.remoteParty = invite.headers.find((h) => h.name === 'From')!.value;
    this.localParty = `${invite.headers.find((h) => h.name === 'To')!.value};tag=${localTag}`;
    this.remoteTarget = invite.contact?.uri ?? invite.uri;
    this.routeSet = getHeaders(invite, 'Record-Route').flatMap((v) => splitOutside(v, ',') ?? []).map((r) => r.trim());
    this.remoteSeq = invite.cseq.seq;
  }

  static key(callId: string, remoteTag: string, localTag: string): string {
    return `${callId}|${remoteTag}|${localTag}`;
  }
  get key(): string {
    return Dialog.key(this.callId, this.remoteTag, this.localTag);
  }

  /** A target refresh (re-INVITE) may move the remote target (§12.2.2). */
  refresh(req: SipRequest): void {
    if (req.contact) this.remoteTarget = req.contact.uri;
  }

  /** Where a request inside the dialog goes: the first loose route, else the remote target. */
  destination(): Peer {
    // Over TCP the connection the INVITE came on is reused while it is open (RFC 3261 §18.2.1 allows it; sipp expects it).
    if (this.peer.transport === 'tcp' && this.peer.conn && !this.peer.conn.closed) return this.peer;
    const first = this.routeSet[0] ? parseNameAddr(this.routeSet[0])?.uri : undefined;
    const uri = parseSipUri(first ?? this.remoteTarget);
    // A host name would need DNS (RFC 3263); the trunk's own address is the safe answer then.
    if (!uri || isIP(uri.host.replace(/^\[|\]$/g, '')) === 0) return { ...this.peer, conn: undefined };
    return { transport: this.peer.transport, address: uri.host.replace(/^\[|\]$/g, ''), port: uri.port ?? 5060 };
  }

  request(method: string, extra: { name: string; value: string }[] = [], body?: Buffer): { buf: Buffer; branch: string; peer: Peer } {
    const branch = newBranch();
    const peer = this.destination();
    const proto = peer.transport.toUpperCase();
    const headers = [
      { name: 'Via', value: `SIP/2.0/${proto} ${this.local.host}:${this.local.port};branch=${branch};rport` },
      { name: 'Max-Forwards', value: '70' },
      ...this.routeSet.map((r) => ({ name: 'Route', value: r })),
      { name: 'From', value: this.localParty },
      { name: 'To', value: this.remoteParty },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${++this.localSeq} ${method}` },
      ...extra,
    ];
    return { buf: serialize(`${method} ${this.remoteTarget} SIP/2.0`, headers, body), branch, peer };
  }
}
