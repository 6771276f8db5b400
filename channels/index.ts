/**
 * The registry: every connector the hub can run, one entry each (channels/contract.ts
 * ConnectorDefinition). The hub builds the enabled ones from their config sections and knows none of
 * them by name; config/ validates each one's section at start-up. Add a connector by adding its entry.
 */
import { z } from 'zod';
import type { ConnectorDefinition } from './contract.js';
import { email } from './email/index.js';
import { sms } from './sms/index.js';
import { voice } from './voice/index.js';
import { webchat } from './webchat/index.js';

export const connectors = [webchat, email, sms, voice] as const;

/** A connector's full config section: its own keys plus `enabled`; absent means all defaults. */
export function connectorSection<S extends z.ZodObject>(d: ConnectorDefinition<S>) {
  // safeExtend: a section may carry refinements (cross-field checks), which plain extend refuses.
  return d.config.safeExtend({ enabled: z.boolean().default(d.enabledByDefault) }).prefault({});
}
