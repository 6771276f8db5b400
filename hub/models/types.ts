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

export interface AttachmentRef {
  id: string;
  name: string;
  contentType: string;
  size: number;
}
