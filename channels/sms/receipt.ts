/**
 * Delivery receipts (deliver_sm with esm_class bits 2-5 = 0x04): the SMSC's message id and final
 * state from the receipted_message_id / message_state TLVs when present, else from the customary
 * text "id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…" (SMPP 3.4 appendix B).
 */
import type { DeliveryStatus } from '../contract.js';
import { TLV, type DeliverSm } from './pdu.js';

export interface Receipt {
  messageId: string;
  /** The SMSC's state name (DELIVRD, UNDELIV...). */
  stat: string;
  err?: string;
}

export const isReceipt = (d: DeliverSm): boolean => (d.esmClass & 0x3c) === 0x04 || (d.esmClass & 0x3c) === 0x08;

/** message_state TLV values (SMPP 3.4 5.3.2.35) as stat names. */
const STATE_NAMES: Record<number, string> = { 1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD' };

export function parseReceipt(d: DeliverSm): Receipt | null {
  const text = d.shortMessage.toString('latin1');
  const field = (k: string): string | undefined => new RegExp(`(?:^|\\s)${k}:(\\S*)`, 'i').exec(text)?.[1];
  const tlvId = d.tlvs.get(TLV.receipted_message_id);
  const tlvState = d.tlvs.get(TLV.message_state);
  const messageId = tlvId ? tlvId.toString('latin1').replace(/\0.*$/s, '') : field('id');
  const stat = tlvState && tlvState.length === 1 ? STATE_NAMES[tlvState[0]!] : field('stat');
  if (!messageId || !stat) return null;
  return { messageId, stat: stat.toUpperCase(), err: field('err') };
}

/** SMSC states → ours. ENROUTE/ACCEPTD say nothing new (the submit's resp already made it `sent`). */
export function mapSmscState(stat: string): DeliveryStatus | undefined {
  switch (stat.toUpperCase()) {
    case 'DELIVRD':
      return 'delivered';
    case 'UNDELIV':
    case 'EXPIRED':
    case 'REJECTD':
    case 'DELETED':
      return 'failed';
    case 'ENROUTE':
    case 'ACCEPTD':
      return 'sent';
    default:
      return undefined;
  }
}
