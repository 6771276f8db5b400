import { describe, it, expect, beforeEach, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { AgentView, ConversationSummary } from '../../types';

const acdMe = vi.fn();
const acceptOffer = vi.fn();
vi.mock('../api', async () => {
  const { ApiError } = await vi.importActual<typeof import('../api')>('../api');
  return {
    ApiError,
    api: { acdMe: () => acdMe(), acceptOffer: (id: string) => acceptOffer(id) },
    tokenStore: { get: () => null, set: () => undefined },
  };
});
const { useAcdStore } = await import('./acd');
const { ApiError } = await import('../api');

const iso = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const agent = (over: Partial<AgentView>): AgentView => ({
  id: 'me', name: 'Me', state: 'available', display: 'available', since: iso(0), load: {}, capacity: {}, updatedAt: iso(0), ...over,
});
const conv = (id: string): ConversationSummary => ({
  id, channel: 'voice', status: 'queued', queue: 'general', priority: 0, assignee: null, customer: { id: 'u', name: 'Caller ' + id, tier: 'vip' },
  lastMessageAt: iso(0), lastMessagePreview: '', unreadCount: 0, tags: [], createdAt: iso(0), updatedAt: iso(0),
});

describe('acd store', () => {
  beforeEach(() => { setActivePinia(createPinia()); acdMe.mockReset(); acceptOffer.mockReset(); });

  it('drops an agent.state older than the state it holds', () => {
    const s = useAcdStore();
    s.onAgentState({ agent: agent({ state: 'notready', display: 'notready', reason: 'break', since: iso(2) }), updatedAt: iso(2) });
    s.onAgentState({ agent: agent({ state: 'available', since: iso(1) }), updatedAt: iso(1) });
    expect(s.me?.state).toBe('notready');
    s.onAgentState({ agent: agent({ state: 'available', since: iso(3) }), updatedAt: iso(3) });
    expect(s.me?.state).toBe('available');
  });

  it('a restore answer read before the change does not undo the change it raced', async () => {
    const s = useAcdStore();
    acdMe.mockResolvedValue({ agent: agent({ state: 'offline', display: 'offline', since: iso(-60), updatedAt: iso(1) }), offers: [] });
    const p = s.restore();
    s.onAgentState({ agent: agent({ state: 'available', since: iso(0) }), updatedAt: iso(0) });
    await p;
    expect(s.me?.state).toBe('available');
  });

  it('shows an offer until withdrawn; RONA raises the notice with the missed contact', () => {
    const s = useAcdStore();
    s.onAgentState({ agent: agent({}), updatedAt: iso(0) });
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(20), updatedAt: iso(0) });
    expect(s.offers.map((o) => o.conversation.id)).toEqual(['c1']);
    s.onOfferWithdrawn({ conversationId: 'c1', reason: 'rona' });
    s.onAgentState({ agent: agent({ state: 'notready', display: 'notready', reason: 'rona' }), updatedAt: iso(1) });
    expect(s.offers).toEqual([]);
    expect(s.ronaActive).toBe(true);
    expect(s.missed).toEqual({ name: 'Caller c1', channel: 'voice' });
    s.onAgentState({ agent: agent({ state: 'available' }), updatedAt: iso(2) });
    expect(s.ronaActive).toBe(false);
    expect(s.missed).toBeNull();
  });

  it('names the missed contact even when its card already hid at the deadline', () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(1), updatedAt: iso(0) });
    s.prune(Date.now() + 1500);
    s.onOfferWithdrawn({ conversationId: 'c1', reason: 'rona' });
    expect(s.missed?.name).toBe('Caller c1');
  });

  it('names the missed contact when agent.state (not ready) beat offer.withdrawn', () => {
    const s = useAcdStore();
    s.onAgentState({ agent: agent({ since: iso(0) }), updatedAt: iso(0) });
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(20), updatedAt: iso(0) });
    s.onAgentState({ agent: agent({ state: 'notready', display: 'notready', reason: 'rona', since: iso(20) }), updatedAt: iso(20) });
    expect(s.offers).toEqual([]);
    s.onOfferWithdrawn({ conversationId: 'c1', reason: 'rona' });
    expect(s.missed?.name).toBe('Caller c1');
    expect(s.ronaActive).toBe(true);
  });

  it('a rejected withdrawal just removes the card', () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(20), updatedAt: iso(0) });
    s.onOfferWithdrawn({ conversationId: 'c1', reason: 'rejected' });
    expect(s.offers).toEqual([]);
    expect(s.missed).toBeNull();
  });

  it('going not ready or offline clears ringing offers (a forced logout sends no offer.withdrawn)', () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(20), updatedAt: iso(0) });
    s.onAgentState({ agent: agent({ state: 'offline', display: 'offline' }), updatedAt: iso(1) });
    expect(s.offers).toEqual([]);
  });

  it('prunes offers whose deadline passed', () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(5), updatedAt: iso(0) });
    s.onOfferCreated({ conversation: conv('c2'), deadline: iso(20), updatedAt: iso(0) });
    s.prune(Date.now() + 6000); // kept a little past the deadline for offer.withdrawn to name it
    expect(s.offers.map((o) => o.conversation.id)).toEqual(['c1', 'c2']);
    s.prune(Date.now() + 16_000);
    expect(s.offers.map((o) => o.conversation.id)).toEqual(['c2']);
  });

  it('restore takes the hub’s state and offers, keeping an offer that rang while it asked', async () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('gone'), deadline: iso(20), updatedAt: iso(0) }); // withdrawn while we were offline
    let answer!: (v: unknown) => void;
    acdMe.mockReturnValue(new Promise((r) => { answer = r; }));
    const p = s.restore();
    await new Promise((r) => setTimeout(r, 5));
    s.onOfferCreated({ conversation: conv('new'), deadline: iso(20), updatedAt: iso(0) });
    answer({ agent: agent({ state: 'wrapup', display: 'wrapup', wrapUntil: iso(30) }), offers: [{ conversation: conv('kept'), deadline: iso(15) }] });
    await p;
    expect(s.me?.state).toBe('wrapup');
    expect(s.offers.map((o) => o.conversation.id)).toEqual(['kept', 'new']);
  });

  it('accepting a withdrawn offer removes the card and reports invalid_state', async () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(20), updatedAt: iso(0) });
    acceptOffer.mockRejectedValue(new ApiError(409, 'invalid_state', 'no such offer'));
    expect(await s.accept('c1')).toBeNull();
    expect(s.offers).toEqual([]);
    expect(s.error).toBe('invalid_state');
  });

  it('over capacity keeps the card with its error', async () => {
    const s = useAcdStore();
    s.onOfferCreated({ conversation: conv('c1'), deadline: iso(20), updatedAt: iso(0) });
    acceptOffer.mockRejectedValue(new ApiError(409, 'over_capacity', 'no room'));
    await s.accept('c1');
    expect(s.offers).toHaveLength(1);
    expect(s.offerError.c1).toBe('over_capacity');
    expect(s.offerBusy.c1).toBeUndefined();
  });
});
