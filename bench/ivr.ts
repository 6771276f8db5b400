/**
 * Dynamic IVR vs a static menu tree: seconds from answer to reaching the needed service, for a
 * simulated caller population, both in the same run. A model run (no RTP): prompt durations come
 * from the real prompt files (espeak-ng + sox, the hub's prompt cache), menu order from the real
 * ranking function (gateway/ivr/ranking.ts). Target: dynamic at least 50% faster (mean and p90).
 *
 *   npm run bench:ivr            (N=20000 callers; SEED=1)
 *
 * The caller model (stated so the figure can be judged):
 * - Segments with their own intent mixes (retail, card holders, corporate, private banking).
 * - A caller listens to a menu until the option they need has been said, then presses (barge-in):
 *   reaction 1.0 s after the option ends, 0.3 s for the digit and the next prompt to start.
 * - 85% are identified by their number. Of those, 45% called in the last 30 days about the same need
 *   (a contact with that reason), 15% have an open case about it, 25% had a contact about something
 *   else (noise: it misleads the ranking), 10% are in the loans campaign (a third of them call about loans).
 * - Static (everyone): the welcome, the language menu, then the tree (main menu, then 1-2 levels).
 * - Dynamic (the demo flow's shape): the welcome; the language menu unless the caller is identified
 *   and their language is on file (90% of the identified); then the shortcuts the caller's data
 *   points to (ranking.ts LIKELY: a contact, open case or campaign; at most two) and "other
 *   services" into the same main menu — or, when nothing is likely, the main menu at once.
 *   Private-banking VIPs (tier vip, 70% of them) are greeted by name and queued to the VIP line.
 */
import { resolve, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Tts } from '../gateway/ivr/prompts/tts.js';
import { parseWav } from '../gateway/ivr/prompts/wav.js';
import { rankOptions, type CallerProfile } from '../gateway/ivr/ranking.js';
import type { MenuOption } from '../gateway/ivr/flow-schema.js';

const N = Number(process.env.N ?? 20_000);
const REACTION = 1.0;
const DIGIT = 0.3;
const now = new Date('2026-12-03T10:00:00Z');

// ---- the static tree (a typical bank hotline: language, then 3 levels) -----------------------
type Intent = 'balance' | 'transfer' | 'wealth' | 'card_bill' | 'repayment' | 'card_loss' | 'limit' | 'loans' | 'corp_account' | 'agent';
interface TreeMenu {
  intro?: string;
  options: { label: string; to: TreeMenu | Intent }[];
}
const leaf = (label: string, to: Intent) => ({ label, to });
const cardsMenu: TreeMenu = {
  options: [
    leaf('信用卡账单查询请按1。', 'card_bill'),
    leaf('信用卡还款请按2。', 'repayment'),
    leaf('额度调整请按3。', 'limit'),
    { label: '挂失及盗刷请按4。', to: { options: [leaf('借记卡挂失请按1。', 'card_loss'), leaf('信用卡挂失请按2。', 'card_loss'), leaf('盗刷报案请按3。', 'card_loss')] } },
    leaf('人工服务请按0。', 'agent'),
  ],
};
const personal: TreeMenu = {
  options: [
    { label: '余额及明细查询请按1。', to: { options: [leaf('活期账户请按1。', 'balance'), leaf('定期账户请按2。', 'balance')] } },
    leaf('转账汇款请按2。', 'transfer'),
    leaf('理财及存款产品请按3。', 'wealth'),
    leaf('人工服务请按0。', 'agent'),
  ],
};
const loansMenu: TreeMenu = { options: [leaf('房屋贷款请按1。', 'loans'), leaf('消费贷款请按2。', 'loans'), leaf('经营贷款请按3。', 'loans'), leaf('人工服务请按0。', 'agent')] };
const corp: TreeMenu = { options: [leaf('对公账户请按1。', 'corp_account'), leaf('企业网银请按2。', 'corp_account'), leaf('人工服务请按0。', 'agent')] };
const MAIN: TreeMenu = {
  options: [
    { label: '个人账户业务请按1。', to: personal },
    { label: '信用卡业务请按2。', to: cardsMenu },
    { label: '贷款业务请按3。', to: loansMenu },
    { label: '公司业务请按4。', to: corp },
    leaf('人工服务请按0。', 'agent'),
  ],
};
/** Everyone hears the language choice first (Mandarin is the first option: press after it). */
const LANGUAGE = '普通话服务请按1。';
const STATIC: TreeMenu = { options: [{ label: LANGUAGE, to: MAIN }] };
const WELCOME = '欢迎致电城市银行。';
const VIP_GREETING = '张先生，您好，正在为您转接贵宾专线。';

// ---- the dynamic menu: shortcuts the caller's data points to, as in the demo flow's `likely` ----
// (every need is a shortcut offered only when likely, at most two, then "other services" into the
// same static main menu; when nothing is likely the caller goes straight to the main menu)
const DYNAMIC: (MenuOption & { text: string })[] = [
  { digit: '1', intent: 'balance', text: '查询余额请按1。', onlyWhenLikely: true, next: 'x' },
  { digit: '2', intent: 'card_bill', text: '信用卡账单请按2。', onlyWhenLikely: true, next: 'x' },
  { digit: '0', intent: 'agent', text: '人工服务请按0。', onlyWhenLikely: true, next: 'x' },
  { digit: '3', intent: 'transfer', text: '转账汇款请按3。', onlyWhenLikely: true, next: 'x' },
  { digit: '4', intent: 'repayment', text: '信用卡还款请按4。', onlyWhenLikely: true, next: 'x' },
  { digit: '5', intent: 'card_loss', text: '信用卡挂失请按5。', onlyWhenLikely: true, next: 'x' },
  { digit: '6', intent: 'loans', text: '贷款业务请按6。', onlyWhenLikely: true, next: 'x' },
  { digit: '7', intent: 'limit', text: '额度调整请按7。', onlyWhenLikely: true, next: 'x' },
  { digit: '8', intent: 'corp_account', text: '对公业务请按8。', onlyWhenLikely: true, next: 'x' },
  { digit: '*', intent: 'wealth', text: '理财产品请按星号。', onlyWhenLikely: true, next: 'x' },
  { digit: '9', intent: 'other', text: '其他服务请按9。', next: 'x' },
];
const MAX_LIKELY = 2;
/** Identified callers whose language is on file skip the language menu. */
const LANGUAGE_ON_FILE = 0.9;

// ---- the population ---------------------------------------------------------------------------
const SEGMENTS: { name: string; share: number; vipShare: number; mix: Partial<Record<Intent, number>> }[] = [
  { name: 'retail', share: 0.5, vipShare: 0, mix: { balance: 0.3, transfer: 0.15, card_bill: 0.1, card_loss: 0.05, loans: 0.15, wealth: 0.05, agent: 0.2 } },
  { name: 'cards', share: 0.25, vipShare: 0, mix: { card_bill: 0.35, repayment: 0.25, card_loss: 0.1, limit: 0.15, balance: 0.05, agent: 0.1 } },
  { name: 'corporate', share: 0.15, vipShare: 0, mix: { corp_account: 0.6, transfer: 0.1, loans: 0.1, agent: 0.2 } },
  { name: 'private banking', share: 0.1, vipShare: 0.7, mix: { wealth: 0.4, transfer: 0.2, balance: 0.1, loans: 0.1, agent: 0.2 } },
];

/** mulberry32: a seeded PRNG, so runs compare. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, weights: [T, number][]): T => {
  let x = r() * weights.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of weights) if ((x -= w) <= 0) return v;
  return weights[weights.length - 1][0];
};

async function main() {
  const dataDir = resolve(process.env.CCHUB_DATA_DIR ?? '.data');
  const tts = new Tts(join(dataDir, 'prompts', 'tts'));
  const texts = new Set<string>([WELCOME, VIP_GREETING, ...DYNAMIC.map((o) => o.text)]);
  const walk = (m: TreeMenu) => {
    if (m.intro) texts.add(m.intro);
    for (const o of m.options) (texts.add(o.label), typeof o.to !== 'string' && walk(o.to));
  };
  walk(STATIC);
  const t0 = Date.now();
  const dur = new Map<string, number>();
  for (const t of texts) dur.set(t, parseWav(readFileSync(await tts.file(t, 'zh'))).durationMs / 1000);
  const d = (t: string) => dur.get(t)!;
  console.log(`prompts: ${texts.size} real files (espeak-ng cmn, 8 kHz), ${((Date.now() - t0) / 1000).toFixed(1)} s to generate/read; welcome ${d(WELCOME).toFixed(2)} s, a menu option ~${(DYNAMIC.reduce((s, o) => s + d(o.text), 0) / DYNAMIC.length).toFixed(2)} s`);

  /** Seconds through the static tree from its root to `intent` (listening, then pressing). */
  const staticFrom = (m: TreeMenu, intent: Intent): number => {
    let t = m.intro ? d(m.intro) : 0;
    for (const o of m.options) {
      t += d(o.label);
      const leadsThere = o.to === intent || (typeof o.to !== 'string' && reaches(o.to, intent));
      if (leadsThere) return t + REACTION + DIGIT + (typeof o.to === 'string' ? 0 : staticFrom(o.to, intent));
    }
    throw new Error(`no path to ${intent}`);
  };
  const reaches = (m: TreeMenu, intent: Intent): boolean => m.options.some((o) => o.to === intent || (typeof o.to !== 'string' && reaches(o.to, intent)));

  const r = rng(Number(process.env.SEED ?? 1));
  const st: number[] = [];
  const dy: number[] = [];
  const bySeg = new Map<string, { s: number[]; d: number[] }>();
  let vips = 0;
  let firstOption = 0;
  for (let i = 0; i < N; i++) {
    const seg = pick(r, SEGMENTS.map((s) => [s, s.share]));
    const profile: CallerProfile = { segment: seg.name, openCases: [], recentContacts: [], campaigns: [] };
    const campaign = r() < 0.1;
    let intent = pick(r, Object.entries(seg.mix) as [Intent, number][]);
    if (campaign && r() < 1 / 3) intent = 'loans';
    const identified = r() < 0.85;
    const vip = identified && r() < seg.vipShare;
    if (identified) {
      if (r() < 0.45) profile.recentContacts.push({ reason: intent, at: new Date(now.getTime() - r() * 30 * 86_400_000) });
      if (r() < 0.15) profile.openCases.push(intent);
      if (r() < 0.25) profile.recentContacts.push({ reason: pick(r, DYNAMIC.map((o) => [o.intent, 1])), at: new Date(now.getTime() - r() * 30 * 86_400_000) });
      if (campaign) profile.campaigns.push('loans');
    } else profile.segment = undefined;

    const s = d(WELCOME) + staticFrom(STATIC, intent);
    let y: number;
    if (vip) {
      vips++;
      y = d(VIP_GREETING);
    } else {
      const shown = rankOptions(DYNAMIC, profile, now, undefined, MAX_LIKELY);
      const text = (intent: string) => d(DYNAMIC.find((o) => o.intent === intent)!.text);
      y = d(WELCOME) + (identified && r() < LANGUAGE_ON_FILE ? 0 : d(LANGUAGE) + REACTION + DIGIT);
      const at = shown.findIndex((o) => o.intent === intent);
      if (at >= 0) {
        for (let k = 0; k <= at; k++) y += text(shown[k].intent);
        y += REACTION + DIGIT;
        if (at === 0) firstOption++;
      } else if (shown.some((o) => o.onlyWhenLikely)) {
        // Heard the shortcuts, none theirs: "other services", then the main menu.
        for (const o of shown) y += text(o.intent);
        y += REACTION + DIGIT + staticFrom(MAIN, intent);
      } else y += staticFrom(MAIN, intent);
    }
    st.push(s);
    dy.push(y);
    const b = bySeg.get(seg.name) ?? { s: [], d: [] };
    b.s.push(s);
    b.d.push(y);
    bySeg.set(seg.name, b);
  }

  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const p90 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length * 0.9)];
  const row = (name: string, a: number[], b: number[]) =>
    `${name.padEnd(18)} static mean ${mean(a).toFixed(1).padStart(5)} s  p90 ${p90(a).toFixed(1).padStart(5)} s | dynamic mean ${mean(b).toFixed(1).padStart(5)} s  p90 ${p90(b).toFixed(1).padStart(5)} s | faster by ${(100 * (1 - mean(b) / mean(a))).toFixed(0)}% (mean), ${(100 * (1 - p90(b) / p90(a))).toFixed(0)}% (p90)`;
  console.log(`\n${N} callers; ${vips} VIPs routed at once; the need was the first shortcut said for ${((100 * firstOption) / (N - vips)).toFixed(0)}% of the others`);
  for (const [k, v] of bySeg) console.log(row(k, v.s, v.d));
  console.log(row('all', st, dy));
  const ok = mean(dy) <= 0.5 * mean(st) && p90(dy) <= 0.5 * p90(st);
  console.log(`\ntarget (dynamic at least 50% faster, mean and p90): ${ok ? 'met' : 'NOT met'}`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
