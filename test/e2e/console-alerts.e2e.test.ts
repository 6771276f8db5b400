/**
 * New work announces itself, and Enter sends (issue 23 daily-use gaps), in Debian Chromium against a
 * real hub: a ringing offer and a customer's new message give a tone, a desktop notification (permission
 * granted to this browser) and a count in the tab title, each switchable in the header's Settings menu;
 * Enter sends and Shift+Enter adds a line, or (switched) Enter adds a line and Ctrl+Enter sends.
 * The page's real Notification and AudioContext are wrapped (not replaced) to observe what was shown/played.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { login as consoleLogin } from '../helpers/console-login.js';

const T = 15_000;
let h: TestHub;
let agentB: TestBrowser | undefined;
let a: Page;
let convId = '';
let visitorId = '';
let customerId = '';
let n = 0;

type Seen = { notes: string[]; tones: number };
const seen = () => a.evaluate(() => (window as unknown as { __seen: Seen }).__seen);
const sent = (text: string) => h.hub.m.Message.countDocuments({ conversationId: convId, direction: 'out', text });
/** A customer message into the chat, as the web chat connector stores it. */
const customerWrites = (text: string) => h.hub.ingest.ingest({ channel: 'webchat', externalId: `${visitorId}:alerts-${++n}`, customer: { id: customerId, name: 'Alert Alice' }, from: visitorId, text, queue: 'general', channelData: { visitorId } });

describe('alerts for new work, and Enter sends', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npx vite build --config agent-ui/vite.config.ts');
    h = await startTestHub({ name: 'e2e_console_alerts' });
    // web chats in this queue ring as offers
    await h.hub.m.Queue.updateOne({ _id: 'general' }, { $set: { routing: { autoAccept: [], offerTimeoutSec: 60 } } });
    await h.hub.acd.request({ type: 'queues.reload' });
    agentB = await launchBrowser({ name: 'agent', locale: 'en-US', permissions: ['notifications'] });
    a = agentB.page;
    await a.addInitScript(() => {
      const w = window as unknown as { __seen: Seen; Notification: typeof Notification };
      w.__seen = { notes: [], tones: 0 };
      const Real = w.Notification;
      class Watched extends Real {
        constructor(title: string, opts?: NotificationOptions) { super(title, opts); w.__seen.notes.push(title); }
      }
      Object.defineProperty(Watched, 'permission', { get: () => Real.permission });
      w.Notification = Watched as typeof Notification;
      const osc = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function (this: AudioContext) { w.__seen.tones++; return osc.call(this); };
    });
  });
  afterAll(async () => {
    await agentB?.close();
    await h?.close();
  });

  it('1. the agent switches desktop notifications on in Settings (the browser grants them)', async () => {
    await consoleLogin(a, h.url, 'agent1', { until: 'submitted' });
    await a.locator('[data-testid=agent-state][data-state=available]').waitFor({ timeout: T });
    // by keyboard: focus the button, open with Enter, the item with Enter
    await a.getByTestId('prefs-button').focus();
    await a.keyboard.press('Enter');
    await a.getByTestId('prefs-menu').waitFor({ timeout: T });
    await a.getByTestId('pref-desktop').focus();
    await a.keyboard.press('Enter');
    await expect.poll(() => a.getByTestId('pref-desktop').getAttribute('aria-checked'), { timeout: T }).toBe('true');
    expect(await a.getByTestId('pref-sound').getAttribute('aria-checked')).toBe('true');
    await a.keyboard.press('Escape');
  });

  it('2. a ringing offer: a tone, a desktop notification and (1) in the tab title', async () => {
    const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Alert Alice' } });
    visitorId = sess.body.visitorId;
    customerId = (await h.hub.tokens.verify(sess.body.token, 'visitor')).cid;
    const r = await customerWrites('my card was swallowed by the ATM');
    convId = String(r.conversation._id);
    await a.getByTestId('offer-card').waitFor({ timeout: T });
    await expect.poll(async () => (await seen()).notes, { timeout: T }).toContain('Incoming Web chat: Alert Alice');
    expect((await seen()).tones).toBeGreaterThan(0);
    await expect.poll(() => a.title(), { timeout: T }).toMatch(/^\(1\) /);
    await a.getByTestId('offer-accept').click();
    await a.locator(`[data-testid=conversation][data-conv-id="${convId}"]`).waitFor({ timeout: T });
    await expect.poll(() => a.title(), { timeout: T }).not.toMatch(/^\(/);
  });

  it('3. Enter sends, Shift+Enter adds a line', async () => {
    const box = a.getByTestId('reply-box');
    await box.click();
    await a.keyboard.type('line one');
    await a.keyboard.press('Shift+Enter');
    await a.keyboard.type('line two');
    expect(await box.inputValue()).toBe('line one\nline two');
    await a.keyboard.press('Enter');
    await expect.poll(() => sent('line one\nline two'), { timeout: T }).toBe(1);
    expect(await box.inputValue()).toBe('');
  });

  it('4. a new customer message in my chat while I am in the list: notification and count; switched off: silence', async () => {
    await a.getByTestId('back').click();
    await a.getByTestId('conversation').waitFor({ state: 'detached', timeout: T });
    const before = await seen();
    await customerWrites('are you there?');
    await expect.poll(async () => (await seen()).notes, { timeout: T }).toContain('New message from Alert Alice');
    expect((await seen()).tones).toBeGreaterThan(before.tones);
    await expect.poll(() => a.title(), { timeout: T }).toMatch(/^\(1\) /);
    // sound, desktop and title count switched off: the next message comes quietly
    await a.getByTestId('prefs-button').click();
    for (const k of ['sound', 'desktop', 'titleCount']) {
      await a.getByTestId(`pref-${k}`).click();
      await expect.poll(() => a.getByTestId(`pref-${k}`).getAttribute('aria-checked'), { timeout: T }).toBe('false');
    }
    await a.keyboard.press('Escape');
    expect(await a.title()).not.toMatch(/^\(/);
    const quiet = await seen();
    await customerWrites('hello??');
    const item = a.locator(`[data-testid=conv-item][data-conv-id="${convId}"]`);
    await expect.poll(() => item.getByTestId('unread-count').textContent(), { timeout: T }).toContain('2');
    expect(await seen()).toEqual(quiet);
    expect(await a.title()).not.toMatch(/^\(/);
    // the settings stay after a reload
    await a.reload();
    await a.getByTestId('prefs-button').click();
    expect(await a.getByTestId('pref-sound').getAttribute('aria-checked')).toBe('false');
    await a.keyboard.press('Escape');
  });

  it('5. switched: Enter adds a line, Ctrl+Enter sends', async () => {
    await a.getByTestId('prefs-button').click();
    await a.getByTestId('pref-enterSends').click();
    await expect.poll(() => a.getByTestId('pref-enterSends').getAttribute('aria-checked'), { timeout: T }).toBe('false');
    await a.keyboard.press('Escape');
    await a.locator(`[data-testid=conv-item][data-conv-id="${convId}"]`).click();
    const box = a.getByTestId('reply-box');
    await box.click();
    await a.keyboard.type('first');
    await a.keyboard.press('Enter');
    await a.keyboard.type('second');
    expect(await box.inputValue()).toBe('first\nsecond');
    expect(await sent('first')).toBe(0);
    await a.keyboard.press('Control+Enter');
    await expect.poll(() => sent('first\nsecond'), { timeout: T }).toBe(1);
  });

  it('6. an internal note: written from the same box, shown apart from replies, stored internal and never queued for the customer', async () => {
    await a.getByTestId('mode-note').click();
    expect(await a.getByTestId('mode-note').getAttribute('aria-pressed')).toBe('true');
    const box = a.getByTestId('reply-box');
    await box.click();
    await a.keyboard.type('customer asked twice about fees / 客户两次询问手续费');
    await a.keyboard.press('Control+Enter');
    const bubble = a.locator('[data-testid=message][data-internal=true]').filter({ hasText: 'customer asked twice about fees' });
    await bubble.waitFor({ timeout: T });
    expect(await bubble.getByTestId('note-label').textContent()).toContain('Internal note');
    // looks different from a reply: its own background
    const bg = (sel: string) => a.locator(sel).first().locator('.bubble').evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await bg('[data-testid=message][data-internal=true]')).not.toBe(await bg('[data-testid=message][data-direction=out]:not([data-internal])'));
    const stored = await h.hub.m.Message.findOne({ conversationId: convId, text: /asked twice about fees/ }).lean();
    expect(stored).toMatchObject({ internal: true, status: 'received' });
    await a.screenshot({ path: '/tmp/cchub-shots/console-note.png' });
  });
});
