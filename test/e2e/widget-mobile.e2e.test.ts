/**
 * The chat widget on a phone (375×667, phone emulation: the meta viewport is honoured as a phone
 * browser does) and its availability, in Debian Chromium against a real hub:
 * - the demo page fits the screen and the launcher is on it; with the chat open, Send is what a tap
 *   on Send hits (the launcher used to sit over it) — issue 23 bug 1;
 * - opened while no agent is signed in, the widget shows the leave-a-message form, and offers chat as
 *   soon as an agent signs in, without a reload (live, and on reopening) — bug 2;
 * - times in bubbles follow the widget's language (zh: 24-hour, no "AM"), the queue position is not
 *   styled as an error — bug 11.
 * Screenshots go to /tmp/cchub-shots (looked at by hand, kept out of git).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { Sockets } from '../helpers/sockets.js';

const T = 15_000;
const SHOTS = process.env.CCHUB_SHOTS ?? '/tmp/cchub-shots';
let h: TestHub;
let phone: TestBrowser | undefined;
let v: Page;
const sockets = new Sockets();
let agentSocket: Socket | undefined;

const shot = (name: string) => v.screenshot({ path: join(SHOTS, `widget-375-${name}.png`) });

/** What a tap at the centre of this widget element would hit, named by its test id (or tag). */
async function hitAt(testid: string): Promise<string> {
  return v.evaluate((id) => {
    const root = document.querySelector('[data-testid=webchat-host]')!.shadowRoot!;
    const el = root.querySelector<HTMLElement>(`[data-testid=${id}]`)!;
    const r = el.getBoundingClientRect();
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) as HTMLElement | null;
    const named = hit?.closest<HTMLElement>('[data-testid]');
    return named?.dataset.testid ?? hit?.tagName ?? 'nothing';
  }, testid);
}

describe('the widget on a phone, and following availability', () => {
  beforeAll(async () => {
    for (const f of ['dist/widget/widget.js', 'dist/demo/index.html']) {
      if (!existsSync(join(process.cwd(), f))) throw new Error(`${f} missing: run npx vite build --config agent-ui/vite.config.ts`);
    }
    mkdirSync(SHOTS, { recursive: true });
    h = await startTestHub({ name: 'e2e_widget_mobile' });
    phone = await launchBrowser({ name: 'phone', locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
    v = phone.page;
  });
  afterAll(async () => {
    sockets.closeAll();
    await phone?.close();
    await h?.close();
  });

  it('1. no agent signed in: the leave-a-message form; an agent signs in: chat is offered without a reload', async () => {
    await v.goto(`${h.url}/demo/`);
    await v.getByTestId('launcher').click();
    await v.getByTestId('offline-form').waitFor({ timeout: T });
    await shot('offline-form');
    // an agent opens the console: the open widget follows (its form is untouched)
    agentSocket = await sockets.connect(h.url, '/agent', await loginAs(h.url, 'agent1'));
    await v.getByTestId('prechat-form').waitFor({ timeout: T });
    expect(await v.getByTestId('offline-form').count()).toBe(0);
    // the agent leaves; closing and reopening asks again (no waiting for the next check)
    agentSocket.close();
    await v.getByTestId('close').click();
    await expect.poll(async () => (await fetch(`${h.url}/api/webchat/status`).then((r) => r.json())).online, { timeout: T }).toBe(false);
    await v.getByTestId('launcher').click();
    await v.getByTestId('offline-form').waitFor({ timeout: T });
    await v.getByTestId('close').click();
    agentSocket = await sockets.connect(h.url, '/agent', await loginAs(h.url, 'agent1'));
    await v.getByTestId('launcher').click();
    await v.getByTestId('prechat-form').waitFor({ timeout: T });
  });

  it('2. at 375 px the page fits the screen, the launcher is on it, and the open chat\'s Send is not covered', async () => {
    const width = await v.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    await v.getByTestId('prechat-name').fill('手机客户');
    await v.getByTestId('prechat-submit').tap();
    await v.getByTestId('composer').waitFor({ timeout: T });
    await v.getByTestId('composer').fill('在手机上发送 / sent from a phone');
    expect(await hitAt('send')).toBe('send');
    await shot('chat-open');
    await v.getByTestId('send').tap();
    await v.locator('[data-testid=messages] [data-testid=message][data-direction=in][data-pending=false]').filter({ hasText: '在手机上发送' }).waitFor({ timeout: T });
    // times follow the widget's language (zh-CN here): 24-hour, never "AM"/"PM"
    const time = await v.locator('[data-testid=message] .ccw-time').first().textContent();
    expect(time).toMatch(/^\d{2}:\d{2}$/);
    // closing the panel brings the launcher back, inside the screen
    await v.getByTestId('close').tap();
    const box = await v.getByTestId('launcher').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    expect(box!.y + box!.height).toBeLessThanOrEqual(667);
    expect(await hitAt('launcher')).toBe('launcher');
    await shot('closed');
  });
});
