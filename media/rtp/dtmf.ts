/**
 * RFC 4733 telephone-events (DTMF) as RTP payloads: parse, detect once per digit, and build the
 * packets to send one.
 */
import type { RtpPacket } from './packet.js';

export const DTMF_DIGITS = '0123456789*#ABCD';

export interface TelephoneEvent {
  /** 0–15 are the DTMF digits (RFC 4733 §3.2). */
  event: number;
  end: boolean;
  volume: number;
  /** In timestamp units (8 kHz: 8 per ms). */
  duration: number;
}

export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return { event: payload[0], end: (payload[1] & 0x80) !== 0, volume: payload[1] & 0x3f, duration: payload.readUInt16BE(2) };
}

export function buildTelephoneEvent(e: TelephoneEvent): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = e.event;
  b[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  b.writeUInt16BE(Math.min(e.duration, 0xffff), 2);
  return b;
}

/**
 * One digit per event. An event is identified by its SSRC and RTP timestamp (all packets of one
 * event share the timestamp of its start, RFC 4733 §2.5.1.2); its end packet is sent three times
 * (§2.5.1.4), so the digit is reported on the first end packet and the repeats are ignored. An event
 * whose end packets were all lost is reported when the next event (a new timestamp) begins.
 */
export class DtmfDetector {
  private current?: { key: string; event: number; duration: number; reported: boolean };

  constructor(private readonly clockRate = 8000) {}

  /** Returns the finished digit this packet completes, if any. */
  feed(pkt: RtpPacket): { digit: string; durationMs: number }[] {
    const e = parseTelephoneEvent(pkt.payload);
    if (!e || e.event >= DTMF_DIGITS.length) return [];
    const key = `${pkt.ssrc}:${pkt.timestamp}`;
    const out: { digit: string; durationMs: number }[] = [];
    if (this.current?.key !== key) {
      if (this.current && !this.current.reported) out.push(this.digit(this.current.event, this.current.duration));
      this.current = { key, event: e.event, duration: e.duration, reported: false };
    }
    const cur = this.current;
    cur.duration = Math.max(cur.duration, e.duration);
    if (e.end && !cur.reported) {
      cur.reported = true;
      out.push(this.digit(cur.event, cur.duration));
    }
    return out;
  }

  private digit(event: number, duration: number) {
    return { digit: DTMF_DIGITS[event], durationMs: Math.round((duration * 1000) / this.clockRate) };
  }
}

/**
 * The packets that send one digit (RFC 4733 §2.5): a first packet with the marker bit, updates every
 * 50 ms with the growing duration, then the end packet three times. All share one timestamp.
 */
export function dtmfPacketPlan(digit: string, durationMs = 100, volume = 10): { payload: Buffer; marker: boolean; atMs: number }[] {
  const event = DTMF_DIGITS.indexOf(digit.toUpperCase());
  if (digit.length !== 1 || event < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  const plan: { payload: Buffer; marker: boolean; atMs: number }[] = [];
  for (let t = 0; t < durationMs; t += 50) {
    plan.push({ payload: buildTelephoneEvent({ event, end: false, volume, duration: t * 8 + 400 }), marker: t === 0, atMs: t });
  }
  for (let i = 0; i < 3; i++) {
    plan.push({ payload: buildTelephoneEvent({ event, end: true, volume, duration: durationMs * 8 }), marker: false, atMs: durationMs + i * 20 });
  }
  return plan;
}
