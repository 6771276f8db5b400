// Channels, statuses and attachment references are the connector contract's vocabulary: defined once there.
import type { DeliveryStatus } from '../../channels/contract.js';
export { CHANNELS, type Channel, CONVERSATION_STATUSES, type ConversationStatus, LIVE_STATUSES, isLive, DELIVERY_STATUSES, type DeliveryStatus, type AttachmentRef } from '../../channels/contract.js';
export const ROLES = ['agent', 'supervisor', 'marketing', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/**
 * Which statuses an outbound message may move to from which: only forward (queued → sent → delivered →
 * read), so a late or duplicated receipt never undoes a later one. `failed` ends it (its reason is kept)
 * and may follow anything but `read`: an e-mail can bounce after the far server took it, but a message
 * the customer read was delivered.
 */
export const STATUS_FROM: Record<DeliveryStatus, readonly DeliveryStatus[]> = {
  received: [],
  queued: [],
  sent: ['queued'],
  delivered: ['queued', 'sent'],
  read: ['queued', 'sent', 'delivered'],
  failed: ['queued', 'sent', 'delivered'],
};

