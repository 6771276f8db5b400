/**
 * End to end, in real browsers: headless Debian Chromium (playwright-core) against a real hub started
 * in-process, serving the built console (/console/), widget (/widget.js) and demo bank page (/demo/)
 * from ./dist. Two separate browser contexts: the agent (console) and the visitor (demo page + widget).
 *
 * Steps run in order and share state; screenshots of each step go to test-results/e2e/.
 * Waits are Playwright locator waits or vitest expect.poll, never fixed sleeps.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { login as consoleLogin } from '../helpers/console-login.js';

const VISITOR = '王小明';
const FIRST = '你好，我想查询信用卡账单 / hello';
const REPLY = '您好，请稍等 / one moment please';
const OFFLINE_TEXT = '断网时发送的消息 / sent while offline';
const WRAPUP = 'card_service';
/** Longest wait for any one UI condition. */
const T = 15_000;

let h: TestHub;
let agent: TestBrowser;
let visitor: TestBrowser;
let a: Page; // console
let v: Page; // demo page with the widget
let convId = '';
let shotNo = 0;
const shots = screenshotDir('e2e');

async function shot(p: Page, name: string) {
  shotNo++;
  await p.screenshot({ path: join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`) });
}

/** Poll a locator's count until it equals n (auto-retrying, no sleeps). */
async function expectCount(l: Locator, n: number, timeout = T) {
  await expect.poll(() => l.count(), { timeout }).toBe(n);
}

// Console locators
const convItems = () => a.getByTestId('conv-item');
const convItemsOf = (name: string) => convItems().filter({ has: a.getByTestId('conv-name').filter({ hasText: name }) });
const agentMessages = (text: string) => a.getByTestId('message-list').getByTestId('message').filter({ hasText: text });
// Widget locators (CSS/test-id selectors pierce the open shadow root)
const widgetMessages = (text?: string) => {
  const all = v.getByTestId('messages').getByTestId('message');
  return text ? all.filter({ hasText: text }) : all;
};

/** Open the widget panel if it is closed. */
async function openWidget() {
  await v.getByTestId('launcher').waitFor({ timeout: T });
  if (!(await v.getByTestId('panel').isVisible())) await v.getByTestId('launcher').click();
  await v.getByTestId('panel').waitFor({ state: 'visible', timeout: T });
}

describe('web chat end to end: widget ↔ hub ↔ console in Chromium', () => {
  beforeAll(async () => {
    // the hub serves the UI from process.cwd()/dist (vitest runs from the repo root)
    for (const f of ['dist/console/index.html', 'dist/widget/widget.js', 'dist/demo/index.html']) {
      if (!existsSync(join(process.cwd(), f))) throw new Error(`${f} missing: run \`npx vite build --config agent-ui/vite.config.ts\` (scripts/setup.sh does)`);
    }
    h = await startTestHub({ name: 'e2e_webchat' });
    // assigned one by one, so afterAll closes whichever started even if the other did not
    await Promise.all([
      launchBrowser({ name: 'agent', locale: 'zh-CN' }).then((b) => { agent = b; }),
      launchBrowser({ name: 'visitor', locale: 'zh-CN' }).then((b) => { visitor = b; }),
    ]);
    a = agent.page;
    v = visitor.page;
  });

  afterAll(async () => {
    // each step independently, so one failure still closes everything else
    await Promise.allSettled([agent?.close(), visitor?.close()]);
    await h?.close();
  });

  // on failure: what both screens showed (test-results/e2e/FAILED-<step>-agent|visitor.png)
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const step = task.name.split('.')[0].replace(/\W+/g, '_');
      await Promise.allSettled([
        a?.screenshot({ path: join(shots, `FAILED-${step}-agent.png`) }),
        v?.screenshot({ path: join(shots, `FAILED-${step}-visitor.png`) }),
      ]);
    });
  });

  it('1. the agent signs in to the console and sees the inbox', async () => {
    await consoleLogin(a, h.url, 'agent1', { until: 'submitted' });
    await a.getByTestId('conv-list').waitFor({ timeout: T });
    await a.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    await expect.poll(() => a.getByTestId('current-user').textContent(), { timeout: T }).toContain('李娜');
    // a fresh database (the demo seed has users, no conversations): the inbox has loaded and is empty
    await a.getByTestId('list-empty').waitFor({ timeout: T });
    expect(await convItems().count()).toBe(0);
    // marker: proves later that the inbox updated live, without a page load
    await a.evaluate(() => { (window as unknown as { __e2eNoReload: boolean }).__e2eNoReload = true; });
    await shot(a, 'agent-inbox');
  });

  it('2. the visitor opens the widget on the demo page, fills the pre-chat form and writes', async () => {
    await v.goto(`${h.url}/demo/`);
    await v.getByTestId('webchat-host').waitFor({ state: 'attached', timeout: T });
    await shot(v, 'visitor-demo-page');
    await v.getByTestId('launcher').click();
    // an agent is signed in, so the widget offers the pre-chat form (not the offline form)
    await v.getByTestId('prechat-form').waitFor({ timeout: T });
    expect(await v.getByTestId('offline-form').count()).toBe(0);
    await v.getByTestId('prechat-name').fill(VISITOR);
    await shot(v, 'visitor-prechat');
    await v.getByTestId('prechat-submit').click();
    await v.getByTestId('composer').waitFor({ timeout: T });
    await expect.poll(() => v.getByTestId('welcome').textContent(), { timeout: T }).toContain(VISITOR);
    await v.getByTestId('composer').fill(FIRST);
    await v.getByTestId('composer').press('Enter');
    // the hub acked it as stored: the bubble stops being pending
    await v.locator('[data-testid=messages] [data-testid=message][data-direction=in][data-pending=false]').filter({ hasText: FIRST }).waitFor({ timeout: T });
    await expectCount(widgetMessages(FIRST), 1);
    await shot(v, 'visitor-sent');
  });

  it('3. the agent sees the conversation appear live, opens it and replies', async () => {
    const item = convItemsOf(VISITOR);
    await item.first().waitFor({ timeout: T });
    await expectCount(item, 1);
    expect(await item.getAttribute('data-channel')).toBe('webchat');
    await expect.poll(() => item.getByTestId('unread-count').textContent(), { timeout: T }).toContain('1');
    expect(await a.evaluate(() => (window as unknown as { __e2eNoReload?: boolean }).__e2eNoReload)).toBe(true);
    convId = (await item.getAttribute('data-conv-id')) ?? '';
    expect(convId).toMatch(/^[0-9a-f]{24}$/);
    await shot(a, 'agent-inbox-new-chat');

    await item.click();
    await a.locator(`[data-testid=conversation][data-conv-id="${convId}"]`).waitFor({ timeout: T });
    await a.locator('[data-testid=message][data-direction=in]').filter({ hasText: FIRST }).waitFor({ timeout: T });
    await expectCount(agentMessages(FIRST), 1);
    // opening marks it read: the unread badge goes
    await expect.poll(() => item.getAttribute('aria-selected'), { timeout: T }).toBe('true');
    await expectCount(item.getByTestId('unread-count'), 0);
    await shot(a, 'agent-conversation');

    await a.getByTestId('reply-box').fill(REPLY);
    await a.getByTestId('reply-box').press('Control+Enter');
    // stored: the optimistic bubble is replaced by the stored message
    await a.locator('[data-testid=message][data-direction=out][data-pending=false]').filter({ hasText: REPLY }).waitFor({ timeout: T });
    await expectCount(agentMessages(REPLY), 1);
    expect(await a.getByTestId('reply-box').inputValue()).toBe('');
    await shot(a, 'agent-replied');
  });

  it('4. the visitor sees the reply in the widget', async () => {
    await v.locator('[data-testid=messages] [data-testid=message][data-direction=out][data-author=agent]').filter({ hasText: REPLY }).waitFor({ timeout: T });
    await expectCount(widgetMessages(REPLY), 1);
    await expectCount(widgetMessages(FIRST), 1);
    await shot(v, 'visitor-got-reply');
  });

  it('5. after a reload the widget restores the history, each message once', async () => {
    await v.reload();
    await openWidget();
    // restored session: straight to the chat, no pre-chat form
    await v.getByTestId('chat').waitFor({ timeout: T });
    expect(await v.getByTestId('prechat-form').count()).toBe(0);
    await widgetMessages(REPLY).first().waitFor({ timeout: T });
    await widgetMessages(FIRST).first().waitFor({ timeout: T });
    // connected (no "reconnecting" notice) and nothing pending
    await v.getByTestId('chat-notice').waitFor({ state: 'hidden', timeout: T });
    await expectCount(v.locator('[data-testid=messages] [data-testid=message][data-pending=true]'), 0);
    expect(await widgetMessages(FIRST).count()).toBe(1);
    expect(await widgetMessages(REPLY).count()).toBe(1);
    // nothing else from the visitor or an agent (system notes, if any, aside); the visitor's message first
    const chat = v.locator('[data-testid=messages] [data-testid=message]:is([data-author=customer], [data-author=agent])');
    expect(await chat.count()).toBe(2);
    const texts = await chat.allTextContents();
    expect(texts[0]).toContain(FIRST);
    expect(texts[1]).toContain(REPLY);
    await shot(v, 'visitor-reloaded');
  });

  it('6. the agent resolves with a wrap-up code; console and widget show it', async () => {
    await a.getByTestId('resolve').click();
    await a.getByTestId('resolve-dialog').waitFor({ timeout: T });
    // the codes are loaded asynchronously
    await a.locator(`[data-testid=wrapup-select] option[value="${WRAPUP}"]`).waitFor({ state: 'attached', timeout: T });
    await a.getByTestId('wrapup-select').selectOption(WRAPUP);
    await a.getByTestId('wrapup-note').fill('账单已说明 / statement explained');
    await shot(a, 'agent-resolve-dialog');
    await a.getByTestId('resolve-confirm').click();
    await a.getByTestId('resolve-dialog').waitFor({ state: 'detached', timeout: T });
    await a.locator(`[data-testid=conversation][data-conv-id="${convId}"][data-status=resolved]`).waitFor({ timeout: T });
    await a.locator(`[data-testid=disposition][data-code=${WRAPUP}]`).waitFor({ timeout: T });
    // the list shows live conversations: the row either shows "resolved" or leaves the list
    const row = a.locator(`[data-testid=conv-item][data-conv-id="${convId}"]`);
    await expect.poll(async () => (await row.count()) === 0 || (await row.getAttribute('data-status')) === 'resolved', { timeout: T }).toBe(true);
    expect(await a.getByTestId('reply-box').count()).toBe(0);
    await shot(a, 'agent-resolved');

    const stored = await h.hub.m.Conversation.findById(convId).lean();
    expect(stored?.status).toBe('resolved');
    expect((stored as { disposition?: { code?: string } } | null)?.disposition?.code).toBe(WRAPUP);

    // widget: the "conversation ended" notice (zh: 本次会话已结束…)
    const notice = v.getByTestId('chat-notice');
    await notice.waitFor({ state: 'visible', timeout: T });
    await expect.poll(() => notice.textContent(), { timeout: T }).toContain('会话已结束');
    await shot(v, 'visitor-resolved');
  });

  it('7. a message written while offline shows pending and is delivered exactly once when back online', async () => {
    // Chromium's offline emulation fails new requests but leaves open WebSockets up (playwright#4910);
    // the widget still drops its socket because engine.io-client closes on the window 'offline' event,
    // which it listens to only when the hostname is not "localhost" — so the hub URL must stay 127.0.0.1.
    await visitor.context.setOffline(true);
    // the widget notices the lost connection
    const notice = v.getByTestId('chat-notice');
    await expect.poll(() => notice.textContent(), { timeout: T }).toContain('正在重新连接');
    await v.getByTestId('composer').fill(OFFLINE_TEXT);
    await v.getByTestId('composer').press('Enter');
    const bubble = widgetMessages(OFFLINE_TEXT);
    await v.locator('[data-testid=messages] [data-testid=message][data-pending=true]').filter({ hasText: OFFLINE_TEXT }).waitFor({ timeout: T });
    await expect.poll(() => bubble.getByTestId('message-status').textContent(), { timeout: T }).toContain('发送中');
    expect(await v.evaluate(() => localStorage.getItem('cchub.webchat.outbox') ?? '')).toContain(OFFLINE_TEXT);
    expect(await h.hub.m.Message.countDocuments({ text: OFFLINE_TEXT })).toBe(0);
    await shot(v, 'visitor-offline-pending');

    await visitor.context.setOffline(false);
    // reconnect → history → outbox flush → ack: no longer pending, outbox empty
    await v.locator('[data-testid=messages] [data-testid=message][data-pending=false]').filter({ hasText: OFFLINE_TEXT }).waitFor({ timeout: 30_000 });
    await expect.poll(() => v.evaluate(() => localStorage.getItem('cchub.webchat.outbox') ?? '').then((o) => o.includes(OFFLINE_TEXT)), { timeout: T }).toBe(false);
    await expectCount(bubble, 1);
    await shot(v, 'visitor-back-online');

    // the resolved conversation stays closed: the message starts a new one, which appears live for the agent
    const fresh = a.locator(`[data-testid=conv-item]:not([data-conv-id="${convId}"])`).filter({ has: a.getByTestId('conv-name').filter({ hasText: VISITOR }) });
    await fresh.first().waitFor({ timeout: T });
    await expectCount(fresh, 1);
    await fresh.click();
    await a.locator('[data-testid=message][data-direction=in]').filter({ hasText: OFFLINE_TEXT }).waitFor({ timeout: T });
    await expectCount(agentMessages(OFFLINE_TEXT), 1);
    await expectCount(fresh.getByTestId('unread-count'), 0);
    await shot(a, 'agent-offline-message');

    // exactly once in the store, too
    expect(await h.hub.m.Message.countDocuments({ text: OFFLINE_TEXT })).toBe(1);
    expect(await h.hub.m.Message.countDocuments({ text: FIRST })).toBe(1);
    expect(await h.hub.m.Message.countDocuments({ text: REPLY })).toBe(1);
    // and once in the visitor's history after another reload
    await v.reload();
    await openWidget();
    await widgetMessages(OFFLINE_TEXT).first().waitFor({ timeout: T });
    await v.getByTestId('chat-notice').waitFor({ state: 'hidden', timeout: T });
    expect(await widgetMessages(OFFLINE_TEXT).count()).toBe(1);
    await shot(v, 'visitor-reloaded-after-offline');
  });

  it('no uncaught page errors in either browser', () => {
    const all = [...agent.errors, ...visitor.errors];
    // console errors are expected while the visitor is offline (failed socket/fetch attempts): report only
    if (all.length && process.env.CCHUB_TEST_VERBOSE) console.log(all.join('\n'));
    const uncaught = all.filter((e) => e.includes('pageerror'));
    expect(uncaught).toEqual([]);
  });
});
