/** RTP fixed header (RFC 3550 §5.1): what we need to send and read G.711 and RFC 4733 events. */
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** Parses an RTP datagram; undefined for anything that is not RTP version 2 or is truncated. */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  if (buf.length < 12 || buf[0] >> 6 !== 2) return undefined;
  const payloadType = buf[1] & 0x7f;
  // 64–95 are RTCP packet types when RTCP is multiplexed on the RTP port (RFC 5761 §4).
  if (payloadType >= 64 && payloadType <= 95) return undefined;
  const csrcCount = buf[0] & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (buf[0] & 0x10) {
    if (buf.length < offset + 4) return undefined;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if (buf[0] & 0x20) end -= buf[buf.length - 1]; // padding count in the last byte
  if (offset > end) return undefined;
  return {
    payloadType,
    marker: (buf[1] & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

export function buildRtp(p: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(12 + p.payload.length);
  out[0] = 0x80;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  p.payload.copy(out, 12);
  return out;
}
