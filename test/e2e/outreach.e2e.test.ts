/**
 * Identities, the customer timeline and agent-started conversations in the real console (Debian
 * Chromium, 1366×768) against a real hub: a customer who texted and called from one number written
 * two ways shows one phone identity on both channels and one timeline of both conversations; the agent
 * starts an SMS from the keyboard ("n", typed number, Ctrl+Enter) and another from the customer
 * panel's contact point; both are stored, sent once through the SMS connector, and open in the inbox.
 * The same in Chinese. SMS goes through a recording connector (no SMS connector exists yet).
 *
 * Screenshots go to test-results/e2e/ (OUTREACH_SHOTS_DIR overrides). Waits are locator waits or
 * expect.poll, never fixed sleeps.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { defineConnector, type ChannelConnector, type OutboundMessage, type SendResult } from '../../channels/contract.js';
import { webchat } from '../../channels/webchat/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { login as consoleLogin } from '../helpers/console-login.js';

const T = 15_000;
let h: TestHub;
let b: TestBrowser | undefined;
let p: Page;
const shots = process.env.OUTREACH_SHOTS_DIR ?? screenshotDir('e2e');
mkdirSync(shots, { recursive: true });
const shot = (name: string) => p.screenshot({ path: join(shots, `outreach-${name}.png`) });

const sent: OutboundMessage[] = [];
const sms: ChannelConnector = {
  kind: 'sms',
  start: async () => undefined,
  stop: async () => undefined,
  send: async (out): Promise<SendResult> => {
    sent.push(out);
    return { status: 'sent' };
  },
  mapStatus: () => undefined,
};

const n = `136${String(randomBytes(3).readUIntBE(0, 3) % 1e8).padStart(8, '0')}`;
const e164 = `+86${n}`;
let smsConv = '';

describe('customer identities, timeline and new conversations in the console', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
    h = await startTestHub({ name: 'e2e_outreach', overrides: { sms: { enabled: true } }, connectors: [webchat, defineConnector({ kind: 'sms', config: z.object({}), enabledByDefault: true, create: () => sms })] });
    // One person: an SMS from "+86 1xx xxxx xxxx", a call from the same number written locally.
    const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: `e2e-sms-${n}`, customer: { identity: { channel: 'sms', address: `+86 ${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}` }, name: '王芳 Wang Fang' }, text: '我的信用卡账单有疑问 / a question about my card bill' });
    await h.hub.ingest.ingest({ channel: 'voice', externalId: `e2e-call-${n}`, customer: { identity: { channel: 'voice', address: n } }, text: '[call] asked to be called back by SMS', queue: 'vip' });
    // (The call waits in the VIP line, which agent1 does not serve: a ringing call would block their new SMS.)
    smsConv = String(r.conversation._id);
    b = await launchBrowser({ name: 'outreach', locale: 'en-US', viewport: { width: 1366, height: 768 } });
    p = b.page;
  });

  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('1. the customer panel shows one phone identity on SMS and voice and one timeline across both', async () => {
    await consoleLogin(p, h.url, 'agent1', { timeout: T });
    await p.getByTestId('locale-switch').selectOption('en');
    await p.goto(`${h.url}/console/#/${smsConv}`);
    const ident = p.locator('[data-testid=customer-identity][data-kind=phone]');
    await ident.waitFor({ timeout: T });
    expect(await p.getByTestId('customer-identity').count()).toBe(1);
    expect(await ident.textContent()).toContain(e164);
    expect(await ident.locator('[data-testid=channel]').count()).toBe(2);
    await expect.poll(() => p.getByTestId('timeline-item').count(), { timeout: T }).toBe(2);
    expect(new Set(await p.getByTestId('timeline-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-channel'))))).toEqual(new Set(['sms', 'voice']));
    await shot('panel-en');
  });

  it('2. "n" opens the dialog from the keyboard; a typed number is normalised, the SMS sent once, and the new conversation opens', async () => {
    await p.locator('body').click({ position: { x: 700, y: 5 } });
    await p.keyboard.press('n');
    await p.getByTestId('new-conversation').waitFor({ timeout: T });
    // Focus starts on the channel; Tab reaches every field.
    expect(await p.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('new-conv-channel');
    await p.keyboard.press('Tab');
    const other = `135${String(randomBytes(3).readUIntBE(0, 3) % 1e8).padStart(8, '0')}`;
    await p.keyboard.type(`${other.slice(0, 3)}-${other.slice(3, 7)}-${other.slice(7)}`);
    await p.keyboard.press('Tab');
    await p.keyboard.type('Your card has been unblocked.');
    await shot('dialog-en');
    await p.keyboard.press('Control+Enter');
    await p.getByTestId('new-conversation').waitFor({ state: 'detached', timeout: T });
    await expect.poll(() => p.url(), { timeout: T }).not.toContain(smsConv);
    const id = p.url().split("#/")[1];
    const conv = await h.hub.m.Conversation.findById(id).lean();
    expect(conv).toMatchObject({ channel: 'sms', status: 'assigned' });
    await expect.poll(() => sent.filter((s) => s.message.text === 'Your card has been unblocked.').length, { timeout: T }).toBe(1);
    expect(String((await h.hub.m.Identity.findById(`phone:+86${other}`).lean())?.customerId)).toBe(String(conv!.customerId));
    await p.locator('[data-testid=message][data-direction=out]').first().waitFor({ timeout: T });
  });

  it('3. a contact point in the customer panel starts an SMS to it; it joins the live SMS conversation', async () => {
    await p.goto(`${h.url}/console/#/${smsConv}`);
    await p.locator('[data-testid=customer-identity][data-kind=phone]').waitFor({ timeout: T });
    await p.getByTestId('identity-start').click();
    await p.getByTestId('new-conversation').waitFor({ timeout: T });
    expect(await p.getByTestId('new-conv-to').inputValue()).toBe(e164);
    expect(await p.getByTestId('new-conv-channel').inputValue()).toBe('sms');
    // Straight to the message: the recipient is filled in.
    expect(await p.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('new-conv-text');
    await p.keyboard.type('We will call you back at 3 pm.');
    await p.getByTestId('new-conv-send').click();
    await p.getByTestId('new-conversation').waitFor({ state: 'detached', timeout: T });
    await expect.poll(() => sent.filter((s) => s.message.text === 'We will call you back at 3 pm.').length, { timeout: T }).toBe(1);
    expect(String(sent.find((s) => s.message.text === 'We will call you back at 3 pm.')!.message.conversationId)).toBe(smsConv);
    await p.locator('[data-testid=message][data-direction=out]').filter({ hasText: 'We will call you back at 3 pm.' }).waitFor({ timeout: T });
    await shot('sent-en');
  });

  it('4. a refusal is shown in the dialog and nothing is sent (no voice connector on this hub)', async () => {
    const before = await h.hub.m.Message.countDocuments({});
    await p.getByTestId('new-conversation-button').click();
    await p.getByTestId('new-conv-channel').selectOption('voice');
    await p.getByTestId('new-conv-to').fill(n);
    await p.getByTestId('new-conv-text').fill('hello');
    await p.getByTestId('new-conv-send').click();
    await expect.poll(() => p.getByTestId('new-conv-error').textContent(), { timeout: T }).toContain('not available');
    expect(await h.hub.m.Message.countDocuments({})).toBe(before);
    await p.keyboard.press('Escape');
    await p.getByTestId('new-conversation').waitFor({ state: 'detached', timeout: T });
  });

  it('5. in Chinese', async () => {
    await p.getByTestId('locale-switch').selectOption('zh');
    await p.goto(`${h.url}/console/#/${smsConv}`);
    await p.locator('[data-testid=customer-identity][data-kind=phone]').waitFor({ timeout: T });
    await expect.poll(() => p.getByTestId('customer-profile').textContent(), { timeout: T }).toContain('全部会话');
    await shot('panel-zh');
    await p.getByTestId('new-conversation-button').click();
    await p.getByTestId('new-conversation').waitFor({ timeout: T });
    await p.getByTestId('new-conv-channel').selectOption('email');
    await p.getByTestId('new-conv-subject').waitFor({ timeout: T });
    expect(await p.getByTestId('new-conv-to').getAttribute('placeholder')).toBe('name@example.com');
    await shot('dialog-email-zh');
    expect(await p.getByTestId('new-conversation').textContent()).toContain('新建会话');
    await p.keyboard.press('Escape');
    expect(b!.errors.filter((e) => !e.includes('422'))).toEqual([]);
  });
});
