// Canned replies in the reply box: which text variant, the variables filled in, and what "/query" finds.
// Pure, so the rules are unit-tested on their own (logic.spec.ts).
import type { CannedReply } from '../../types';

export type Lang = 'en' | 'zh';
export interface CannedVars { customer: { name: string; tier: string }; agent: { name: string } }

/**
 * {{customer.name}}, {{customer.tier}}, {{agent.name}} (spaces inside the braces allowed). An unknown
 * variable stays as written, so the agent sees it before sending rather than a silent blank.
 */
export function fillVariables(text: string, vars: CannedVars): string {
  return text.replace(/\{\{\s*([a-z]+)\.([a-zA-Z]+)\s*\}\}/g, (all, obj: string, key: string) => {
    const v = (vars as unknown as Record<string, Record<string, string> | undefined>)[obj]?.[key];
    return typeof v === 'string' && v ? v : all;
  });
}

/** The customer's language when it is Chinese or English, else the console's. */
export function replyLang(customerLanguage: string | undefined, uiLocale: string): Lang {
  const l = (customerLanguage ?? '').toLowerCase();
  if (l.startsWith('zh')) return 'zh';
  if (l.startsWith('en')) return 'en';
  return uiLocale === 'zh' ? 'zh' : 'en';
}

/** The variant in that language, else the other one. */
export function pickText(r: Pick<CannedReply, 'texts'>, lang: Lang): string {
  return r.texts[lang] ?? r.texts[lang === 'zh' ? 'en' : 'zh'] ?? '';
}

/** The "/query" right before the caret (at the start or after a space), or null when there is none. */
export function slashQuery(beforeCaret: string): string | null {
  const m = /(?:^|\s)\/([^\s/]{0,32})$/.exec(beforeCaret);
  return m ? m[1] : null;
}

/** Replies for a query: shortcut prefix first, then shortcut, title or text containing it; at most `max`. */
export function matchCanned(items: CannedReply[], query: string, lang: Lang, max = 8): CannedReply[] {
  const q = query.toLowerCase();
  if (!q) return items.slice(0, max);
  const prefix = items.filter((r) => r.shortcut.startsWith(q));
  const rest = items.filter((r) => !r.shortcut.startsWith(q) && (r.shortcut.includes(q) || r.title.toLowerCase().includes(q) || pickText(r, lang).toLowerCase().includes(q)));
  return [...prefix, ...rest].slice(0, max);
}
