import { describe, it, expect } from 'vitest';
import { Outbox } from './outbox';
import { memoryKV } from './storage';

const item = (clientId: string) => ({ clientId, text: `t-${clientId}`, attachments: [], createdAt: '2024-01-01T00:00:00Z' });

describe('Outbox', () => {
  it('survives a reload (same storage) in send order', () => {
    const kv = memoryKV();
    const a = new Outbox(kv);
    a.add(item('1'));
    a.add(item('2'));
    expect(new Outbox(kv).list().map((i) => i.clientId)).toEqual(['1', '2']);
  });
  it('never holds a clientId twice and forgets acked items', () => {
    const kv = memoryKV();
    const o = new Outbox(kv);
    o.add(item('1'));
    o.add(item('1'));
    expect(o.list()).toHaveLength(1);
    o.remove('1');
    expect(new Outbox(kv).list()).toEqual([]);
    expect(kv.get('cchub.webchat.outbox')).toBeNull();
  });
  it('ignores corrupt storage', () => {
    const kv = memoryKV();
    kv.set('cchub.webchat.outbox', '{not json');
    expect(new Outbox(kv).list()).toEqual([]);
  });
});
