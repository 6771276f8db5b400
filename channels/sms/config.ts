/**
 * The SMS channel's config section (`sms` in the config file), the shape issue 19 fixes:
 *
 *   { "sms": { "accounts": [ { "name": "cmcc", "host": "127.0.0.1", "port": 2775,
 *       "systemId": "esme", "password": "secret", "systemType": "", "mode": "transceiver",
 *       "binds": 1, "window": 10, "tps": 100, "sourceAddr": "95588", "sourceTon": 0, "sourceNpi": 1,
 *       "queue": "general" } ] } }
 *
 * `password` is a secret: the registry prints and logs it as [redacted] (ConnectorDefinition.secrets).
 */
import { z } from 'zod';

export const SmsAccountSchema = z.strictObject({
  /** Short name, unique: in logs, metrics, /readyz and the TPS limiter key. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'letters, digits, - and _ (at most 32)'),
  host: z.string().min(1).max(255),
  port: z.coerce.number().int().min(1).max(65535).default(2775),
  /** SMPP system_id: at most 15 octets plus the terminator. */
  systemId: z.string().min(1).max(15),
  /** SMPP password: at most 8 octets in v3.4. */
  password: z.string().max(8),
  systemType: z.string().max(12).default(''),
  /** transceiver: one bind both ways; transmitter+receiver: one of each per `binds`. */
  mode: z.enum(['transceiver', 'transmitter+receiver']).default('transceiver'),
  /** Sessions (of each kind) opened to the SMSC. */
  binds: z.coerce.number().int().min(1).max(16).default(1),
  /** Outstanding submit_sm per bind, never exceeded. */
  window: z.coerce.number().int().min(1).max(1000).default(10),
  /** submit_sm per second for the whole account, across binds and hub processes (kept in Redis). */
  tps: z.coerce.number().int().min(1).max(100000).default(100),
  /** The bank's short number messages come from. */
  sourceAddr: z.string().min(1).max(20),
  sourceTon: z.coerce.number().int().min(0).max(6).default(0),
  sourceNpi: z.coerce.number().int().min(0).max(18).default(1),
  /** The queue new SMS conversations of this account land in. */
  queue: z.string().min(1).max(64).default('general'),
});

export const SmsConfigSchema = z
  .strictObject({
    accounts: z.array(SmsAccountSchema).max(32).default([]),
    /** A long MO message whose parts stop arriving is stored with what came, marked incomplete, after this many seconds. */
    concatTimeoutSec: z.coerce.number().min(1).max(3600).default(60),
    /** Seconds between our enquire_link on an idle bind. */
    enquireLinkSec: z.coerce.number().min(1).max(3600).default(30),
    /** Seconds a submit_sm waits for its resp before the send is retried. */
    responseTimeoutSec: z.coerce.number().min(0.1).max(300).default(10),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.accounts.forEach((a, i) => {
      if (seen.has(a.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'name'], message: `duplicate account name ${a.name}` });
      seen.add(a.name.toLowerCase());
    });
  });

export type SmsConfig = z.output<typeof SmsConfigSchema>;
export type SmsAccount = SmsConfig['accounts'][number];
