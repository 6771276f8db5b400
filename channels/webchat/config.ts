/** The `webchat` section of the configuration (cchub.config.json key `webchat`, CCHUB_WEBCHAT_* variables). */
import { z } from 'zod';

export const WebchatConfigSchema = z.object({
  /** Largest attachment in bytes. */
  maxAttachmentBytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  /** Largest text message in characters. */
  maxTextLength: z.coerce.number().int().min(1).default(4000),
  /** Messages a visitor may send per 10 s. */
  messagesPer10s: z.coerce.number().int().min(1).default(20),
  /** Socket events (messages, typing, read, history) one widget connection may send per second, sustained. */
  eventsPerSecond: z.coerce.number().min(0.1).default(20),
  /** ... and at once after a quiet spell; a connection refused this many events in a row is closed (×4). */
  eventBurst: z.coerce.number().int().min(1).default(60),
  /** Socket connections one visitor (all tabs, reconnects) may open per minute. */
  connectionsPerMinute: z.coerce.number().int().min(1).default(30),
  /** Sessions one IP may open per minute. */
  sessionsPerIpPerMinute: z.coerce.number().int().min(1).default(30),
  /** Queue new web chats land in. */
  defaultQueue: z.string().min(1).default('general'),
});

export type WebchatConfig = z.output<typeof WebchatConfigSchema>;

/** Environment variable → key of the section. */
export const WEBCHAT_ENV: Record<string, string> = {
  CCHUB_WEBCHAT_ENABLED: 'enabled',
  CCHUB_WEBCHAT_MAX_ATTACHMENT_BYTES: 'maxAttachmentBytes',
  CCHUB_WEBCHAT_MESSAGES_PER_10S: 'messagesPer10s',
  CCHUB_WEBCHAT_SESSIONS_PER_IP_PER_MINUTE: 'sessionsPerIpPerMinute',
  CCHUB_WEBCHAT_EVENTS_PER_SECOND: 'eventsPerSecond',
  CCHUB_WEBCHAT_EVENT_BURST: 'eventBurst',
  CCHUB_WEBCHAT_CONNECTIONS_PER_MINUTE: 'connectionsPerMinute',
};
