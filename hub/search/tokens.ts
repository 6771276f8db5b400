/**
 * Search tokens. The embedded store has no `$text` and filters by equality only, so search runs on an
 * inverted index the hub keeps itself (search/index.ts): a text becomes tokens, each token a Redis set
 * of conversation ids. Rules, the same for what is indexed and what is asked:
 * - Latin letters and digits: lower-cased words of 2+ characters (NFKC, so full-width ＡＢ１ is ab1);
 * - Chinese, Japanese, Korean runs: overlapping character pairs (no dictionary needed: "挂失信用卡"
 *   finds "信用卡"), a single character alone;
 * - digits written with spaces or dashes between groups (a phone number "138 0013 8000") also as one
 *   run, and a run of 7+ digits as its last 4, 8 and 11 digits too (so "13800138000" finds +8613800138000).
 * Card and ID numbers are masked before anything is stored (lib/mask.ts), and a query is masked the
 * same way: a full card number typed into search is never looked up, logged or kept in full.
 */
import { maskSensitive } from '../../lib/mask.js';

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
/** At most this many tokens per text: a long e-mail is findable by what it is about, not by every word. */
export const MAX_TOKENS = 300;

export function tokens(text: string): string[] {
  const out = new Set<string>();
  // Digit groups joined by spaces or dashes (phone numbers as people write them) count as one number,
  // not as their groups: "139 1234 5678" asked must not require "139" and "1234" to be indexed.
  const t = text.normalize('NFKC').toLowerCase().replace(/\+?\d[\d \-]{5,}\d/g, (m) => {
    addDigits(out, m.replace(/\D/g, ''));
    return ' ';
  });
  for (const run of t.split(/[^\p{L}\p{N}*]+/u)) {
    if (!run) continue;
    let latin = '';
    const flush = () => {
      if (latin.length >= 2 && !/^\*+$/.test(latin)) out.add(latin);
      if (/^\d{7,}$/.test(latin)) addDigits(out, latin);
      latin = '';
    };
    const chars = [...run];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!CJK.test(c)) { latin += c; continue; }
      flush();
      const next = chars[i + 1];
      const prev = chars[i - 1];
      if (next && CJK.test(next)) out.add(c + next);
      else if (!prev || !CJK.test(prev)) out.add(c);
    }
    flush();
    if (out.size >= MAX_TOKENS) break;
  }
  return [...out].slice(0, MAX_TOKENS);
}

function addDigits(out: Set<string>, d: string): void {
  if (d.length < 3) return;
  out.add(d);
  if (d.length >= 7) for (const n of [4, 8, 11]) if (d.length > n) out.add(d.slice(-n));
}

/** The tokens of a query (masked first); every one must match. */
export function queryTokens(q: string): string[] {
  return tokens(maskSensitive(q));
}
