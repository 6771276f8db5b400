import { describe, it, expect } from 'vitest';
import { isStale, mergeMessage, mergeMessages, matchesFilter, byActivity } from './logic';
import type { ConversationSummary, Message, PendingMessage } from '../../types';

const msg = (over: Partial<Message>): Message => ({
  id: 'm1', conversationId: 'c1', direction: 'out', channel: 'webchat', author: { type: 'agent' },
  text: 'hi', attachments: [], status: 'sent', createdAt: '2024-01-01T10:00:00.000Z', updatedAt: '2024-01-01T10:00:00.000Z',
  ...over,
});
const pending = (clientId: string, text = 'x'): PendingMessage =>
  ({ ...msg({ id: `pending:${clientId}`, clientId, text, createdAt: '2099-01-01T00:00:00Z' }), pending: true });
const conv = (over: Partial<ConversationSummary>): ConversationSummary => ({
  id: 'c1', channel: 'webchat', status: 'assigned', queue: 'retail', priority: 0, assignee: null,
  customer: { id: 'u1', name: 'A', tier: 'standard' }, lastMessageAt: '2024-01-01T10:00:00Z', lastMessagePreview: '',
  unreadCount: 0, tags: [], createdAt: '2024-01-01T09:00:00Z', updatedAt: '2024-01-01T10:00:00Z', ...over,
});

describe('isStale', () => {
  it('drops older events and accepts equal or newer', () => {
    const cur = { updatedAt: '2024-01-01T10:00:01.000Z' };
    expect(isStale(cur, '2024-01-01T10:00:00.999Z')).toBe(true);
    expect(isStale(cur, '2024-01-01T10:00:01.000Z')).toBe(false);
    expect(isStale(cur, '2024-01-01T10:00:02.000Z')).toBe(false);
    expect(isStale(undefined, '2000-01-01T00:00:00Z')).toBe(false);
  });
});

describe('mergeMessage', () => {
  it('replaces the pending bubble with the stored message (ack first, then echo)', () => {
    let list = mergeMessage([], pending('k1', 'hello'));
    const stored = msg({ id: 'm9', clientId: 'k1', text: 'hello' });
    list = mergeMessage(list, stored);
    list = mergeMessage(list, stored); // the message.created echo
    expect(list).toHaveLength(1);
    expect(list[0].id).toBe('m9');
  });
  it('does not resurrect a pending bubble once stored (echo first, then late pending)', () => {
    let list = mergeMessage([], msg({ id: 'm9', clientId: 'k1' }));
    list = mergeMessage(list, pending('k1'));
    expect(list.map((m) => m.id)).toEqual(['m9']);
  });
  it('keeps stored messages ordered by createdAt and pending ones last', () => {
    let list = mergeMessage([], pending('k1'));
    list = mergeMessage(list, msg({ id: 'b', createdAt: '2024-01-01T10:00:02Z' }));
    list = mergeMessage(list, msg({ id: 'a', createdAt: '2024-01-01T10:00:01Z' }));
    expect(list.map((m) => m.id)).toEqual(['a', 'b', 'pending:k1']);
  });
  it('ignores an older version of a stored message (status went back)', () => {
    let list = mergeMessage([], msg({ id: 'm1', status: 'read', updatedAt: '2024-01-01T10:00:05Z' }));
    list = mergeMessage(list, msg({ id: 'm1', status: 'sent', updatedAt: '2024-01-01T10:00:01Z' }));
    expect(list[0].status).toBe('read');
  });
  it('mergeMessages is idempotent over a refetch', () => {
    const page = [msg({ id: 'a' }), msg({ id: 'b', createdAt: '2024-01-01T10:00:01Z' })];
    const once = mergeMessages([], page);
    expect(mergeMessages(once, page)).toEqual(once);
  });
});

describe('list helpers', () => {
  const me = { id: 'agent1', queues: ['retail'] };
  it('filters by scope, status and channel', () => {
    const f = { scope: 'mine' as const, status: '', channel: '' };
    expect(matchesFilter(conv({ assignee: { id: 'agent1', name: 'x' } }), f, me)).toBe(true);
    expect(matchesFilter(conv({}), f, me)).toBe(false);
    expect(matchesFilter(conv({ queue: 'retail' }), { ...f, scope: 'queue' }, me)).toBe(true);
    expect(matchesFilter(conv({ queue: 'cards' }), { ...f, scope: 'queue' }, me)).toBe(false);
    expect(matchesFilter(conv({ channel: 'sms' }), { scope: 'all', status: '', channel: 'email' }, me)).toBe(false);
    expect(matchesFilter(conv({ status: 'resolved' }), { scope: 'all', status: 'resolved', channel: '' }, me)).toBe(true);
    // no status chosen = the live ones, as the hub lists them on load (issue 23 bug 7)
    expect(matchesFilter(conv({ status: 'resolved' }), { scope: 'all', status: '', channel: '' }, me)).toBe(false);
    expect(matchesFilter(conv({ status: 'closed' }), { scope: 'all', status: '', channel: '' }, me)).toBe(false);
  });
  it('sorts newest activity first', () => {
    const list = [conv({ id: 'a', lastMessageAt: '2024-01-01T10:00:00Z' }), conv({ id: 'b', lastMessageAt: '2024-01-01T11:00:00Z' })];
    expect(list.sort(byActivity).map((c) => c.id)).toEqual(['b', 'a']);
  });
});
