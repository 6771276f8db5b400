/**
 * After a web chat ends, in Debian Chromium against a real hub: the pre-chat form carries the privacy /
 * consent line (the bank's own text from the script's data-consent, else the default); once the agent
 * resolves the chat the widget offers a 1-5 star rating with a comment, stored on the conversation and
 * shown in the agent console; the transcript-by-e-mail part says clearly that e-mail is not available
 * on a hub without an e-mail connector; a divider separates the closed chat from the next one.
 * At 1366×768 in English and at 375×667 (phone) in Chinese. Screenshots in test-results/e2e/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { Sockets } from '../helpers/sockets.js';

const T = 15_000;
const shots = screenshotDir('e2e');
mkdirSync(shots, { recursive: true });
let h: TestHub;
let desk: TestBrowser | undefined;
let phone: TestBrowser | undefined;
const sockets = new Sockets();
let bank: Server | undefined;
let agentToken = '';
let firstId = '';
const CONSENT = 'Example Bank keeps chats for 5 years (test consent line).';

const shot = (p: Page, name: string) => p.screenshot({ path: join(shots, `widget-csat-${name}.png`) });
const conversationOf = async (text: string) => {
  const m = await h.hub.m.Message.findOne({ text }).lean();
  return m ? String(m.conversationId) : '';
};
/** The agent answers and resolves the visitor's conversation (through the API, as the console does). */
async function answerAndResolve(id: string, reply: string) {
  expect((await api(h.url, `/api/conversations/${id}/messages`, { token: agentToken, body: { text: reply, clientId: `r-${id}` } })).status).toBe(201);
  expect((await api(h.url, `/api/conversations/${id}/resolve`, { token: agentToken, body: { wrapUpCode: 'resolved' } })).status).toBe(200);
}

describe('the widget after a chat: rating, transcript, consent line', () => {
  beforeAll(async () => {
    for (const f of ['dist/widget/widget.js', 'dist/console/index.html']) if (!existsSync(join(process.cwd(), f))) throw new Error(`${f} missing: run npm run build:ui`);
    h = await startTestHub({ name: 'e2e_widget_csat' });
    agentToken = await loginAs(h.url, 'agent1');
    // An agent with the console open: the widget offers chat.
    await sockets.connect(h.url, '/agent', agentToken);
    desk = await launchBrowser({ name: 'csat-desk', locale: 'en-US', viewport: { width: 1366, height: 768 } });
    phone = await launchBrowser({ name: 'csat-phone', locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  });
  afterAll(async () => {
    sockets.closeAll();
    await Promise.allSettled([desk?.close(), phone?.close()]);
    bank?.close();
    await h?.close();
  });

  it('1. the bank\'s consent line shows on the pre-chat form (data-consent)', async () => {
    const p = desk!.page;
    // The bank's own page on another origin (as on a real site), with its own consent text on the script tag.
    bank = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>Bank</title></head><body><main><h1>Bank</h1></main><script src="${h.url}/widget.js" data-locale="en" data-consent="${CONSENT}" async></script></body></html>`);
    });
    await new Promise<void>((r) => bank!.listen(0, '127.0.0.1', () => r()));
    await p.goto(`http://127.0.0.1:${(bank.address() as AddressInfo).port}/`);
    await p.getByTestId('launcher').click();
    await p.getByTestId('prechat-form').waitFor({ timeout: T });
    expect(await p.getByTestId('prechat-consent').textContent()).toBe(CONSENT);
    await shot(p, 'consent-1366');
  });

  it('2. after the agent resolves the chat the visitor rates it: stored on the conversation; the transcript says e-mail is not available here', async () => {
    const p = desk!.page;
    await p.getByTestId('prechat-name').fill('Rating Customer');
    await p.getByTestId('prechat-submit').click();
    await p.getByTestId('composer').fill('Please raise my card limit');
    await p.keyboard.press('Enter');
    await p.locator('[data-testid=message][data-direction=in][data-pending=false]').waitFor({ timeout: T });
    await expect.poll(() => conversationOf('Please raise my card limit'), { timeout: T }).not.toBe('');
    firstId = await conversationOf('Please raise my card limit');
    expect(await p.getByTestId('after-chat').count()).toBe(0);
    await answerAndResolve(firstId, 'Done: your limit is raised.');
    await p.getByTestId('csat').waitFor({ timeout: T });
    // submitting without a score is refused in the form
    await p.getByTestId('csat-submit').click();
    await p.getByTestId('csat-error').waitFor({ timeout: T });
    // keyboard: focus the first star, arrows move the choice (native radios)
    await p.locator('[data-testid=csat-star][data-score="1"]').focus();
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    expect(await p.locator('[data-testid=csat-star][data-score="4"]').isChecked()).toBe(true);
    await p.getByTestId('csat-comment').fill('Quick and friendly');
    await shot(p, 'rating-1366');
    await p.getByTestId('csat-submit').click();
    await p.getByTestId('csat-done').waitFor({ timeout: T });
    const stored = (await h.hub.m.Conversation.findById(firstId).lean()) as { csat?: { score: number; comment?: string } };
    expect(stored.csat).toMatchObject({ score: 4, comment: 'Quick and friendly' });
    // no e-mail connector on this hub: said plainly
    await p.getByTestId('transcript-email').fill('me@example.com');
    await p.getByTestId('transcript-send').click();
    await expect.poll(() => p.getByTestId('transcript-status').getAttribute('data-state'), { timeout: T }).toBe('error');
    expect(await p.getByTestId('transcript-status').textContent()).toContain('not available');
    await shot(p, 'rated-1366');
  });

  it('3. the agent console shows the customer\'s rating on the closed conversation', async () => {
    const c = await desk!.context.newPage();
    await c.setViewportSize({ width: 1366, height: 768 });
    await c.goto(`${h.url}/console/`);
    await c.getByTestId('login-username').fill('agent1');
    await c.getByTestId('login-password').fill('agent1pass');
    await c.getByTestId('login-submit').click();
    await c.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    await c.goto(`${h.url}/console/#/${firstId}`);
    const line = c.getByTestId('conv-csat');
    await line.waitFor({ timeout: T });
    expect(await line.getAttribute('data-score')).toBe('4');
    expect(await c.getByTestId('conv-csat-comment').textContent()).toContain('Quick and friendly');
    await c.screenshot({ path: join(shots, 'widget-csat-console-1366.png') });
    await c.close();
  });

  it('4. a new chat after the closed one starts below a divider; the rating card goes; the agent sees how long the customer has waited, until answered', async () => {
    const p = desk!.page;
    await p.getByTestId('composer').fill('One more question');
    await p.keyboard.press('Enter');
    await p.getByTestId('chat-divider').waitFor({ timeout: T });
    expect(await p.getByTestId('after-chat').count()).toBe(0);
    await shot(p, 'divider-1366');
    await expect.poll(() => conversationOf('One more question'), { timeout: T }).not.toBe('');
    const id = await conversationOf('One more question');
    expect(id).not.toBe(firstId);
    const c = await desk!.context.newPage();
    // Signed in already (step 3): the console first, then the conversation, as an agent clicks to it.
    await c.goto(`${h.url}/console/`);
    await c.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    await c.goto(`${h.url}/console/#/${id}`);
    const timer = c.getByTestId('response-timer');
    await timer.waitFor({ timeout: T });
    expect(await timer.getAttribute('data-level')).toMatch(/ok|warn|over/);
    expect(await timer.getAttribute('aria-label')).toContain('target 20 s');
    await c.screenshot({ path: join(shots, 'widget-csat-timer-1366.png') });
    // an internal note answers nobody; the agent's reply does
    expect((await api(h.url, `/api/conversations/${id}/notes`, { token: agentToken, body: { text: 'checking the limit', clientId: `n-${id}` } })).status).toBeLessThan(300);
    await c.locator('[data-testid=message][data-internal=true]').waitFor({ timeout: T });
    expect(await timer.count()).toBe(1);
    expect((await api(h.url, `/api/conversations/${id}/messages`, { token: agentToken, body: { text: 'Answering now', clientId: `a-${id}` } })).status).toBe(201);
    await timer.waitFor({ state: 'detached', timeout: T });
    await c.close();
  });

  it('5. on a phone in Chinese: the default consent line, then the rating card reachable and sent by touch', async () => {
    const p = phone!.page;
    await p.goto(`${h.url}/demo/`);
    await p.getByTestId('launcher').tap();
    await p.getByTestId('prechat-form').waitFor({ timeout: T });
    expect(await p.getByTestId('prechat-consent').textContent()).toContain('隐私政策');
    await shot(p, 'consent-375-zh');
    await p.getByTestId('prechat-name').fill('手机客户');
    await p.getByTestId('prechat-submit').tap();
    await p.getByTestId('composer').fill('手机上的问题');
    await p.getByTestId('send').tap();
    await expect.poll(() => conversationOf('手机上的问题'), { timeout: T }).not.toBe('');
    await answerAndResolve(await conversationOf('手机上的问题'), '已为您处理。');
    await p.getByTestId('csat').waitFor({ timeout: T });
    expect(await p.getByTestId('csat').textContent()).toContain('请为本次服务评分');
    await p.locator('.ccw-star').nth(4).tap();
    await p.getByTestId('csat-submit').scrollIntoViewIfNeeded();
    await shot(p, 'rating-375-zh');
    await p.getByTestId('csat-submit').tap();
    await p.getByTestId('csat-done').waitFor({ timeout: T });
    expect(((await h.hub.m.Conversation.findById(await conversationOf('手机上的问题')).lean()) as { csat?: { score: number } }).csat?.score).toBe(5);
    await shot(p, 'rated-375-zh');
  });
});
