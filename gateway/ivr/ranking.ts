/**
 * Dynamic menus: a menu's options ordered and filtered for one caller, so the need they most likely
 * call about is said first (PRODUCT.md: a static tree costs minutes; present the 1-2 likely options
 * first). Pure: data in, order out — the caller's data is gathered by caller-profile.ts.
 *
 * Score per option (higher first; ties keep the flow's order):
 *   open case whose reason means this option   +100 (they call back about it)
 *   a contact in the last 30 days with such a reason   +60, decaying linearly to +20 at 30 days
 *   a campaign the caller is in for this intent         +25
 *   the option names the caller's segment               +15
 */
import type { MenuOption } from './flow-schema.js';

export interface CallerProfile {
  customerId?: string;
  name?: string;
  tier?: string;
  segment?: string;
  language?: string;
  /** Reasons (wrap-up codes, tags) of live conversations. */
  openCases: string[];
  /** Past contacts, newest first. */
  recentContacts: { reason: string; at: Date }[];
  /** Intents of marketing campaigns the caller is in (customer tags `campaign:<intent>`). */
  campaigns: string[];
}

export const emptyProfile = (): CallerProfile => ({ openCases: [], recentContacts: [], campaigns: [] });

const DAY = 86_400_000;
/**
 * The score from which the data points to an option: a contact, an open case or a campaign about it
 * (the segment alone, +15, does not).
 */
export const LIKELY = 20;
const RECENT_DAYS = 30;

/** The reasons that mean this option: its own list, and its intent itself. */
const meaning = (o: MenuOption) => new Set([o.intent, ...(o.reasons ?? [])]);

export function scoreOption(o: MenuOption, p: CallerProfile, now: Date): number {
  const means = meaning(o);
  let score = 0;
  if (p.openCases.some((r) => means.has(r))) score += 100;
  let recent = 0;
  for (const c of p.recentContacts) {
    const ageDays = (now.getTime() - c.at.getTime()) / DAY;
    if (ageDays < 0 || ageDays > RECENT_DAYS || !means.has(c.reason)) continue;
    recent = Math.max(recent, 60 - (40 * ageDays) / RECENT_DAYS);
  }
  score += recent;
  if (p.campaigns.includes(o.intent)) score += 25;
  if (p.segment && o.segments?.includes(p.segment)) score += 15;
  return score;
}

/**
 * Whether this caller is offered the option at all. `onlySegments` hides an option from callers known
 * to be in another segment; a caller we could not identify may be anyone, and hears it.
 */
export function offered(o: MenuOption, p: CallerProfile, now: Date): boolean {
  if (o.onlyWhenLikely && scoreOption(o, p, now) < LIKELY) return false;
  if (o.onlySegments && p.segment && !o.onlySegments.includes(p.segment)) return false;
  if (o.onlyWithOpenCase && !p.openCases.some((r) => meaning(o).has(r))) return false;
  return true;
}

/**
 * The options this caller hears, likely first, at most `max`. Digits stay those of the flow: a
 * caller who knows "2 is loans" is never surprised, only told it sooner.
 */
export function rankOptions(options: readonly MenuOption[], p: CallerProfile, now: Date, max = options.length, maxLikely = options.length): MenuOption[] {
  let shortcuts = 0;
  return options
    .map((o, i) => ({ o, i, s: scoreOption(o, p, now) }))
    .filter(({ o }) => offered(o, p, now))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .filter(({ o }) => !o.onlyWhenLikely || ++shortcuts <= maxLikely)
    .slice(0, max)
    .map(({ o }) => o);
}

/** VIP recognition: by calling number, called number (a VIP line) or tier. */
export function isVip(rule: { numbers: string[]; calledNumbers: string[]; tiers: string[] }, call: { caller: string; called: string }, p: CallerProfile): boolean {
  const norm = (n: string) => n.replace(/^\+/, '');
  const has = (list: string[], n: string) => list.some((x) => norm(x) === norm(n));
  return has(rule.numbers, call.caller) || has(rule.calledNumbers, call.called) || (!!p.tier && rule.tiers.includes(p.tier));
}
