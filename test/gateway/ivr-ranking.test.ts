/**
 * Dynamic menu ranking (gateway/ivr/ranking.ts), a pure function: per caller, the likely need first.
 * Options: balance(1), card_loss(2), loans(3, for retail and private banking), agent(0).
 */
import { expect, test } from 'vitest';
import { DEMO_FLOW } from '../../gateway/ivr/demo-flow.js';
import { emptyProfile, isVip, rankOptions, type CallerProfile } from '../../gateway/ivr/ranking.js';
import type { MenuOption } from '../../gateway/ivr/flow-schema.js';

const now = new Date('2026-12-03T10:00:00Z');
const options: MenuOption[] = [
  { digit: '1', intent: 'balance', reasons: ['account_inquiry'], next: 'x' },
  { digit: '2', intent: 'card_loss', reasons: ['card_service', 'fraud_report'], next: 'x' },
  { digit: '3', intent: 'loans', segments: ['retail', 'private banking'], next: 'x' },
  { digit: '0', intent: 'agent', reasons: ['complaint', 'work_order'], next: 'x' },
];
const order = (p: Partial<CallerProfile>, max?: number) => rankOptions(options, { ...emptyProfile(), ...p }, now, max).map((o) => o.intent);
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

test('an unknown caller hears the flow order', () => {
  expect(order({})).toEqual(['balance', 'card_loss', 'loans', 'agent']);
});

test('segment: an option naming the caller segment comes first', () => {
  expect(order({ segment: 'retail' })).toEqual(['loans', 'balance', 'card_loss', 'agent']);
  expect(order({ segment: 'corporate' })).toEqual(['balance', 'card_loss', 'loans', 'agent']);
});

test('recent contact reason: a card-service call 3 days ago puts card loss first; 40 days ago counts no more', () => {
  expect(order({ recentContacts: [{ reason: 'card_service', at: daysAgo(3) }] })[0]).toBe('card_loss');
  expect(order({ recentContacts: [{ reason: 'card_service', at: daysAgo(40) }] })[0]).toBe('balance');
});

test('a more recent reason outranks an older one', () => {
  const p = { recentContacts: [{ reason: 'complaint', at: daysAgo(1) }, { reason: 'account_inquiry', at: daysAgo(20) }] };
  expect(order(p).slice(0, 2)).toEqual(['agent', 'balance']);
});

test('open case beats recent contacts and segment', () => {
  const p = { segment: 'retail', openCases: ['fraud_report'], recentContacts: [{ reason: 'complaint', at: daysAgo(1) }] };
  expect(order(p)).toEqual(['card_loss', 'agent', 'loans', 'balance']);
});

test('campaign: a caller in the loans campaign hears loans first', () => {
  expect(order({ campaigns: ['loans'] })[0]).toBe('loans');
});

test('maxOptions keeps the likely ones; filters drop what the caller is not offered', () => {
  expect(order({ openCases: ['card_service'] }, 2)).toEqual(['card_loss', 'balance']);
  const only: MenuOption[] = [
    { digit: '5', intent: 'private', next: 'x', onlySegments: ['private banking'] },
    { digit: '6', intent: 'case', next: 'x', onlyWithOpenCase: true },
    { digit: '7', intent: 'any', next: 'x' },
  ];
  expect(rankOptions(only, { ...emptyProfile(), segment: 'retail' }, now).map((o) => o.intent)).toEqual(['any']);
  // Not identified: could be anyone, hears the segment's option (but no case-only option).
  expect(rankOptions(only, emptyProfile(), now).map((o) => o.intent)).toEqual(['private', 'any']);
  expect(rankOptions(only, { ...emptyProfile(), segment: 'private banking', openCases: ['case'] }, now).map((o) => o.intent)).toEqual(['case', 'private', 'any']);
});

test('VIP: by calling number (with or without +), by called number (VIP line), by tier', () => {
  const rule = { numbers: ['+8613800138000'], calledNumbers: ['95588800'], tiers: ['vip'] };
  expect(isVip(rule, { caller: '8613800138000', called: '95588' }, emptyProfile())).toBe(true);
  expect(isVip(rule, { caller: '+8613900000000', called: '+95588800' }, emptyProfile())).toBe(true);
  expect(isVip(rule, { caller: '+8613900000000', called: '95588' }, { ...emptyProfile(), tier: 'vip' })).toBe(true);
  expect(isVip(rule, { caller: '+8613900000000', called: '95588' }, { ...emptyProfile(), tier: 'gold' })).toBe(false);
});

test('shortcuts (onlyWhenLikely): offered only when a contact, open case or campaign points to them (the segment alone does not), at most maxLikely', () => {
  const likely = (DEMO_FLOW.nodes.find((n) => n.id === 'likely') as { options: MenuOption[] }).options;
  const shown = (p: Partial<CallerProfile>) => rankOptions(likely, { ...emptyProfile(), ...p }, now, undefined, 2).map((o) => o.intent);
  expect(shown({ segment: 'retail' })).toEqual(['other']);
  expect(shown({ recentContacts: [{ reason: 'fraud_report', at: daysAgo(2) }] })).toEqual(['card_loss', 'other']);
  expect(shown({ openCases: ['complaint'], recentContacts: [{ reason: 'account_inquiry', at: daysAgo(10) }], campaigns: ['loans'] })).toEqual(['agent', 'balance', 'other']);
  // A contact 29 days ago still counts (score 21 ≥ LIKELY), 31 days ago no more.
  expect(shown({ recentContacts: [{ reason: 'account_inquiry', at: daysAgo(29) }] })).toEqual(['balance', 'other']);
  expect(shown({ recentContacts: [{ reason: 'account_inquiry', at: daysAgo(31) }] })).toEqual(['other']);
});
