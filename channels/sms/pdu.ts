/**
 * Our own reading of the SMSC's byte stream. The smpp package's reader stops for good after a bad
 * command_length, and it parses a truncated or overflowing deliver_sm into garbage fields that it
 * would let us ack with status 0; so frames are cut here, and deliver_sm is decoded field by field
 * with every bound checked before anything is acknowledged. Everything else is parsed with the
 * package's PDU class once its frame is whole.
 */
export const HEADER = 16;
export const MAX_PDU = 16384;

export const CMD = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_transmitter: 0x00000002,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  bind_transceiver: 0x00000009,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
} as const;

export const STATUS = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RSYSERR: 0x08,
  RINVPASWD: 0x0e,
  RBINDFAIL: 0x0d,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RTHROTTLED: 0x58,
  RINVTLVLEN: 0xc2,
  RX_T_APPN: 0x64,
} as const;

export interface Frame {
  length: number;
  commandId: number;
  status: number;
  sequence: number;
  body: Buffer;
  raw: Buffer;
}

/**
 * Cuts a TCP byte stream into PDUs. A command_length below 16 or above 16384 cannot be resynchronised
 * (there is no frame marker in SMPP): push() throws, and the session is dropped and bound again.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 4) {
      const length = this.buf.readUInt32BE(0);
      if (length < HEADER || length > MAX_PDU) throw new Error(`bad command_length ${length}`);
      if (this.buf.length < length) break;
      const raw = this.buf.subarray(0, length);
      out.push({ length, commandId: raw.readUInt32BE(4), status: raw.readUInt32BE(8), sequence: raw.readUInt32BE(12), body: raw.subarray(HEADER), raw });
      this.buf = this.buf.subarray(length);
    }
    return out;
  }
}

export interface DeliverSm {
  sourceTon: number;
  sourceNpi: number;
  sourceAddr: string;
  destAddr: string;
  esmClass: number;
  dataCoding: number;
  shortMessage: Buffer;
  /** TLVs by tag (the last of a repeated tag). */
  tlvs: Map<number, Buffer>;
}

export class PduError extends Error {
  constructor(
    message: string,
    /** The command_status to answer with. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** Decode a deliver_sm body, refusing anything out of bounds (missing terminators, sm_length past the end, bad TLVs). */
export function decodeDeliverSm(body: Buffer): DeliverSm {
  let o = 0;
  const cstr = (max: number, name: string): string => {
    const end = body.indexOf(0, o);
    if (end < 0 || end - o > max - 1) throw new PduError(`${name}: no terminator within ${max} octets`, STATUS.RINVMSGLEN);
    const s = body.subarray(o, end).toString('latin1');
    o = end + 1;
    return s;
  };
  const u8 = (name: string): number => {
    if (o >= body.length) throw new PduError(`truncated at ${name}`, STATUS.RINVMSGLEN);
    return body[o++]!;
  };
  cstr(6, 'service_type');
  const sourceTon = u8('source_addr_ton');
  const sourceNpi = u8('source_addr_npi');
  const sourceAddr = cstr(21, 'source_addr');
  u8('dest_addr_ton');
  u8('dest_addr_npi');
  const destAddr = cstr(21, 'destination_addr');
  const esmClass = u8('esm_class');
  u8('protocol_id');
  u8('priority_flag');
  cstr(17, 'schedule_delivery_time');
  cstr(17, 'validity_period');
  u8('registered_delivery');
  u8('replace_if_present_flag');
  const dataCoding = u8('data_coding');
  u8('sm_default_msg_id');
  const smLength = u8('sm_length');
  if (o + smLength > body.length) throw new PduError(`sm_length ${smLength} past the end of the PDU`, STATUS.RINVMSGLEN);
  const shortMessage = Buffer.from(body.subarray(o, o + smLength));
  o += smLength;
  const tlvs = new Map<number, Buffer>();
  while (o < body.length) {
    if (o + 4 > body.length) throw new PduError('truncated TLV header', STATUS.RINVTLVLEN);
    const tag = body.readUInt16BE(o);
    const len = body.readUInt16BE(o + 2);
    if (o + 4 + len > body.length) throw new PduError(`TLV 0x${tag.toString(16)} length ${len} past the end`, STATUS.RINVTLVLEN);
    tlvs.set(tag, Buffer.from(body.subarray(o + 4, o + 4 + len)));
    o += 4 + len;
  }
  return { sourceTon, sourceNpi, sourceAddr, destAddr, esmClass, dataCoding, shortMessage, tlvs };
}

export const TLV = {
  receipted_message_id: 0x001e,
  message_state: 0x0427,
  network_error_code: 0x0423,
  message_payload: 0x0424,
  sar_msg_ref_num: 0x020c,
  sar_total_segments: 0x020e,
  sar_segment_seqnum: 0x020f,
} as const;

/** A bare header-only PDU (generic_nack, enquire_link_resp, a resp with an error status). */
export function headerPdu(commandId: number, status: number, sequence: number): Buffer {
  const b = Buffer.alloc(HEADER);
  b.writeUInt32BE(HEADER, 0);
  b.writeUInt32BE(commandId >>> 0, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(sequence, 12);
  return b;
}

/** deliver_sm_resp: message_id is unused and empty (one NUL). */
export function deliverSmResp(status: number, sequence: number): Buffer {
  if (status !== 0) return headerPdu(CMD.deliver_sm_resp, status, sequence);
  const b = Buffer.alloc(HEADER + 1);
  b.writeUInt32BE(HEADER + 1, 0);
  b.writeUInt32BE(CMD.deliver_sm_resp, 4);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(sequence, 12);
  return b;
}

/** message_id of a submit_sm_resp (a C string); null when malformed. */
export function submitSmRespId(body: Buffer): string | null {
  const end = body.indexOf(0);
  if (end < 0 || end > 64) return null;
  return body.subarray(0, end).toString('latin1');
}
