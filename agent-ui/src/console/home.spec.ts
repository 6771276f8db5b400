import { describe, expect, it } from 'vitest';
import { hasInbox, homeFor } from './home';

describe('role homes (issue 23 bug 6)', () => {
  it('sends each role to its own page, marketing never to the inbox', () => {
    expect(['agent', 'supervisor', 'admin', 'marketing'].map((r) => homeFor(r as never))).toEqual(['inbox', 'supervisor', 'admin', 'marketing']);
    expect(hasInbox('marketing')).toBe(false);
    expect(hasInbox('agent')).toBe(true);
  });
});
