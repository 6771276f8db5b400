export const CHANNELS = ['webchat', 'email', 'sms', 'voice', 'fax'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CONVERSATION_STATUSES = ['open', 'queued', 'assigned', 'pending', 'resolved', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
/** Statuses in which a conversation still takes new inbound messages. */
export const LIVE_STATUSES: ConversationStatus[] = ['open', 'queued', 'assigned', 'pending'];
/** Whether a status (as stored, or from a summary) is live. */
export const isLive = (status: string | null | undefined): boolean => !!status && (LIVE_STATUSES as readonly string[]).includes(status);
export const ROLES = ['agent', 'supervisor', 'marketing', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const DELIVERY_STATUSES = ['received', 'queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
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

export interface AttachmentRef {
  id: string;
  name: string;
  contentType: string;
  size: number;
}
