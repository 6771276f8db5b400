import { describe, it, expect, beforeEach, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { ConversationSummary, Message } from '../../types';

const reply = vi.fn();
vi.mock('../api', () => ({
  api: { reply: (...a: unknown[]) => reply(...a) },
  tokenStore: { get: () => null, set: () => undefined },
}));
const { useConversationsStore } = await import('./conversations');

const conv = (updatedAt: string, over: Partial<ConversationSummary> = {}): ConversationSummary => ({
  id: 'c1', channel: 'webchat', status: 'queued', queue: 'general', priority: 0, assignee: null,
  customer: { id: 'u1', name: 'A', tier: 'vip' }, lastMessageAt: updatedAt, lastMessagePreview: '', unreadCount: 1,
  tags: [], createdAt: '2024-01-01T09:00:00Z', updatedAt, ...over,
});
const stored = (clientId: string): Message => ({
  id: 'm1', conversationId: 'c1', direction: 'out', channel: 'webchat', author: { type: 'agent' }, text: 'hi',
  attachments: [], clientId, status: 'sent', createdAt: '2024-01-01T10:00:00Z', updatedAt: '2024-01-01T10:00:00Z',
});

describe('conversations store', () => {
  beforeEach(() => { setActivePinia(createPinia()); reply.mockReset(); });

  it('drops a conversation.updated older than the one it holds', () => {
    const s = useConversationsStore();
    s.applyConversation(conv('2024-01-01T10:00:02Z', { status: 'resolved' }));
    expect(s.applyConversation(conv('2024-01-01T10:00:01Z', { status: 'assigned' }))).toBe(false);
    expect(s.byId.c1.status).toBe('resolved');
  });

  it('shows a pending reply, then one stored bubble whether the echo or the ack lands first', async () => {
    const s = useConversationsStore();
    s.applyConversation(conv('2024-01-01T10:00:00Z'));
    s.messages.c1 = [];
    let resolveAck!: (v: { message: Message }) => void;
    reply.mockReturnValue(new Promise((r) => { resolveAck = r; }));
    const sending = s.send('c1', 'hi', 'k1');
    expect(s.messages.c1).toHaveLength(1);
    expect((s.messages.c1[0] as { pending?: boolean }).pending).toBe(true);
    // the socket echo arrives before the HTTP answer
    s.onMessageCreated({ message: stored('k1'), conversation: conv('2024-01-01T10:00:01Z'), updatedAt: '2024-01-01T10:00:01Z' });
    resolveAck({ message: stored('k1') });
    await sending;
    expect(s.messages.c1.map((m) => m.id)).toEqual(['m1']);
    expect(reply).toHaveBeenCalledWith('c1', 'hi', 'k1', {});
  });

  it('marks a failed reply and retries it with the same clientId', async () => {
    const s = useConversationsStore();
    s.messages.c1 = [];
    reply.mockRejectedValueOnce(new Error('offline'));
    await s.send('c1', 'hi', 'k2');
    expect((s.messages.c1[0] as { error?: string }).error).toBe('offline');
    reply.mockResolvedValueOnce({ message: stored('k2') });
    s.retry('c1', s.messages.c1[0]);
    await vi.waitFor(() => expect(s.messages.c1.map((m) => m.id)).toEqual(['m1']));
    expect(reply).toHaveBeenLastCalledWith('c1', 'hi', 'k2', { cc: [], bcc: [] });
  });
});

describe('conversations store: read receipts, unsent replies (issue 23 bugs 9, 12)', () => {
  beforeEach(() => { setActivePinia(createPinia()); reply.mockReset(); });

  it('keeps a reply "read" when its stored copy, stamped before the receipt, lands after it', async () => {
    const s = useConversationsStore();
    s.applyConversation(conv('2024-01-01T10:00:00Z'));
    s.messages.c1 = [];
    let resolveAck!: (v: { message: Message }) => void;
    reply.mockReturnValue(new Promise((r) => { resolveAck = r; }));
    const sending = s.send('c1', 'hi', 'k1');
    // the echo lands, the customer reads it, then the POST answer (same stamp, status sent) arrives
    s.onMessageCreated({ message: stored('k1'), conversation: conv('2024-01-01T10:00:01Z'), updatedAt: '2024-01-01T10:00:01Z' });
    s.onCustomerRead('c1', 'm1');
    expect(s.messages.c1[0].status).toBe('read');
    resolveAck({ message: stored('k1') });
    await sending;
    expect(s.messages.c1.map((m) => [m.id, m.status])).toEqual([['m1', 'read']]);
  });

  it('applies a receipt that arrives before the message it names', async () => {
    const s = useConversationsStore();
    s.messages.c1 = [];
    s.onCustomerRead('c1', 'm1');
    s.onMessageCreated({ message: stored('k1'), conversation: conv('2024-01-01T10:00:01Z'), updatedAt: '2024-01-01T10:00:01Z' });
    expect(s.messages.c1[0].status).toBe('read');
  });

  it('keeps a reply written while the hub is unreachable and sends it on reconnect; a refusal is shown with its reason', async () => {
    const s = useConversationsStore();
    s.messages.c1 = [];
    reply.mockRejectedValueOnce(Object.assign(new Error('Failed to fetch'), { status: 0, code: 'network_error' }));
    await s.send('c1', 'hi', 'k3');
    const w = s.messages.c1[0] as { pending?: boolean; waiting?: boolean; error?: string };
    expect([w.pending, w.waiting, w.error]).toEqual([true, true, undefined]);
    reply.mockResolvedValueOnce({ message: stored('k3') });
    await s.flushUnsent();
    expect(s.messages.c1.map((m) => m.id)).toEqual(['m1']);
    expect(reply).toHaveBeenLastCalledWith('c1', 'hi', 'k3', {});
    // a refusal (assigned to someone else) is not resent, and says why
    reply.mockRejectedValueOnce(Object.assign(new Error('conversation is assigned to Wang'), { status: 409, code: 'not_assignee' }));
    await s.send('c1', 'again', 'k4');
    const f = s.messages.c1.find((m) => m.clientId === 'k4') as { error?: string; retryable?: boolean };
    expect([f.error, f.retryable]).toEqual(['conversation is assigned to Wang', false]);
    reply.mockClear();
    await s.flushUnsent();
    expect(reply).not.toHaveBeenCalled();
  });
});
