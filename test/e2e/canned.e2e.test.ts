/**
 * Canned replies in Debian Chromium against a real hub (issue 23): a supervisor adds a shared reply on
 * the Replies page, an agent adds a personal one and cannot change the shared one; in a chat the agent
 * types "/", narrows the list by typing, picks with the keyboard, and the reply is inserted in the
 * customer's language with the variables filled in, then sent once. A visitor is played by a
 * socket.io client (test/helpers/widget.ts), so the console is what is under test.
 *
 * Steps run in order and share state. Screenshots (1366×768, 375×667) go to test-results/e2e/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { WidgetPeer } from '../helpers/widget.js';

const T = 15_000;
const shots = process.env.CANNED_SHOTS_DIR ?? screenshotDir('e2e');
mkdirSync(shots, { recursive: true });

let h: TestHub;
let b: TestBrowser | undefined;
let p: Page;
let peer: WidgetPeer | undefined;
let convId = '';
const shot = (name: string) => p.screenshot({ path: join(shots, `canned-${name}.png`) });

const login = (user: string) => consoleLogin(p, h.url, user, { until: 'user', timeout: T });
async function addReply(o: { scope?: 'shared' | 'personal'; shortcut: string; title: string; zh?: string; en?: string }) {
  await p.getByTestId('canned-new').click();
  await p.getByTestId('canned-dialog').waitFor({ timeout: T });
  if (o.scope) await p.getByTestId('canned-scope').selectOption(o.scope);
  await p.getByTestId('canned-shortcut').fill(o.shortcut);
  await p.getByTestId('canned-title').fill(o.title);
  if (o.zh) await p.getByTestId('canned-text-zh').fill(o.zh);
  if (o.en) await p.getByTestId('canned-text-en').fill(o.en);
  await p.getByTestId('admin-save').click();
}
const row = (shortcut: string) => p.locator(`[data-testid=canned-row][data-shortcut="${shortcut}"]`);

describe('canned replies in the console', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
    h = await startTestHub({ name: 'e2e_canned' });
    b = await launchBrowser({ name: 'canned', locale: 'en-US', viewport: { width: 1366, height: 768 } });
    p = b.page;
  });
  afterAll(async () => {
    peer?.close();
    await b?.close();
    await h?.close();
  });

  it('1. a supervisor adds a shared reply in Chinese and English; a taken shortcut is refused in the dialog', async () => {
    await login('super1');
    await p.getByTestId('locale-switch').selectOption('en');
    await p.getByTestId('nav-canned').click();
    await p.getByTestId('canned-view').waitFor({ timeout: T });
    await addReply({ scope: 'shared', shortcut: 'card-lost', title: 'Lost card', zh: '{{customer.name}}您好，我是{{agent.name}}。请拨打95588挂失您的卡。', en: 'Hello {{customer.name}}, this is {{agent.name}}. Call 95588 to report your card lost.' });
    await row('card-lost').waitFor({ timeout: T });
    expect(await row('card-lost').getAttribute('data-scope')).toBe('shared');
    await addReply({ scope: 'shared', shortcut: 'card-lost', title: 'Again', en: 'x' });
    await expect.poll(() => p.getByTestId('admin-form-error').textContent(), { timeout: T }).toContain('already used');
    await p.getByTestId('admin-cancel').click();
    await addReply({ scope: 'shared', shortcut: 'hours', title: 'Opening hours', en: 'Our card service line is open 24 hours.' });
    await row('hours').waitFor({ timeout: T });
    await shot('page-supervisor-1366');
    const stored = await h.hub.m.CannedReply.find({ owner: 'shared' }).lean();
    expect(stored.map((r) => r.shortcut).sort()).toEqual(['card-lost', 'hours']);
  });

  it('2. an agent adds a personal reply and sees the shared ones without Edit or Delete', async () => {
    await p.getByTestId('logout').click();
    await login('agent1');
    await p.getByTestId('nav-canned').click();
    await row('card-lost').waitFor({ timeout: T });
    expect(await row('card-lost').getByTestId('canned-edit').count()).toBe(0);
    expect(await p.getByTestId('canned-scope').count()).toBe(0);
    await addReply({ shortcut: 'thanks', title: 'Thanks', en: 'Thank you, {{customer.name}}!' });
    await row('thanks').waitFor({ timeout: T });
    expect(await row('thanks').getAttribute('data-scope')).toBe('personal');
    expect(await row('thanks').getByTestId('canned-edit').count()).toBe(1);
    await p.setViewportSize({ width: 375, height: 667 });
    await shot('page-agent-375');
    await p.setViewportSize({ width: 1366, height: 768 });
  });

  it('3. "/" in the reply box lists the replies; typing narrows; ↓ and Enter insert the Chinese variant with the names filled in', async () => {
    await p.getByTestId('nav-inbox').click();
    await p.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    const sess = await api(h.url, '/api/webchat/session', { body: { name: '陈静', locale: 'zh' } });
    peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
    convId = (await peer.send('client-canned-1', '我的卡丢了')).conversationId;
    await p.locator(`[data-testid=conv-item][data-conv-id="${convId}"]`).click();
    const box = p.getByTestId('reply-box');
    await box.waitFor({ timeout: T });
    await box.click();
    await p.keyboard.type('/');
    await p.getByTestId('canned-picker').waitFor({ timeout: T });
    expect(await p.getByTestId('canned-option').count()).toBe(3);
    await p.keyboard.type('card');
    // card-lost by its shortcut, hours by its text ("card service")
    await expect.poll(() => p.getByTestId('canned-option').evaluateAll((els) => els.map((e) => e.getAttribute('data-shortcut')))).toEqual(['card-lost', 'hours']);
    await p.keyboard.press('ArrowDown');
    expect(await p.locator('[data-testid=canned-option][aria-selected=true]').getAttribute('data-shortcut')).toBe('hours');
    await p.keyboard.press('ArrowUp');
    await shot('picker-1366');
    await p.keyboard.press('Enter');
    await p.getByTestId('canned-picker').waitFor({ state: 'detached', timeout: T });
    // The visitor chose Chinese: the zh variant, with the customer's and the agent's names.
    expect(await box.inputValue()).toBe('陈静您好，我是李娜 Li Na。请拨打95588挂失您的卡。');
    // Enter now sends (the list is closed); the customer gets the filled-in text once.
    await p.keyboard.press('Enter');
    await expect.poll(() => peer!.inbox.filter((m) => m.text.startsWith('陈静您好')).length, { timeout: T }).toBe(1);
    expect(await h.hub.m.Message.countDocuments({ conversationId: convId, text: /\{\{/ })).toBe(0);
  });

  it('4. mid-sentence "/" works too; Esc closes the list and keeps the conversation open', async () => {
    const box = p.getByTestId('reply-box');
    await box.click();
    await p.keyboard.type('Noted. /than');
    await expect.poll(() => p.getByTestId('canned-option').evaluateAll((els) => els.map((e) => e.getAttribute('data-shortcut')))).toEqual(['thanks']);
    await p.keyboard.press('Escape');
    await p.getByTestId('canned-picker').waitFor({ state: 'detached', timeout: T });
    expect(await p.getByTestId('conversation').getAttribute('data-conv-id')).toBe(convId);
    expect(await box.inputValue()).toBe('Noted. /than');
    // Typing again reopens it; Tab inserts (English only: the Chinese customer gets the variant there is).
    await p.keyboard.type('k');
    await p.getByTestId('canned-picker').waitFor({ timeout: T });
    await p.keyboard.press('Tab');
    expect(await box.inputValue()).toBe('Noted. Thank you, 陈静!');
    await box.fill('');
  });

  it('5. in Chinese', async () => {
    await p.getByTestId('locale-switch').selectOption('zh');
    await p.getByTestId('reply-box').click();
    await p.keyboard.type('/zz');
    await p.getByTestId('canned-empty').waitFor({ timeout: T });
    expect(await p.getByTestId('canned-picker').textContent()).toContain('没有匹配的回复');
    await shot('picker-empty-zh');
    await p.keyboard.press('Escape');
    // the one refusal asked for in step 1 (a taken shortcut) and nothing else
    expect(b!.errors.filter((e) => !e.includes('409'))).toEqual([]);
  });
});
