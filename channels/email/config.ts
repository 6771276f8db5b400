/**
 * The email channel's config section (`email` in CCHUB_CONFIG), declared by the connector itself so
 * the registry validates it at start-up with the rest of config/ (issue 15). The mailbox shape is
 * the one issue 18 fixes, so the channel can be pointed at any IMAP/SMTP server:
 *
 *   { "email": { "mailboxes": [ { "name": "service", "address": "service@bank.example",
 *       "queue": "general", "kind": "email",
 *       "imap": { "host": "127.0.0.1", "port": 143, "secure": false, "user": "service", "password": "…", "folder": "INBOX" },
 *       "smtp": { "host": "127.0.0.1", "port": 25, "secure": false, "user": "…", "password": "…" } } ] } }
 *
 * Passwords are secrets: redactEmailConfig() is what may be logged or shown.
 */
import { z } from 'zod';
import { FaxSettingsSchema } from './fax/config.js';

const host = z.string().min(1).max(255);
const port = z.coerce.number().int().min(1).max(65535);

export const ImapSettingsSchema = z.strictObject({
  host,
  port: port.default(143),
  /** Implicit TLS (993); false = plain, upgraded with STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
  /** The folder read for new mail. */
  folder: z.string().min(1).max(255).default('INBOX'),
});

export const SmtpSettingsSchema = z.strictObject({
  host,
  port: port.default(25),
  secure: z.boolean().default(false),
  /** Both or neither: a relay on the bank's network may take mail without authentication. */
  user: z.string().min(1).max(320).optional(),
  password: z.string().min(1).max(1024).optional(),
});

export const MailboxSchema = z
  .strictObject({
    /** Short name, unique: used in logs, metrics and the checkpoint key. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'letters, digits, - and _ (at most 32)'),
    /** The address customers write to and replies come from. */
    address: z.email(),
    /** The queue new conversations from this mailbox land in. */
    queue: z.string().min(1).max(64),
    /** `fax`: a fax-to-email mailbox (each mail a fax with a TIFF/PDF attachment). */
    kind: z.enum(['email', 'fax']).default('email'),
    /** For `kind: "fax"`: number patterns, renderer limits, the email-to-fax gateway (fax/config.ts). */
    fax: FaxSettingsSchema.optional(),
    /**
     * Acknowledge a customer's first mail in a thread with its case number (never an automated mail:
     * auto-replies, bounces, lists, no-reply senders — that is how mail loops start). `{case}` in
     * subject and text is replaced by the case token ([#CASE-n]).
     */
    autoAck: z
      .strictObject({
        subject: z.string().min(1).max(300).default('{case} 我们已收到您的邮件 / We have received your mail'),
        text: z.string().min(1).max(5000).default('您好，\n\n我们已收到您的邮件，案件编号 {case}。回复时请保留此编号。\n\nHello,\n\nWe have received your mail; your case number is {case}. Please keep it in the subject when you reply.'),
      })
      .optional(),
    imap: ImapSettingsSchema,
    smtp: SmtpSettingsSchema,
  })
  .refine((m) => (m.smtp.user === undefined) === (m.smtp.password === undefined), {
    message: 'smtp.user and smtp.password go together',
    path: ['smtp'],
  });

export const EmailConfigSchema = z
  .strictObject({
    mailboxes: z.array(MailboxSchema).max(100).default([]),
    /** Largest mail taken whole (bytes); a larger one is kept with its headers and the reason. */
    maxMessageBytes: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
    /** Largest single attachment (bytes), enforced while it streams; past it the part is refused and recorded. */
    maxAttachmentBytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
    /** A mail with no thread headers joins the same sender's mail with the same subject within this many days. */
    subjectWindowDays: z.coerce.number().min(0).max(365).default(7),
    /**
     * Per-sender flood limit, over all mailboxes and hub processes (Redis): past it a sender's mail is
     * refused — kept raw in the file store with the reason (metadata.refused), no case opened.
     */
    /**
     * One reader per mailbox across hub processes (lease.ts): the lease lives ttlMs after its last
     * renewal (every renewMs); a hub that dies hands its mailboxes over within about ttlMs.
     */
    lease: z
      .strictObject({ ttlMs: z.coerce.number().int().min(1000).default(15_000), renewMs: z.coerce.number().int().min(200).default(5_000) })
      .refine((l) => l.renewMs * 2 <= l.ttlMs, { message: 'renewMs must be at most half of ttlMs' })
      .prefault({}),
    floodPerSender: z.strictObject({ mails: z.coerce.number().int().min(1).default(30), perSeconds: z.coerce.number().int().min(1).default(3600) }).prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.mailboxes.forEach((m, i) => {
      if (seen.has(m.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'name'], message: `duplicate mailbox name ${m.name}` });
      seen.add(m.name.toLowerCase());
    });
  });

export type EmailConfig = z.output<typeof EmailConfigSchema>;
export type Mailbox = EmailConfig['mailboxes'][number];

export const REDACTED = '[redacted]';

/** The config with every password replaced: the only form that may be logged or sent to a console. */
export function redactEmailConfig(c: EmailConfig): EmailConfig {
  return {
    ...c,
    mailboxes: c.mailboxes.map((m) => ({
      ...m,
      imap: { ...m.imap, password: REDACTED },
      smtp: { ...m.smtp, ...(m.smtp.password !== undefined ? { password: REDACTED } : {}) },
    })),
  };
}
