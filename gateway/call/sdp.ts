/**
 * SDP offer/answer for trunk calls (RFC 3264, RFC 4566), reduced to what media/contract.ts needs:
 * the first audio stream's address, codecs in the offer's order and direction. Anything else in the
 * offer (video, a second audio) is answered with port 0, as §6 requires one m= line per offered one.
 */
import { isIP } from 'node:net';
import type { OfferedCodec, TrunkAnswer, TrunkSdp } from '../../media/contract.js';

/** Static payload types (RFC 3551 table 4) an offer may use without a=rtpmap. */
const STATIC: Record<number, [string, number]> = { 0: ['PCMU', 8000], 3: ['GSM', 8000], 4: ['G723', 8000], 8: ['PCMA', 8000], 9: ['G722', 8000], 18: ['G729', 8000] };

export interface ParsedOffer {
  trunk: TrunkSdp;
  /** Every m= line as "media proto" with its formats, to mirror in the answer. */
  media: { kind: string; proto: string; formats: string; audioIndex: boolean }[];
}

const MAX_SDP = 16 * 1024;

/** undefined when the body is not an SDP we can answer (no audio over RTP/AVP, no usable address). */
export function parseOffer(body: string): ParsedOffer | undefined {
  if (body.length > MAX_SDP) return undefined;
  const lines = body.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') return undefined;
  let sessionAddr: string | undefined;
  let sessionDir: TrunkSdp['direction'];
  const media: ParsedOffer['media'] = [];
  let audio: { port: number; pts: number[]; addr?: string; dir?: TrunkSdp['direction']; rtpmap: Map<number, [string, number]> } | undefined;
  let current: 'session' | 'audio' | 'other' = 'session';
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) return undefined;
    const [type, value] = [line[0], line.slice(2)];
    if (type === 'm') {
      const m = /^(\S+) (\d{1,5})(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(value);
      if (!m) return undefined;
      const first = m[1] === 'audio' && m[3] === 'RTP/AVP' && !audio && Number(m[2]) > 0;
      media.push({ kind: m[1], proto: m[3], formats: m[4].trim(), audioIndex: first });
      if (first) {
        const pts = m[4].trim().split(' ').map(Number);
        if (pts.some((p) => !Number.isInteger(p) || p < 0 || p > 127)) return undefined;
        audio = { port: Number(m[2]), pts, rtpmap: new Map() };
        current = 'audio';
      } else current = 'other';
      continue;
    }
    if (current === 'other') continue;
    if (type === 'c') {
      const c = /^IN IP[46] (\S+)$/.exec(value);
      if (!c || isIP(c[1]) === 0) return undefined;
      if (current === 'session') sessionAddr = c[1];
      else audio!.addr = c[1];
    } else if (type === 'a') {
      const dir = /^(sendrecv|sendonly|recvonly|inactive)$/.exec(value)?.[1] as TrunkSdp['direction'];
      if (dir) {
        if (current === 'session') sessionDir = dir;
        else audio!.dir = dir;
      }
      const map = /^rtpmap:(\d{1,3}) ([^/\s]+)\/(\d+)/.exec(value);
      if (map && current === 'audio') audio!.rtpmap.set(Number(map[1]), [map[2], Number(map[3])]);
    }
  }
  if (!audio) return undefined;
  const address = audio.addr ?? sessionAddr;
  if (!address) return undefined;
  const codecs: OfferedCodec[] = [];
  for (const pt of audio.pts) {
    const known = audio.rtpmap.get(pt) ?? STATIC[pt];
    if (known) codecs.push({ payloadType: pt, name: known[0], clockRate: known[1] });
  }
  return { trunk: { remote: { address, port: audio.port }, codecs, direction: audio.dir ?? sessionDir ?? 'sendrecv' }, media };
}

/** Our answer: the chosen G.711 codec (and telephone-event) on the first audio line, port 0 elsewhere. */
export function buildAnswer(offer: ParsedOffer, answer: TrunkAnswer, sessionId: number, version: number, direction: TrunkSdp['direction'] = 'sendrecv'): string {
  const ip = isIP(answer.local.address) === 6 ? 'IP6' : 'IP4';
  const out = ['v=0', `o=cchub ${sessionId} ${version} IN ${ip} ${answer.local.address}`, 's=cchub', `c=IN ${ip} ${answer.local.address}`, 't=0 0'];
  // Answering hold with hold (RFC 3264 §6.1): sendonly ↔ recvonly, inactive stays inactive.
  const dir = direction === 'sendonly' ? 'recvonly' : direction === 'recvonly' ? 'sendonly' : direction;
  for (const m of offer.media) {
    if (!m.audioIndex) {
      out.push(`m=${m.kind} 0 ${m.proto} ${m.formats}`);
      continue;
    }
    const te = answer.telephoneEventPayloadType;
    out.push(`m=audio ${answer.local.port} RTP/AVP ${answer.codec.payloadType}${te === undefined ? '' : ` ${te}`}`);
    out.push(`a=rtpmap:${answer.codec.payloadType} ${answer.codec.name}/8000`);
    if (te !== undefined) out.push(`a=rtpmap:${te} telephone-event/8000`, `a=fmtp:${te} 0-16`);
    out.push('a=ptime:20', `a=${dir}`);
  }
  return out.join('\r\n') + '\r\n';
}
