/**
 * The marketing console in Debian Chromium against a real hub, store, Redis and the SMSC simulator
 * (issue 22): marketing signs in and lands on Campaigns, creates an SMS campaign for a segment (the
 * audience count and the SMS counter come live from the hub), starts it, watches the progress bar
 * reach the end, and a recipient's reply reaches an agent of the campaign's queue in their inbox. The
 * view is shown in English and Chinese. Screenshots go to test-results/e2e/campaign-*.png.
 * Waits are locator waits or expect.poll, never fixed sleeps.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { login as consoleLogin } from '../helpers/console-login.js';
import { Smsc } from '../helpers/smsc.js';
import { submittedText } from '../helpers/sms-text.js';
import { waitFor } from '../helpers/wait.js';
import { makeCustomer } from '../helpers/campaign.js';
import { ManualClock } from '../../hub/campaigns/clock.js';

const T = 20_000;
let smsc: Smsc;
let h: TestHub;
let mkt: TestBrowser | undefined;
let agent: TestBrowser | undefined;
const shots = screenshotDir('e2e');
const phones = Array.from({ length: 8 }, (_, i) => `+8613566${String(i).padStart(5, '0')}`);

beforeAll(async () => {
  if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
  smsc = new Smsc();
  await smsc.listen();
  h = await startTestHub({ name: 'e2e_campaign', overrides: { sms: { enabled: true, accounts: [{ name: 'cmcc', host: '127.0.0.1', port: smsc.port, systemId: 'esme', password: 'secret', tps: 100, sourceAddr: '95588' }] }, campaigns: { tps: { sms: 4 } } } });
  // Noon in Shanghai, whatever the hour of the run: quiet hours have their own test.
  h.hub.campaigns.runner.clock = new ManualClock(new Date('2026-12-03T04:00:00Z'));
  await waitFor(() => smsc.sessions.size === 1, 10_000, 'bound');
  for (const [i, phone] of phones.entries()) await makeCustomer(h.hub, { phone, name: `客户${i}`, segment: 'e2e-vip', ...(i === 0 ? { name: 'Ann Lee', language: 'en' } : {}) });
  await makeCustomer(h.hub, { phone: '+8613566099999', segment: 'someone-else' });
});
afterAll(async () => {
  await mkt?.close();
  await agent?.close();
  await h?.close();
  await smsc?.close();
});

test('marketing creates an SMS campaign for a segment, starts it, the progress bar reaches the end, and a reply reaches an agent', async () => {
  mkt = await launchBrowser({ name: 'marketing', locale: 'en-US', viewport: { width: 1280, height: 900 } });
  const p = mkt.page;
  await consoleLogin(p, h.url, 'market1', { until: 'submitted' });
  await p.getByTestId('marketing-view').waitFor({ timeout: T });
  await p.getByTestId('cmp-new').click();
  await p.getByTestId('cmp-name').fill('VIP card offer');
  await p.getByTestId('cmp-segments').fill('e2e-vip');
  await expect.poll(() => p.getByTestId('cmp-count').textContent(), { timeout: T }).toContain('8 customers');
  await p.getByTestId('cmp-text-zh').fill('{{name}}您好，您的VIP信用卡有新权益');
  await p.getByTestId('cmp-text-en').fill('Hi {{name}}, your VIP card has new benefits');
  await expect.poll(() => p.getByTestId('cmp-counter-zh').textContent(), { timeout: T }).toContain('UCS-2');
  await expect.poll(() => p.getByTestId('cmp-counter-en').textContent(), { timeout: T }).toContain('GSM');
  await p.getByTestId('cmp-queue').fill('wealth');
  await p.screenshot({ path: join(shots, 'campaign-create-en.png'), fullPage: true });
  await p.getByTestId('cmp-save').click();
  const row = p.locator('[data-testid^="campaign-"][data-state]').first();
  await row.waitFor({ timeout: T });
  expect(await row.getAttribute('data-state')).toBe('draft');
  await row.getByTestId('cmp-start').click();
  // Throttled to 4/s: the bar is seen moving before it is full.
  await expect.poll(async () => Number(await row.getByTestId('cmp-bar').getAttribute('aria-valuenow')), { timeout: T }).toBeGreaterThan(0);
  await p.screenshot({ path: join(shots, 'campaign-running-en.png'), fullPage: true });
  await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('completed');
  await expect.poll(async () => Number(await row.getByTestId('cmp-bar').getAttribute('aria-valuenow')), { timeout: T }).toBe(100);
  expect(await row.getByTestId('cmp-stats').textContent()).toContain('8/8 sent');
  for (const phone of phones) expect(smsc.submitted.filter((s) => s.dest === phone.slice(1)).length).toBe(1);
  expect(submittedText(smsc.submitted.find((s) => s.dest === phones[0]!.slice(1))!)).toBe('Hi Ann Lee, your VIP card has new benefits Reply STOP to opt out');
  await p.screenshot({ path: join(shots, 'campaign-done-en.png'), fullPage: true });

  // agent2 serves the wealth queue: the reply comes to their inbox.
  agent = await launchBrowser({ name: 'agent2', locale: 'en-US' });
  const a = agent.page;
  await consoleLogin(a, h.url, 'agent2', { until: 'submitted' });
  await a.getByTestId('conversation-list').waitFor({ timeout: T }).catch(() => undefined);
  expect(await smsc.mo(phones[3]!.slice(1), '我对这个权益有兴趣')).toBe(0);
  await a.getByTestId('conv-name').filter({ hasText: '客户3' }).waitFor({ timeout: 30_000 });
  const conv = await h.hub.m.Conversation.findOne({ customerName: '客户3' }).lean();
  expect(conv!.queue).toBe('wealth');
  expect(conv!.tags.some((t: string) => t.startsWith('campaign:'))).toBe(true);
  await a.screenshot({ path: join(shots, 'campaign-reply-agent.png') });
  await expect.poll(async () => (await row.getByTestId('cmp-stats').textContent()) ?? '', { timeout: T }).toContain('1 replied');

  // The same view in Chinese.
  await p.getByTestId('locale-switch').selectOption('zh');
  await expect.poll(() => row.getByTestId('cmp-state').textContent(), { timeout: T }).toBe('已完成');
  await p.screenshot({ path: join(shots, 'campaign-done-zh.png'), fullPage: true });
  expect(mkt.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
}, 180_000);
