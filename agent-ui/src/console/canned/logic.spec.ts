import { describe, expect, it } from 'vitest';
import { fillVariables, matchCanned, pickText, replyLang, slashQuery } from './logic';
import type { CannedReply } from '../../types';

const r = (shortcut: string, title: string, texts: CannedReply['texts'], scope: CannedReply['scope'] = 'shared'): CannedReply => ({ id: shortcut, scope, shortcut, title, texts, updatedAt: '' });
const vars = { customer: { name: '王芳', tier: 'vip' }, agent: { name: 'Li Na' } };

describe('canned replies', () => {
  it('fills the known variables, keeps unknown ones visible', () => {
    expect(fillVariables('Hello {{customer.name}}, I am {{ agent.name }} ({{customer.tier}})', vars)).toBe('Hello 王芳, I am Li Na (vip)');
    expect(fillVariables('Your {{card.number}} and {{customer.phone}}', vars)).toBe('Your {{card.number}} and {{customer.phone}}');
  });
  it('the customer language picks the variant, else the console language; a missing variant falls back', () => {
    expect(replyLang('zh-CN', 'en')).toBe('zh');
    expect(replyLang('en', 'zh')).toBe('en');
    expect(replyLang(undefined, 'zh')).toBe('zh');
    expect(replyLang('fr', 'en')).toBe('en');
    expect(pickText(r('a', 'A', { en: 'Hi', zh: '你好' }), 'zh')).toBe('你好');
    expect(pickText(r('a', 'A', { en: 'Hi' }), 'zh')).toBe('Hi');
  });
  it('"/query" counts only at the start or after a space, right before the caret', () => {
    expect(slashQuery('/')).toBe('');
    expect(slashQuery('/card')).toBe('card');
    expect(slashQuery('Thanks. /card')).toBe('card');
    expect(slashQuery('see https://bank.example/card')).toBeNull();
    expect(slashQuery('/card lost')).toBeNull();
    expect(slashQuery('and/or')).toBeNull();
  });
  it('shortcut prefix first, then title or text containing the query', () => {
    const items = [r('greet', 'Greeting', { en: 'Hello' }), r('card-lost', 'Lost card', { zh: '请挂失' }), r('hours', 'Opening hours', { en: 'We are open for card services' })];
    expect(matchCanned(items, 'card', 'en').map((x) => x.shortcut)).toEqual(['card-lost', 'hours']);
    expect(matchCanned(items, '挂失', 'zh').map((x) => x.shortcut)).toEqual(['card-lost']);
    expect(matchCanned(items, '', 'en').length).toBe(3);
  });
});
