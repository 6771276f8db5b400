/**
 * SMS in the console (issue 19 "Console"), in Debian Chromium against a real hub whose SMS connector is
 * bound over real SMPP to the test SMSC (test/helpers/smsc.ts): the counter an agent sees while typing
 * (characters, parts, GSM 03.38 or UCS-2, the warning naming the character that forces UCS-2) is what the
 * SMSC then receives; each reply shows its delivery state from the SMSC's receipt, a failed one with the
 * SMSC's reason; a new SMS starts from the customer panel; the Administration view lists each SMPP bind
 * (bound, error for a refused password, reconnecting after the SMSC goes away) and never a credential.
 *
 * Steps run in order and share state. Screenshots (1366×768 and 375×667) go to test-results/e2e/
 * (SMS_SHOTS_DIR overrides). Waits are locator waits or expect.poll, never fixed sleeps.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { Smsc } from '../helpers/smsc.js';
import { waitFor } from '../helpers/wait.js';

const T = 15_000;
const shots = process.env.SMS_SHOTS_DIR ?? screenshotDir('e2e');
mkdirSync(shots, { recursive: true });
const PHONE = '8613812345678';
/** Credentials of the two accounts: neither may ever reach a page or an API answer. */
const PASSWORD = 'S3cr#cmc';
const WRONG = 'Wr0#cucc';

let smsc: Smsc;
let h: TestHub;
let b: TestBrowser | undefined;
let p: Page;
let conv = '';

const account = (name: string, password: string) => ({
  name, host: '127.0.0.1', port: smsc.port, systemId: 'esme', password, systemType: '', mode: 'transceiver',
  binds: 1, window: 10, tps: 1000, sourceAddr: '95588', sourceTon: 0, sourceNpi: 1, queue: 'general',
});
const shot = (name: string) => p.screenshot({ path: join(shots, `sms-${name}.png`) });
const counter = () => p.locator('form.reply-box [data-testid=sms-counter]');
const out = (text: string) => p.getByTestId('message-list').locator('[data-testid=message][data-direction=out]').filter({ hasText: text });

const login = (user: string) => consoleLogin(p, h.url, user, { until: 'connected', timeout: T });

describe('SMS in the console', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
    smsc = new Smsc({ esme: PASSWORD });
    await smsc.listen();
    h = await startTestHub({
      name: 'e2e_sms_console',
      overrides: { sms: { enabled: true, accounts: [account('cmcc', PASSWORD), account('cucc', WRONG)], responseTimeoutSec: 2 } },
    });
    await waitFor(() => smsc.sessions.size === 1, T, 'cmcc bound');
    b = await launchBrowser({ name: 'sms', locale: 'en-US', viewport: { width: 1366, height: 768 } });
    p = b.page;
  });

  afterAll(async () => {
    await b?.close();
    await h?.close();
    await smsc?.close().catch(() => undefined);
  });

  it('1. an SMS from a customer reaches the agent; the reply box counts characters, parts and GSM 03.38', async () => {
    await login('agent1');
    await p.getByTestId('locale-switch').selectOption('en');
    await p.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    expect(await smsc.mo(PHONE, 'Hello, my card is blocked')).toBe(0);
    const m = await h.hub.m.Message.findOne({ channel: 'sms', direction: 'in', text: 'Hello, my card is blocked' }).lean();
    conv = String(m!.conversationId);
    // SMS is auto-accepted in the general queue: routing gives it to the one agent online.
    await expect.poll(async () => (await h.hub.m.Conversation.findById(conv).lean())?.status, { timeout: T }).toBe('assigned');
    await p.goto(`${h.url}/console/#/${conv}`);
    await p.getByTestId('reply-box').waitFor({ timeout: T });
    const c = counter();
    await c.waitFor({ timeout: T });
    expect(await c.getAttribute('data-encoding')).toBe('gsm');
    await p.getByTestId('reply-box').fill('Your card is unblocked. Fees: €0 {none}');
    // '€', '{' and '}' are GSM (extension table, two septets each): 39 characters, 42 septets, one SMS.
    expect(await c.getAttribute('data-chars')).toBe('39');
    expect(await c.getAttribute('data-encoding')).toBe('gsm');
    expect(await c.getAttribute('data-segments')).toBe('1');
    expect(await c.textContent()).toContain('118 left');
    expect(await p.getByTestId('sms-ucs2-warning').count()).toBe(0);
    // One more character past 160 septets: two parts of at most 153.
    await p.getByTestId('reply-box').fill('x'.repeat(161));
    expect(await c.getAttribute('data-segments')).toBe('2');
    expect(await p.getByTestId('sms-segments').textContent()).toBe('2 SMS parts');
    await shot('counter-gsm-1366');
  });

  it('2. a curly quote forces UCS-2: the counter says so and names the character', async () => {
    await p.getByTestId('reply-box').fill('Your card is “blocked”');
    const c = counter();
    expect(await c.getAttribute('data-encoding')).toBe('ucs2');
    expect(await p.getByTestId('sms-encoding').textContent()).toContain('UCS-2');
    const warn = p.getByTestId('sms-ucs2-warning');
    expect(await warn.textContent()).toContain('“ ”');
    expect(await warn.textContent()).toContain('70 characters per SMS');
    await p.setViewportSize({ width: 375, height: 667 });
    await shot('counter-ucs2-375');
    await p.setViewportSize({ width: 1366, height: 768 });
  });

  it('3. what the counter showed is what the SMSC receives: GSM in one part, Chinese in as many UCS-2 parts; each reply shows "delivered" from its receipt', async () => {
    const before = smsc.submitted.length;
    await p.getByTestId('reply-box').fill('Your card is unblocked.');
    await p.getByTestId('reply-box').press('Enter');
    await expect.poll(() => out('Your card is unblocked.').getByTestId('message-status').getAttribute('data-status'), { timeout: T }).toBe('delivered');
    expect(smsc.submitted.slice(before).map((s) => [s.dataCoding, s.esmClass])).toEqual([[0, 0]]);

    const chinese = '您好，您的信用卡已解锁，如有疑问请致电95588。'.repeat(4); // 100 characters
    await p.getByTestId('reply-box').fill(chinese);
    const shown = Number(await counter().getAttribute('data-segments'));
    expect(await counter().getAttribute('data-encoding')).toBe('ucs2');
    expect(shown).toBe(2);
    const mid = smsc.submitted.length;
    await p.getByTestId('send').click();
    await expect.poll(() => out(chinese.slice(0, 20)).getByTestId('message-status').getAttribute('data-status'), { timeout: T }).toBe('delivered');
    const parts = smsc.submitted.slice(mid);
    expect(parts.length).toBe(shown);
    expect(parts.every((s) => s.dataCoding === 8 && s.esmClass === 0x40)).toBe(true);
  });

  it('4. an undeliverable reply shows failed with the SMSC\'s reason', async () => {
    smsc.receiptStat = 'UNDELIV';
    await p.getByTestId('reply-box').fill('Please call us back.');
    await p.getByTestId('reply-box').press('Enter');
    const failed = out('Please call us back.').getByTestId('message-failed');
    await failed.waitFor({ timeout: T });
    expect(await out('Please call us back.').getByTestId('message-status').getAttribute('data-status')).toBe('failed');
    expect(await failed.textContent()).toContain('UNDELIV');
    smsc.receiptStat = 'DELIVRD';
    await shot('delivery-states-1366');
  });

  it('5. a new SMS from the customer panel: the dialog offers SMS to the customer\'s number with the counter, and it is sent once', async () => {
    const ident = p.locator('[data-testid=customer-identity][data-kind=phone]');
    await ident.waitFor({ timeout: T });
    await ident.getByTestId('identity-start').click();
    await p.getByTestId('new-conversation').waitFor({ timeout: T });
    expect(await p.getByTestId('new-conv-channel').inputValue()).toBe('sms');
    expect(await p.getByTestId('new-conv-to').inputValue()).toBe(`+${PHONE}`);
    expect(await p.locator('[data-testid=new-conversation] option[value=sms]').count()).toBe(1);
    await p.keyboard.type('您的新卡已寄出');
    const c = p.getByTestId('new-conversation').getByTestId('sms-counter');
    expect(await c.getAttribute('data-encoding')).toBe('ucs2');
    expect(await c.getAttribute('data-chars')).toBe('7');
    await shot('new-sms-1366');
    const before = smsc.submitted.length;
    await p.keyboard.press('Control+Enter');
    await p.getByTestId('new-conversation').waitFor({ state: 'detached', timeout: T });
    await out('您的新卡已寄出').waitFor({ timeout: T });
    await expect.poll(() => smsc.submitted.length - before, { timeout: T }).toBe(1);
    expect(smsc.submitted.at(-1)!.dest).toBe(PHONE);
  });

  it('6. GET /api/admin/channels: admins only, each bind\'s state, no credential', async () => {
    expect((await api(h.url, '/api/admin/channels')).status).toBe(401);
    for (const who of ['agent1', 'super1']) expect((await api(h.url, '/api/admin/channels', { token: await loginAs(h.url, who) })).status).toBe(403);
    const r = await api(h.url, '/api/admin/channels', { token: await loginAs(h.url, 'admin') });
    expect(r.status).toBe(200);
    const sms = r.body.channels.find((c: { kind: string }) => c.kind === 'sms');
    expect(sms.state).toBe('degraded');
    expect(sms.parts.map((x: { name: string; state: string }) => [x.name, x.state])).toEqual([['cmcc#1', 'bound'], ['cucc#1', 'error']]);
    expect(sms.parts[1].reason).toContain('invalid password');
    const raw = JSON.stringify(r.body);
    for (const secret of [PASSWORD, WRONG, String(smsc.port)]) expect(raw).not.toContain(secret);
  });

  it('7. the Administration view shows the binds: bound, error with the reason, reconnecting after the SMSC goes away; never a credential', async () => {
    await p.getByTestId('logout').click();
    await login('admin');
    await p.goto(`${h.url}/console/#/admin?tab=channels`);
    const row = (name: string) => p.locator(`[data-testid=channel-part][data-part="${name}"]`);
    await row('cmcc#1').waitFor({ timeout: T });
    expect(await row('cmcc#1').getAttribute('data-state')).toBe('bound');
    expect(await row('cucc#1').getAttribute('data-state')).toBe('error');
    expect(await row('cucc#1').getByTestId('part-reason').textContent()).toContain('invalid password');
    expect(await p.locator('[data-testid=channel-card][data-channel=sms]').getAttribute('data-state')).toBe('degraded');
    const text = (await p.getByTestId('admin-view').textContent()) ?? '';
    for (const secret of [PASSWORD, WRONG]) expect(text).not.toContain(secret);
    await shot('admin-channels-1366');
    await p.setViewportSize({ width: 375, height: 667 });
    await shot('admin-channels-375');
    await p.setViewportSize({ width: 1366, height: 768 });
    // The SMSC goes away: the bind is reconnecting (the view polls; Refresh asks at once).
    await smsc.close();
    await expect.poll(async () => {
      await p.getByTestId('channels-refresh').click();
      return row('cmcc#1').getAttribute('data-state');
    }, { timeout: T }).toBe('reconnecting');
    expect(await row('cmcc#1').getByTestId('part-reason').textContent()).toContain('connection to the SMSC lost');
    await p.getByTestId('locale-switch').selectOption('zh');
    await expect.poll(() => row('cmcc#1').getByTestId('part-state').textContent(), { timeout: T }).toBe('重连中');
    await shot('admin-channels-zh-1366');
    expect(b!.errors.filter((e) => !e.includes('http 4'))).toEqual([]);
  });
});
