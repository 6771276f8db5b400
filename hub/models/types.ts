// Channels, statuses and attachment references are the connector contract's vocabulary: defined once there.
export { CHANNELS, type Channel, CONVERSATION_STATUSES, type ConversationStatus, LIVE_STATUSES, isLive, DELIVERY_STATUSES, type DeliveryStatus, type AttachmentRef } from '../../channels/contract.js';
export const ROLES = ['agent', 'supervisor', 'marketing', 'admin'] as const;
export type Role = (typeof ROLES)[number];
