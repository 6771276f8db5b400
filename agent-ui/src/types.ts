// The hub contract (docs/API.md), declared once for the console and the widget.
export type Role = 'agent' | 'supervisor' | 'marketing' | 'admin';
export type Channel = 'webchat' | 'email' | 'sms' | 'voice' | 'fax';
export type ConversationStatus = 'open' | 'queued' | 'assigned' | 'pending' | 'resolved' | 'closed';
export type Locale = 'en' | 'zh';

export interface User { id: string; username: string; name: string; role: Role; queues: string[]; locale: Locale }
/** `url`: a short-lived signed link, on attachments sent to the web chat visitor (relative to the hub). */
export interface Attachment { id: string; name: string; contentType: string; size: number; url?: string }
export interface Message {
  id: string; conversationId: string; direction: 'in' | 'out'; channel: Channel;
  author: { type: 'customer' | 'agent' | 'system'; id?: string; name?: string };
  text: string; html?: string; attachments: Attachment[];
  /** E-mail: subject, From/To/Cc as the mail had them; fax: the sender's number in from. */
  subject?: string; from?: string; to?: string; cc?: string; bcc?: string;
  clientId?: string; status: 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
  /** An internal note: for colleagues only, never sent to the customer. */
  internal?: boolean;
  /** The channel's reason for the status, e.g. an SMSC's "UNDELIV err:001" or a bounce; kept with failed. */
  statusDetail?: string;
  createdAt: string; updatedAt: string;
}
/** A message shown before the hub stored it (optimistic). */
/**
 * A reply not stored yet. `error`: refused for good (shown with the hub's reason); `retryable`: a Retry
 * can help (a network or server failure, not a refusal such as "assigned to someone else");
 * `waiting`: written while the hub was unreachable, sent again by itself on reconnect.
 */
export interface PendingMessage extends Message { pending: true; error?: string; retryable?: boolean; waiting?: boolean }
export type ShownMessage = Message | PendingMessage;

export interface ConversationSummary {
  id: string; channel: Channel; status: ConversationStatus; queue: string; priority: number;
  assignee: { id: string; name: string } | null;
  customer: { id: string; name: string; tier: string };
  subject?: string; lastMessageAt: string; lastMessagePreview: string; unreadCount: number;
  tags: string[]; disposition?: { code: string; note?: string }; createdAt: string; updatedAt: string;
  /** The customer's satisfaction rating after it ended (1-5, comment). */
  csat?: { score: number; comment?: string; at: string };
  /** Put aside by an agent until then; back by itself at that time or when the customer writes. */
  snoozedUntil?: string;
  /** The channel's thread; previousConversationId: the resolved conversation of that thread this one continues. */
  threadKey?: string; previousConversationId?: string; reopenedAt?: string;
}
export interface Customer {
  id: string; name: string; tier: 'standard' | 'gold' | 'vip' | string; segment?: string; language?: string;
  identities: { channel: Channel; address: string }[];
  /** Typed by a web chat visitor into the pre-chat form; not verified. */
  unverifiedContact?: { email?: string; phone?: string };
}
/** A contact point of a customer: its kind, normalised address and the channels it was seen on (GET /api/customers/:id). */
export interface CustomerIdentity { kind: 'phone' | 'email' | 'webchat' | string; address: string; channels: Channel[]; verified: boolean }
export interface CustomerProfile {
  customer: { id: string; name: string; tier: string; segment?: string; language?: string; tags: string[]; mergedFrom?: string };
  identities: CustomerIdentity[];
  /** Every conversation of the customer on every channel, newest activity first. */
  timeline: ConversationSummary[];
}
export interface ConversationDetail {
  conversation: ConversationSummary; customer: Customer; messages: Message[]; history: ConversationSummary[];
}
export interface WrapUpCode { code: string; label: { en: string; zh: string } }

/** ACD (routing). `busy` is only a display value: an available agent with no room left, or on a voice call. */
export type AgentStateName = 'available' | 'wrapup' | 'notready' | 'offline';
export type AgentDisplay = AgentStateName | 'busy';
export type NotReadyReason = 'break' | 'meal' | 'training' | 'meeting' | 'rona' | 'supervisor' | 'other';
export interface AgentView {
  id: string; name: string; state: AgentStateName; display: AgentDisplay; reason?: NotReadyReason;
  since: string | null; load: Partial<Record<Channel, number>>; capacity: Partial<Record<Channel, number>>;
  wrapUntil?: string; updatedAt?: string;
}
export interface Offer { conversation: ConversationSummary; deadline: string }
export interface QueueStat {
  id: string; label: { en: string; zh: string }; waiting: number; ringing: number; oldestWaitSec: number;
  agentsAvailable: number; agentsSignedIn: number;
  /** Within its business hours now (false: new contacts take the after-hours action). */
  open?: boolean;
  /** Disabled by an admin: takes no new contacts. */
  disabled?: boolean;
  /** Today: answered contacts, share answered within the target, average speed of answer. */
  answeredToday?: number; serviceLevel?: { target: { pct: number; seconds: number }; pct: number | null }; asaSec?: number | null;
}
export interface WaitingItem { conversationId: string; queue: string; channel: Channel; priority: number; waitSec: number }
export interface AcdOverview { queues: QueueStat[]; agents: (AgentView & { role: Role })[]; waiting: WaitingItem[]; updatedAt: string }

/** Agent namespace server events. */
export interface AgentServerEvents {
  'agent.state': (p: { agent: AgentView; updatedAt: string }) => void;
  'offer.created': (p: { conversation: ConversationSummary; deadline: string; updatedAt: string }) => void;
  'offer.withdrawn': (p: { conversationId: string; reason: 'rona' | 'rejected'; updatedAt: string }) => void;
  'message.created': (p: { message: Message; conversation: ConversationSummary; updatedAt: string }) => void;
  'conversation.updated': (p: { conversation: ConversationSummary; updatedAt: string }) => void;
  typing: (p: { conversationId: string; typing: boolean; updatedAt: string }) => void;
  'message.read': (p: { conversationId: string; upTo: string; updatedAt: string }) => void;
  /** An admin changed this user (their queues): read GET /api/me again. */
  'user.updated': (p: { userId: string; updatedAt: string }) => void;
  /** The agent's call ended (either side hung up); the recording is on the conversation. */
  'call.ended': (p: { conversationId: string; reason: string; recording: Attachment | null; updatedAt: string }) => void;
}
export type CallOp = 'join' | 'connect' | 'produce' | 'consume' | 'hangup';
export type CallLegReply = { ok: true; data: unknown } | { error: { code: string; message: string } };
export interface AgentClientEvents {
  typing: (p: { conversationId: string; typing: boolean }) => void;
  /** These conversations, assigned to me, are on my screen (routing stops chasing them). */
  'conversation.ack': (p: { ids: string[] }) => void;
  /** The agent's call (voice): media signalling and hang-up, answered through the ack. */
  'call.leg': (p: { conversationId: string; op: CallOp; data?: unknown }, ack: (r: CallLegReply) => void) => void;
}

export const ALLOWED_UPLOAD = /^(image\/(png|jpe?g|gif|webp)|application\/pdf|text\/plain)$/;
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Administration (hub/api/admin-routes.ts): users, teams, queues. Admins only. */
export type Strategy = 'longest-idle' | 'least-occupied' | 'most-skilled' | 'round-robin';
export type AutoAcceptChannel = 'webchat' | 'email' | 'sms' | 'fax';
export type Capacity = Partial<Record<Channel, number>>;
/** Weekday '0' (Sunday) … '6' → open intervals ["HH:MM", "HH:MM"] in the queue's time zone; a missing day is closed. */
export type Weekday = '0' | '1' | '2' | '3' | '4' | '5' | '6';
export interface BusinessHours { tz: string; week: Partial<Record<Weekday, [string, string][]>> }
export interface AdminUser {
  id: string; username: string; name: string; role: Role; active: boolean; queues: string[];
  /** Skill → level 1-10. */
  skills: Record<string, number>;
  /** The user's own capacity; a channel left out comes from the team, then the defaults. */
  capacity: Capacity;
  team: string | null; locale: Locale; createdAt: string; updatedAt: string;
}
export interface AdminUserCreate {
  username: string; name: string; role: Role; password: string; queues?: string[]; skills?: Record<string, number>;
  capacity?: Capacity; team?: string | null; locale?: Locale;
}
export type AdminUserPatch = Partial<Omit<AdminUserCreate, 'username'> & { active: boolean }>;
export interface AdminTeam { id: string; name: string; capacity: Capacity }
export interface QueueDefinition {
  id: string;
  /** Required skill → minimum level. */
  skills: Record<string, number>;
  strategy: Strategy;
  serviceLevel: { pct: number; seconds: number };
  autoAccept: AutoAcceptChannel[];
  offerTimeoutSec: number;
  wrapUpSec: number;
  relax: { afterSec: number; minProficiency: number }[];
  overflow: { afterSec: number; queue: string } | null;
  stickySec: number;
  hours: BusinessHours | null;
  afterHours: { action: 'offline' } | { action: 'overflow'; queue: string };
  defaultAhtSec: number;
}
/** disabled: takes no new contacts (arrivals go to general; what waits in it is still served). */
export interface AdminQueue { id: string; label: { en?: string; zh?: string }; disabled?: boolean; definition: QueueDefinition }
/** PUT /api/admin/queues/:id replaces the whole definition (omitted fields take the hub's defaults). */
export type AdminQueueBody = Omit<QueueDefinition, 'id'> & { label: { en?: string; zh?: string } };

/** GET /api/admin/channels: an enabled connector's lifecycle and its links (SMPP binds...) as one hub process sees them. */
export interface AdminChannelPart { name: string; state: 'bound' | 'connected' | 'reconnecting' | 'error' | 'stopped'; reason?: string; since?: string }
export interface AdminChannel { kind: Channel; state: 'starting' | 'up' | 'degraded' | 'stopped'; reason?: string; since: string; parts: AdminChannelPart[] }

/** A canned reply (GET /api/canned-replies): the team's shared set or the agent's own; variables like {{customer.name}} as written. */
export interface CannedReply { id: string; scope: 'shared' | 'personal'; shortcut: string; title: string; texts: { en?: string; zh?: string }; updatedAt: string }
export interface CannedReplyBody { shortcut: string; title: string; texts: { en?: string; zh?: string } }
