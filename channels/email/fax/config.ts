/**
 * A fax-to-email mailbox's settings (`fax` on a mailbox with `kind: "fax"`): where the sender's
 * number is read, what the renderer may spend on one document, and the email-to-fax gateway.
 *
 *   { "name": "fax", "kind": "fax", ..., "fax": { "gateway": "{number}@fax.example",
 *     "numberHeaders": ["x-fax-from"], "subjectPatterns": ["..."], "bodyPatterns": ["..."] } }
 *
 * Patterns are regular expressions (JavaScript syntax, case-insensitive) whose first capture group
 * is the number; each is compiled when config is loaded, so a bad one names its key at start-up.
 */
import { z } from 'zod';

const pattern = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => {
    try {
      return new RegExp(p, 'i').exec('') !== undefined;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

// Defaults for the mails fax services send: "Fax from +86 10 8888 1234", "传真来自 010-88881234".
const DEFAULT_SUBJECT = [String.raw`(?:fax|传真)\s*(?:from|来自|發自|发自)\s*[:：]?\s*(\+?\d[\d\s\-().]{4,24}\d)`];
// A "Sender:" line in the body (never "Receiver:" / "To:": that is our own number).
const DEFAULT_BODY = [String.raw`^\s*(?:sender|sender\s+number|from\s+fax|fax\s+from|sender\s+fax|发送方|发送者|发件方|傳送者)(?:\s*(?:number|no\.?|号码|號碼))?\s*[:：]\s*(\+?\d[\d\s\-().]{4,24}\d)`];

export const FaxSettingsSchema = z.strictObject({
  /** Headers carrying the sender's number, looked at first (lowercase names). */
  numberHeaders: z.array(z.string().regex(/^[a-z0-9-]{1,64}$/i).transform((h) => h.toLowerCase())).max(10).default(['x-fax-from', 'x-fax-sender', 'x-fax-caller-id']),
  /** Patterns over the subject; the first capture group is the number. */
  subjectPatterns: z.array(pattern).max(10).default(DEFAULT_SUBJECT),
  /** Patterns over each line of the body text (multiline); the first capture group is the number. */
  bodyPatterns: z.array(pattern).max(10).default(DEFAULT_BODY),
  /** Where an outbound fax is mailed: `{number}` is the E.164 number without "+", `{e164}` with it. */
  gateway: z
    .string()
    .max(320)
    .regex(/^[^@\s]*\{(number|e164)\}[^@\s]*@[^@\s]+$/, 'an address with {number} or {e164} before the @')
    .default('{number}@fax.example'),
  /** Mail from these senders (regex over the From address) is the gateway's confirmation of a fax we sent. Default: the gateway's domain. */
  confirmationFrom: pattern.optional(),
  /** A confirmation whose subject or text matches this reports a failed fax (checked before success). */
  failurePattern: pattern.default(String.raw`\b(fail(ed|ure)?|error|busy|no answer|not (sent|delivered)|undeliverable)\b|失败|失敗|未发送|忙`),
  /** ...and this a delivered one. */
  successPattern: pattern.default(String.raw`\b(success(ful(ly)?)?|delivered|sent|ok|completed?)\b|成功|已发送|已送达`),
  /** Pages rendered per document (the rest are counted, not drawn). */
  maxPages: z.coerce.number().int().min(1).max(500).default(50),
  /** Longest side of a rendered page, in pixels: caps the pixels per page whatever size the document claims. */
  maxPagePixels: z.coerce.number().int().min(200).max(8000).default(2200),
  /** Each converter run is killed after this long; the document is then kept with the reason. */
  renderTimeoutMs: z.coerce.number().int().min(500).max(300_000).default(30_000),
});

export type FaxSettings = z.output<typeof FaxSettingsSchema>;

/** The settings with their defaults (a fax mailbox may omit `fax` entirely). */
export const faxSettings = (v: unknown): FaxSettings => FaxSettingsSchema.parse(v ?? {});
