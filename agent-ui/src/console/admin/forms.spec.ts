import { describe, expect, it } from 'vitest';
import {
  capacityFromForm, capacityToForm, duplicateSkills, filterUsers, inheritedCapacity, num, skillsFromRows, skillsToRows, teamBody, teamToForm,
  userCreateBody, userPatchBody, userToForm,
} from './forms';
import type { AdminUser } from '../../types';

const user = (over: Partial<AdminUser> = {}): AdminUser => ({
  id: 'u1', username: 'li.na', name: 'Li Na', role: 'agent', active: true, queues: ['general', 'cards'], skills: { cards: 7, 'lang:zh': 9 },
  capacity: { email: 2 }, team: 'cards-team', locale: 'zh', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', ...over,
});

describe('numbers typed into a form', () => {
  it('empty is "not given"; anything else is sent as typed', () => {
    expect(num('')).toBeUndefined();
    expect(num('  ')).toBeUndefined();
    expect(num(undefined)).toBeUndefined();
    expect(num(' 4 ')).toBe(4);
    expect(num('0')).toBe(0);
    expect(num('2.5')).toBe(2.5);
    expect(num('abc')).toBeNaN();
    expect(num(7)).toBe(7);
    expect(num(0)).toBe(0);
  });
});

describe('capacity per channel', () => {
  it('empty inputs mean inherit and are left out; zero is kept', () => {
    const f = capacityToForm({ webchat: 4, voice: 0 });
    expect(f).toEqual({ webchat: '4', email: '', sms: '', voice: '0', fax: '' });
    expect(capacityFromForm(f)).toEqual({ webchat: 4, voice: 0 });
    expect(capacityFromForm({ ...f, voice: '' })).toEqual({ webchat: 4 });
    // v-model on <input type=number> hands over numbers once typed
    expect(capacityFromForm({ ...f, email: 2, fax: 0 })).toEqual({ webchat: 4, voice: 0, email: 2, fax: 0 });
    expect(capacityToForm(undefined)).toEqual({ webchat: '', email: '', sms: '', voice: '', fax: '' });
  });
  it('inherited values: the team over the defaults; no team or an unknown one gives the defaults', () => {
    const defaults = { voice: 1, webchat: 3, email: 5, sms: 3, fax: 2 };
    const teams = [{ id: 'cards-team', name: 'Cards', capacity: { webchat: 5 } }];
    expect(inheritedCapacity('cards-team', teams, defaults)).toEqual({ voice: 1, webchat: 5, email: 5, sms: 3, fax: 2 });
    expect(inheritedCapacity(null, teams, defaults)).toEqual(defaults);
    expect(inheritedCapacity('gone', teams, defaults)).toEqual(defaults);
  });
});

describe('skills as rows', () => {
  it('round-trips, sorted by name; unnamed rows are dropped, names trimmed', () => {
    const rows = skillsToRows({ 'lang:zh': 9, cards: 7 });
    expect(rows).toEqual([{ name: 'cards', level: '7' }, { name: 'lang:zh', level: '9' }]);
    expect(skillsFromRows([...rows, { name: '  ', level: '3' }, { name: ' wealth ', level: '2' }])).toEqual({ cards: 7, 'lang:zh': 9, wealth: 2 });
  });
  it('finds names given twice', () => {
    expect(duplicateSkills([{ name: 'a', level: '1' }, { name: 'b', level: '1' }, { name: 'a ', level: '2' }, { name: '', level: '1' }, { name: '', level: '1' }])).toEqual(['a']);
  });
});

describe('user form', () => {
  it('a new user starts as an agent in general, in the given language', () => {
    expect(userToForm(null, 'en')).toMatchObject({ role: 'agent', queues: ['general'], team: '', locale: 'en', skills: [], password: '' });
  });
  it('create body: trimmed, no team as null, capacity only where set', () => {
    const f = { ...userToForm(null), username: ' new.agent ', name: ' New ', password: 'a-long-password-1', team: 'cards-team' };
    f.skills = [{ name: 'cards', level: '7' }];
    f.capacity.webchat = '2';
    expect(userCreateBody(f)).toEqual({
      username: 'new.agent', name: 'New', role: 'agent', password: 'a-long-password-1', queues: ['general'], skills: { cards: 7 },
      capacity: { webchat: 2 }, team: 'cards-team', locale: 'zh',
    });
    expect(userCreateBody({ ...f, team: '' }).team).toBeNull();
  });
  it('patch body: nothing when nothing changed (queue and skill order do not count)', () => {
    const u = user();
    const f = userToForm(u);
    f.queues = ['cards', 'general'];
    f.skills = [...f.skills].reverse();
    expect(userPatchBody(f, u)).toEqual({});
  });
  it('patch body: only the changed fields; a password only when typed; clearing the team sends null', () => {
    const u = user();
    const f = userToForm(u);
    f.name = 'Li Na 2';
    f.team = '';
    f.capacity.email = '';
    f.capacity.webchat = '1';
    f.skills = f.skills.filter((s) => s.name !== 'cards');
    f.password = 'new-password-123';
    expect(userPatchBody(f, u)).toEqual({ name: 'Li Na 2', team: null, capacity: { webchat: 1 }, skills: { 'lang:zh': 9 }, password: 'new-password-123' });
    const g = userToForm(u);
    g.role = 'supervisor';
    g.queues = ['general'];
    g.locale = 'en';
    expect(userPatchBody(g, u)).toEqual({ role: 'supervisor', queues: ['general'], locale: 'en' });
  });
});

describe('team form', () => {
  it('round-trips name and capacity', () => {
    const f = teamToForm({ id: 'cards-team', name: 'Cards team', capacity: { webchat: 5, email: 8 } });
    expect(f.capacity.webchat).toBe('5');
    expect(teamBody({ ...f, name: ' Cards ' })).toEqual({ name: 'Cards', capacity: { webchat: 5, email: 8 } });
    expect(teamToForm(null)).toMatchObject({ id: '', name: '' });
  });
});

describe('users filter', () => {
  const users = [user(), user({ id: 'u2', username: 'chan', name: 'Chan Tai Man', team: null, queues: ['wealth'], role: 'supervisor' })];
  it('matches every word against username, name, role, team and queues, ignoring case', () => {
    expect(filterUsers(users, '')).toHaveLength(2);
    expect(filterUsers(users, 'CHAN').map((u) => u.id)).toEqual(['u2']);
    expect(filterUsers(users, 'cards-team').map((u) => u.id)).toEqual(['u1']);
    expect(filterUsers(users, 'wealth supervisor').map((u) => u.id)).toEqual(['u2']);
    expect(filterUsers(users, 'wealth agent')).toEqual([]);
    expect(filterUsers(users, '信用卡', (u) => (u.queues.includes('cards') ? '信用卡' : '')).map((u) => u.id)).toEqual(['u1']);
  });
});
