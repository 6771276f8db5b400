/**
 * Tags and snooze in the console (issue 23), in Debian Chromium against a real hub. A visitor is played
 * by a socket.io client (test/helpers/widget.ts). The agent tags a chat from the keyboard, filters the
 * inbox by a tag, snoozes the chat (it leaves the Active list for Snoozed) and sees it come back on its
 * own when the customer writes; a snooze until tomorrow 09:00 is woken early with Unsnooze.
 *
 * Steps run in order and share state. Screenshots go to test-results/e2e/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { login as consoleLogin } from '../helpers/console-login.js';
import { WidgetPeer } from '../helpers/widget.js';

const T = 15_000;
const shots = process.env.TAGS_SHOTS_DIR ?? screenshotDir('e2e');
mkdirSync(shots, { recursive: true });

let h: TestHub;
let b: TestBrowser | undefined;
let p: Page;
const peers: WidgetPeer[] = [];
let conv = '';
let other = '';
const shot = (name: string) => p.screenshot({ path: join(shots, `tags-snooze-${name}.png`) });
const item = (id: string) => p.locator(`[data-testid=conv-item][data-conv-id="${id}"]`);
const dbTags = async () => (await h.hub.m.Conversation.findById(conv).lean())!.tags;

async function chat(name: string, text: string): Promise<[WidgetPeer, string]> {
  const sess = await api(h.url, '/api/webchat/session', { body: { name, locale: 'zh' } });
  const peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
  peers.push(peer);
  return [peer, (await peer.send(`c-${Date.now()}-${peers.length}`, text)).conversationId];
}

describe('tags and snooze in the console', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
    h = await startTestHub({ name: 'e2e_tags_snooze' });
    b = await launchBrowser({ name: 'tags', locale: 'en-US', viewport: { width: 1366, height: 768 } });
    p = b.page;
  });
  afterAll(async () => {
    for (const x of peers) x.close();
    await b?.close();
    await h?.close();
  });

  it('1. the agent tags a chat from the keyboard and removes a tag; the list shows the tags', async () => {
    await consoleLogin(p, h.url, 'agent1', { until: 'submitted' });
    await p.getByTestId('locale-switch').selectOption('en');
    await p.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    [, conv] = await chat('周敏', '我被多扣了一笔年费');
    [, other] = await chat('吴刚', '你好');
    await item(conv).click();
    const input = p.getByTestId('tag-input');
    await input.waitFor({ timeout: T });
    await input.fill('Complaint');
    await input.press('Enter');
    await p.locator('[data-testid=tag-chip][data-tag=complaint]').waitFor({ timeout: T });
    await input.fill('年费');
    await input.press('Enter');
    await p.locator('[data-testid=tag-chip][data-tag="年费"]').waitFor({ timeout: T });
    expect(await dbTags()).toEqual(['complaint', '年费']);
    await p.locator('[data-testid=tag-chip][data-tag=complaint]').getByTestId('tag-remove').click();
    await p.locator('[data-testid=tag-chip][data-tag=complaint]').waitFor({ state: 'detached', timeout: T });
    expect(await dbTags()).toEqual(['年费']);
    await expect.poll(() => item(conv).getByTestId('conv-tag').allTextContents(), { timeout: T }).toEqual(['#年费']);
    // A malformed tag is refused with a reason and changes nothing.
    await input.fill('<b>');
    await input.press('Enter');
    await p.getByTestId('tag-error').waitFor({ timeout: T });
    expect(await dbTags()).toEqual(['年费']);
    await input.fill('');
    await shot('tagged-1366');
  });

  it('2. the inbox filters by a tag (typed, or a click on a chip) and the filter clears', async () => {
    await p.getByTestId('filter-tag-input').fill('年费');
    await p.getByTestId('filter-tag-input').press('Enter');
    await p.locator('[data-testid=filter-tag][data-tag="年费"]').waitFor({ timeout: T });
    await expect.poll(() => p.getByTestId('conv-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-conv-id'))), { timeout: T }).toEqual([conv]);
    await p.getByTestId('filter-tag-clear').click();
    await item(other).waitFor({ timeout: T });
    await p.locator('[data-testid=tag-chip][data-tag="年费"]').getByTestId('tag-filter').click();
    await expect.poll(() => p.getByTestId('conv-item').count(), { timeout: T }).toBe(1);
    await p.getByTestId('filter-tag-clear').click();
    await item(other).waitFor({ timeout: T });
  });

  it('3. snoozed for an hour it leaves Active for Snoozed, and comes back on its own when the customer writes', async () => {
    await p.getByTestId('snooze').click();
    await p.getByTestId('snooze-1h').click();
    await p.getByTestId('snoozed').waitFor({ timeout: T });
    const until = Date.parse((await p.getByTestId('snoozed').getAttribute('data-until'))!);
    expect(Math.abs(until - Date.now() - 3600_000)).toBeLessThan(60_000);
    await item(conv).waitFor({ state: 'detached', timeout: T });
    await p.getByTestId('filter-status').selectOption('snoozed');
    await item(conv).getByTestId('conv-snoozed').waitFor({ timeout: T });
    expect(await item(other).count()).toBe(0);
    await shot('snoozed-1366');
    await p.getByTestId('filter-status').selectOption('');
    await item(other).waitFor({ timeout: T });
    expect(await item(conv).count()).toBe(0);
    // The customer writes: it is back in Active within the sweep, without a reload.
    await peers[0]!.send(`c-back-${Date.now()}`, '还在吗？');
    await item(conv).waitFor({ timeout: T });
    await p.getByTestId('snoozed').waitFor({ state: 'detached', timeout: T });
    expect((await h.hub.m.Conversation.findById(conv).lean())!.snoozedUntil ?? null).toBeNull();
  });

  it('3b. search finds the chat by the customer\'s name and by words of a message; Esc clears', async () => {
    await p.getByTestId('search-input').fill('周敏');
    await p.getByTestId('search-input').press('Enter');
    const results = p.getByTestId('search-results');
    await expect.poll(() => results.getByTestId('conv-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-conv-id'))), { timeout: T }).toEqual([conv]);
    await p.getByTestId('search-input').fill('年费');
    await p.getByTestId('search-input').press('Enter');
    await expect.poll(() => results.getByTestId('conv-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-conv-id'))), { timeout: T }).toEqual([conv]);
    await p.getByTestId('search-input').fill('没有这样的内容');
    await p.getByTestId('search-input').press('Enter');
    await expect.poll(() => results.getByTestId('conv-item').count(), { timeout: T }).toBe(0);
    await shot('search-1366');
    await p.getByTestId('search-input').press('Escape');
    await results.waitFor({ state: 'detached', timeout: T });
  });

  it('4. snoozed until tomorrow 09:00 from the keyboard, then woken early with Unsnooze', async () => {
    await p.getByTestId('snooze').focus();
    await p.keyboard.press('Enter');
    await p.getByTestId('snooze-1h').waitFor({ timeout: T });
    await p.keyboard.press('ArrowDown');
    await p.keyboard.press('ArrowDown');
    expect(await p.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('snooze-tomorrow');
    await p.keyboard.press('Enter');
    await p.getByTestId('snoozed').waitFor({ timeout: T });
    const until = new Date((await p.getByTestId('snoozed').getAttribute('data-until'))!);
    const expected = await p.evaluate(() => { const d = new Date(); d.setDate(d.getDate() + 1); d.setHours(9, 0, 0, 0); return d.toISOString(); });
    expect(until.toISOString()).toBe(expected);
    await p.getByTestId('locale-switch').selectOption('zh');
    await expect.poll(() => p.getByTestId('snoozed').textContent(), { timeout: T }).toContain('稍后处理至');
    await shot('snoozed-zh-1366');
    await p.setViewportSize({ width: 375, height: 667 });
    // On a phone one column shows: the open conversation (no list, no customer panel), Sign out on screen.
    await expect.poll(() => p.getByTestId('conv-list').isVisible(), { timeout: T }).toBe(false);
    expect(await p.getByTestId('customer-panel').isVisible()).toBe(false);
    const out = (await p.getByTestId('logout').boundingBox())!;
    expect(out.x + out.width).toBeLessThanOrEqual(375);
    await shot('snoozed-zh-375');
    await p.setViewportSize({ width: 1366, height: 768 });
    await p.getByTestId('unsnooze').click();
    await p.getByTestId('snooze').waitFor({ timeout: T });
    expect((await h.hub.m.Conversation.findById(conv).lean())!.snoozedUntil ?? null).toBeNull();
    expect(await h.hub.m.Audit.countDocuments({ action: { $in: ['conversation.snooze', 'conversation.unsnooze', 'conversation.tags'] } })).toBe(6);
    // The one refusal asked for in step 1 (a malformed tag), nothing else.
    expect(b!.errors.filter((e) => !e.includes('http 400') && !e.includes('status of 400'))).toEqual([]);
  });
});
