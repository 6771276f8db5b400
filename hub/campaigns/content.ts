/**
 * What one recipient gets: the campaign's zh or en variant by the customer's language, fields filled
 * in (`{{name}}`, `{{card_last4}}` — the last four digits only, never a card number), the SMS opt-out
 * wording appended, and for e-mail the unsubscribe link in the body and the List-Unsubscribe headers
 * (RFC 2369, one-click per RFC 8058).
 */
import { z } from 'zod';
import type { CampaignChannel } from './models.js';

const Variant = z
  .object({
    text: z.string().trim().min(1, 'text is empty').max(2000),
    subject: z.string().trim().max(200).optional(),
    html: z.string().max(200_000).optional(),
  })
  .strict();
export const ContentSchema = z.object({ zh: Variant.optional(), en: Variant.optional() }).strict().refine((c) => c.zh || c.en, 'content needs a zh or an en variant');
export type Content = z.infer<typeof ContentSchema>;

export interface Recipient {
  name?: string | null;
  language?: string | null;
  cardLast4?: string | null;
}

export interface Rendered {
  text: string;
  subject?: string;
  html?: string;
  headers?: Record<string, string>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const languageOf = (r: Recipient): 'zh' | 'en' => (String(r.language ?? '').toLowerCase().startsWith('en') ? 'en' : 'zh');

/** Fill `{{field}}`; unknown fields become empty (a template never leaks a field it was not given). */
function fill(template: string, r: Recipient, html: boolean): string {
  const fields: Record<string, string> = {
    name: r.name ?? '',
    // Only ever four digits: anything else stored there is not shown.
    card_last4: /^\d{4}$/.test(r.cardLast4 ?? '') ? r.cardLast4! : '',
  };
  return template.replace(/\{\{\s*([a-z0-9_]+)\s*\}\}/gi, (_m, k: string) => {
    const v = fields[k.toLowerCase()] ?? '';
    return html ? escapeHtml(v) : v;
  });
}

export function render(content: Content, channel: CampaignChannel, r: Recipient, opts: { smsSuffix: { zh: string; en: string }; unsubscribeUrl?: string }): Rendered {
  const lang = languageOf(r);
  const v = content[lang] ?? content.zh ?? content.en!;
  // The suffix follows the variant actually sent (a zh text for an en customer ends in zh).
  const vlang = content[lang] ? lang : content.zh ? 'zh' : 'en';
  const text = fill(v.text, r, false);
  if (channel === 'sms') {
    const suffix = opts.smsSuffix[vlang];
    return { text: suffix && !text.includes(suffix) ? `${text} ${suffix}` : text };
  }
  const url = opts.unsubscribeUrl;
  const unsubText = vlang === 'en' ? 'Unsubscribe' : '退订';
  return {
    subject: fill(v.subject ?? '', r, false) || (vlang === 'en' ? 'News from your bank' : '银行通知'),
    text: url ? `${text}\n\n${unsubText}: ${url}` : text,
    ...(v.html ? { html: fill(v.html, r, true) + (url ? `<p style="font-size:small"><a href="${escapeHtml(url)}">${unsubText}</a></p>` : '') } : {}),
    ...(url ? { headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
  };
}

// GSM 03.38 basic set plus its extension table (each extension character costs two septets).
const GSM = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = '^{}\\[~]|€\f';

/** Characters, encoding and parts of an SMS text (for the console's counter and the API's preview). */
export function smsSegments(text: string): { encoding: 'GSM' | 'UCS-2'; units: number; segments: number } {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM.includes(ch)) septets += 1;
    else if (GSM_EXT.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  // UTF-16 code units (a character outside the BMP takes two).
  const units = text.length;
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
