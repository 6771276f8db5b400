/**
 * Administration in the real console (Debian Chromium) against a real hub: an admin creates a team, an
 * agent in it with a skill, edits a queue's strategy and business hours (checked in the API and in
 * routing), sees the hub's refusals next to the fields with nothing saved, cannot delete a team in use,
 * disables an account; the view in Chinese; an agent is kept out of the view and refused by the API.
 *
 * Steps run in order and share state. Screenshots go to test-results/e2e/ (ADMIN_SHOTS_DIR overrides).
 * Waits are locator waits or expect.poll, never fixed sleeps.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';

const T = 15_000;
const PASSWORD = 'a-long-password-1';
let h: TestHub;
let adminB: TestBrowser | undefined;
let agentB: TestBrowser | undefined;
let p: Page;
let adminToken = '';
const shots = process.env.ADMIN_SHOTS_DIR ?? screenshotDir('e2e');
mkdirSync(shots, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `admin-${name}.png`) });

const login = (page: Page, user: string, password?: string) => consoleLogin(page, h.url, user, { password, timeout: T });
const dialog = (name: string) => p.getByTestId(name);
/** Save the open dialog and wait for it to close; a refusal fails the step with the hub's words. */
async function save(name: string) {
  await p.getByTestId('admin-save').click();
  const closed = dialog(name).waitFor({ state: 'detached', timeout: T }).then(() => null);
  const refused = p.getByTestId('admin-form-error').waitFor({ timeout: T }).then(() => p.getByTestId('admin-form-error').textContent());
  const err = await Promise.race([closed, refused.catch(() => null)]);
  if (err) throw new Error(`${name} refused: ${err}`);
  await closed;
}
const userRow = (username: string) => p.locator(`[data-testid=user-row][data-username="${username}"]`);
const queues = async () => (await api(h.url, '/api/admin/queues', { token: adminToken })).body.queues as { id: string; definition: Record<string, unknown> }[];

describe('administration in the console', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
    h = await startTestHub({ name: 'e2e_admin' });
    adminToken = await loginAs(h.url, 'admin');
    adminB = await launchBrowser({ name: 'admin', locale: 'en-US' });
    p = adminB.page;
  });

  afterAll(async () => {
    await Promise.allSettled([adminB?.close(), agentB?.close()]);
    await h?.close();
  });

  it('1. the admin opens Administration from the header: users are listed', async () => {
    await login(p, 'admin');
    await p.getByTestId('nav-admin').click();
    await p.getByTestId('admin-view').waitFor({ timeout: T });
    expect(p.url()).toContain('#/admin');
    await userRow('agent1').waitFor({ timeout: T });
    await expect.poll(() => userRow('agent1').textContent()).toContain('Li Na');
    // the filter box narrows the table
    await p.getByTestId('user-filter').fill('super');
    await expect.poll(() => p.getByTestId('user-row').count(), { timeout: T }).toBe(1);
    await p.getByTestId('user-filter').fill('');
    await expect.poll(() => p.getByTestId('user-row').count(), { timeout: T }).toBe(5);
    await shot(p, 'users-en');
    // the tabs follow the arrow keys
    await p.getByTestId('admin-tab-users').focus();
    await p.keyboard.press('ArrowRight');
    await expect.poll(() => p.getByTestId('admin-tab-teams').getAttribute('aria-selected')).toBe('true');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('admin-tab-teams');
    expect(p.url()).toContain('tab=teams');
    await p.keyboard.press('ArrowLeft');
    await expect.poll(() => p.getByTestId('admin-tab-users').getAttribute('aria-selected')).toBe('true');
  });

  it('2. creates a team (Enter submits): stored with its capacity', async () => {
    await p.getByTestId('admin-tab-teams').click();
    await p.locator('[data-testid=team-row][data-team=retail]').waitFor({ timeout: T });
    await p.getByTestId('team-new').click();
    await dialog('team-dialog').waitFor({ timeout: T });
    await p.getByTestId('team-id').fill('cards-team');
    // the defaults show where the team says nothing
    expect(await p.getByTestId('cap-email').getAttribute('placeholder')).toBe('5');
    await p.getByTestId('cap-webchat').fill('4');
    await p.getByTestId('team-name').fill('Cards team');
    await shot(p, 'team-dialog-en');
    await p.getByTestId('team-name').press('Enter');
    await dialog('team-dialog').waitFor({ state: 'detached', timeout: T });
    await p.locator('[data-testid=team-row][data-team=cards-team]').waitFor({ timeout: T });
    await expect.poll(() => p.getByTestId('admin-flash').textContent()).toContain('Saved');
    const team = await h.hub.m.Team.findById('cards-team').lean();
    expect(team).toMatchObject({ name: 'Cards team', capacity: { webchat: 4 } });
    await shot(p, 'teams-en');
  });

  it('3. creates an agent in that team with a skill; the team capacity shows as inherited', async () => {
    await p.getByTestId('admin-tab-users').click();
    await p.getByTestId('user-new').click();
    await dialog('user-dialog').waitFor({ timeout: T });
    await p.getByTestId('user-username').fill('new.agent');
    await p.getByTestId('user-name').fill('新座席 New Agent');
    await p.getByTestId('user-password').fill(PASSWORD);
    expect(await p.getByTestId('cap-webchat').getAttribute('placeholder')).toBe('3');
    await p.getByTestId('user-team').selectOption('cards-team');
    await expect.poll(() => p.getByTestId('cap-webchat').getAttribute('placeholder')).toBe('4');
    expect(await p.getByTestId('cap-voice').getAttribute('placeholder')).toBe('1');
    await p.locator('[data-testid=user-queues] input[data-queue=cards]').check();
    await p.getByTestId('skill-add').click();
    await p.getByTestId('skill-name').fill('cards');
    await p.getByTestId('skill-level').selectOption('7');
    await shot(p, 'user-dialog-en');
    await save('user-dialog');
    await userRow('new.agent').waitFor({ timeout: T });
    await expect.poll(() => userRow('new.agent').getByTestId('user-team-cell').textContent()).toBe('Cards team');
    const users = (await api(h.url, '/api/admin/users', { token: adminToken })).body.users as Record<string, unknown>[];
    expect(users.find((u) => u.username === 'new.agent')).toMatchObject({
      name: '新座席 New Agent', role: 'agent', team: 'cards-team', skills: { cards: 7 }, queues: ['general', 'cards'], capacity: {}, active: true, locale: 'en',
    });
    await loginAs(h.url, 'new.agent', PASSWORD);
  });

  it('4. a taken username: the hub\'s message beside the field, nothing created, Esc closes', async () => {
    const before = await h.hub.m.User.countDocuments();
    await p.getByTestId('user-new').click();
    await dialog('user-dialog').waitFor({ timeout: T });
    await p.getByTestId('user-username').fill('new.agent');
    await p.getByTestId('user-name').fill('Again');
    await p.getByTestId('user-password').fill(PASSWORD);
    await p.getByTestId('user-password').press('Enter');
    const err = p.locator('[data-testid=field-error][data-field=username]');
    await err.waitFor({ timeout: T });
    expect(await err.textContent()).toContain('the username new.agent is taken');
    expect(await p.getByTestId('admin-form-error').textContent()).toContain('already taken');
    expect(await p.getByTestId('admin-save').isEnabled()).toBe(true);
    expect(await h.hub.m.User.countDocuments()).toBe(before);
    await p.keyboard.press('Escape');
    await dialog('user-dialog').waitFor({ state: 'detached', timeout: T });
  });

  it('5. edits a queue: strategy and business hours, saved in the hub and in routing', async () => {
    await p.getByTestId('admin-tab-queues').click();
    const row = p.locator('[data-testid=queue-row][data-queue=cards]');
    await row.waitFor({ timeout: T });
    expect(await row.getByTestId('queue-hours-cell').textContent()).toContain('24x7');
    await row.getByTestId('queue-edit').click();
    await dialog('queue-dialog').waitFor({ timeout: T });
    await p.getByTestId('queue-strategy').selectOption('most-skilled');
    await p.getByTestId('relax-add').click();
    await p.getByTestId('relax-after').fill('30');
    await p.getByTestId('relax-min').selectOption('3');
    await p.getByTestId('overflow-on').check();
    await p.getByTestId('overflow-queue').selectOption('general');
    await p.getByTestId('overflow-after').fill('120');
    await p.getByTestId('hours-always').uncheck();
    await p.getByTestId('hours-tz').fill('Asia/Shanghai');
    const mon = p.locator('[data-testid=hours-day][data-day="1"]');
    await mon.getByTestId('interval-add').click();
    await mon.getByTestId('interval-from').fill('08:00');
    await mon.getByTestId('interval-to').fill('20:00');
    const sat = p.locator('[data-testid=hours-day][data-day="6"]');
    await sat.getByTestId('interval-add').click();
    await sat.getByTestId('interval-from').nth(0).fill('09:00');
    await sat.getByTestId('interval-to').nth(0).fill('12:00');
    await sat.getByTestId('interval-add').click();
    await sat.getByTestId('interval-from').nth(1).fill('13:00');
    await sat.getByTestId('interval-to').nth(1).fill('17:00');
    await p.getByTestId('afterhours-overflow').check();
    await p.getByTestId('afterhours-queue').selectOption('general');
    await p.locator('.admin-dialog-body').evaluate((el) => { el.scrollTop = 0; });
    await shot(p, 'queue-dialog-en');
    await p.locator('.admin-dialog-body').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await shot(p, 'queue-dialog-hours-en');
    await save('queue-dialog');
    await expect.poll(() => row.getByTestId('queue-strategy-cell').getAttribute('data-strategy'), { timeout: T }).toBe('most-skilled');
    expect(await row.getByTestId('queue-hours-cell').textContent()).toContain('Asia/Shanghai');
    const hours = { tz: 'Asia/Shanghai', week: { '1': [['08:00', '20:00']], '6': [['09:00', '12:00'], ['13:00', '17:00']] } };
    const cards = (await queues()).find((q) => q.id === 'cards')!;
    expect(cards.definition).toMatchObject({
      strategy: 'most-skilled', hours, afterHours: { action: 'overflow', queue: 'general' }, relax: [{ afterSec: 30, minProficiency: 3 }],
      overflow: { afterSec: 120, queue: 'general' }, skills: { cards: 1 }, offerTimeoutSec: 20, serviceLevel: { pct: 80, seconds: 20 },
    });
    expect(h.hub.acd.localRouter!.queue('cards')).toMatchObject({ strategy: 'most-skilled', hours });
    await shot(p, 'queues-en');
  });

  it('6. bad values: the hub\'s errors beside the fields, nothing saved', async () => {
    const before = JSON.stringify(await h.hub.m.Queue.find().sort({ _id: 1 }).lean());
    await p.locator('[data-testid=queue-row][data-queue=cards]').getByTestId('queue-edit').click();
    await dialog('queue-dialog').waitFor({ timeout: T });
    expect(await p.getByTestId('queue-strategy').inputValue()).toBe('most-skilled');
    await p.getByTestId('hours-tz').fill('Mars/Olympus');
    const mon = p.locator('[data-testid=hours-day][data-day="1"]');
    await mon.getByTestId('interval-from').fill('20:00');
    await mon.getByTestId('interval-to').fill('08:00');
    await p.getByTestId('queue-strategy').selectOption('round-robin');
    await p.getByTestId('admin-save').click();
    const tz = p.locator('[data-testid=field-error][data-field="hours.tz"]');
    await tz.waitFor({ timeout: T });
    expect(await tz.textContent()).toContain('not a known IANA time zone');
    expect(await p.locator('[data-testid=field-error][data-field="hours.week.1"]').textContent()).toContain('ends after it starts');
    expect(await mon.getByTestId('interval-from').getAttribute('aria-invalid')).toBe('true');
    expect(await p.locator('[data-testid=hours-day][data-day="6"] [data-testid=interval-from]').first().getAttribute('aria-invalid')).toBe('false');
    expect(await p.getByTestId('admin-server-message').textContent()).toContain('hours.tz');
    expect(await p.getByTestId('hours-tz').getAttribute('aria-invalid')).toBe('true');
    await shot(p, 'queue-error-en');
    expect(JSON.stringify(await h.hub.m.Queue.find().sort({ _id: 1 }).lean())).toBe(before);
    expect(h.hub.acd.localRouter!.queue('cards').strategy).toBe('most-skilled');
    await p.keyboard.press('Escape');
    await dialog('queue-dialog').waitFor({ state: 'detached', timeout: T });
    expect(await p.locator('[data-testid=queue-row][data-queue=cards] [data-testid=queue-strategy-cell]').getAttribute('data-strategy')).toBe('most-skilled');
  });

  it('7. a team with members cannot be deleted: the hub\'s reason is shown in the dialog', async () => {
    await p.getByTestId('admin-tab-teams').click();
    await p.locator('[data-testid=team-row][data-team=cards-team]').getByTestId('team-delete').click();
    await p.getByTestId('confirm-dialog').waitFor({ timeout: T });
    await p.getByTestId('confirm-ok').click();
    await expect.poll(() => p.getByTestId('confirm-dialog').textContent(), { timeout: T }).toContain('the team still has 1 member(s)');
    await shot(p, 'team-in-use-en');
    expect(await h.hub.m.Team.exists({ _id: 'cards-team' })).toBeTruthy();
    await p.keyboard.press('Escape');
    await p.getByTestId('confirm-dialog').waitFor({ state: 'detached', timeout: T });
  });

  it('8. disabling an account asks first; its open console is signed out at once; then the account cannot sign in', async () => {
    const victim = await launchBrowser({ name: 'victim', locale: 'en-US' });
    try {
      await login(victim.page, 'new.agent', PASSWORD);
      await disable();
      // The hub dropped its socket; the console's reconnect is refused as unauthorized: back to sign-in.
      await victim.page.getByTestId('login-username').waitFor({ timeout: T });
    } finally {
      await victim.close();
    }
    expect((await h.hub.m.User.findOne({ username: 'new.agent' }).lean())!.active).toBe(false);
    expect((await api(h.url, '/api/auth/login', { body: { username: 'new.agent', password: PASSWORD } })).status).toBe(401);
  });

  async function disable() {
    await p.getByTestId('admin-tab-users').click();
    await userRow('new.agent').getByTestId('user-active').click();
    await p.getByTestId('confirm-dialog').waitFor({ timeout: T });
    await p.getByTestId('confirm-ok').click();
    await p.locator('[data-testid=user-row][data-username="new.agent"][data-active=false]').waitFor({ timeout: T });
  }

  it('9. in Chinese: labels, tabs and queue names switch', async () => {
    await p.getByTestId('locale-switch').selectOption('zh');
    await expect.poll(() => p.getByTestId('nav-admin').textContent()).toBe('系统管理');
    expect(await p.locator('.admin-page h1').textContent()).toBe('系统管理');
    expect((await p.getByTestId('admin-tab-users').textContent())?.trim()).toMatch(/^用户/);
    expect(await p.locator('[data-testid=user-table] thead').textContent()).toContain('用户名');
    await shot(p, 'users-zh');
    await p.getByTestId('admin-tab-teams').click();
    await p.getByTestId('team-table').waitFor({ timeout: T });
    await shot(p, 'teams-zh');
    await p.locator('[data-testid=team-row][data-team=cards-team]').getByTestId('team-edit').click();
    await dialog('team-dialog').waitFor({ timeout: T });
    await shot(p, 'team-dialog-zh');
    await p.keyboard.press('Escape');
    await p.getByTestId('admin-tab-queues').click();
    const cards = p.locator('[data-testid=queue-row][data-queue=cards]');
    await expect.poll(() => cards.getByTestId('queue-label').textContent(), { timeout: T }).toBe('信用卡');
    expect(await cards.getByTestId('queue-strategy-cell').textContent()).toBe('技能最高优先');
    await shot(p, 'queues-zh');
    await cards.getByTestId('queue-edit').click();
    await dialog('queue-dialog').waitFor({ timeout: T });
    expect(await p.locator('[data-testid=queue-dialog] h2').textContent()).toBe('编辑队列 信用卡');
    await shot(p, 'queue-dialog-zh');
    await p.locator('.admin-dialog-body').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await shot(p, 'queue-dialog-hours-zh');
    await p.keyboard.press('Escape');
    await p.getByTestId('admin-tab-users').click();
    await p.getByTestId('user-new').click();
    await dialog('user-dialog').waitFor({ timeout: T });
    await shot(p, 'user-dialog-zh');
    await p.keyboard.press('Escape');
    await dialog('user-dialog').waitFor({ state: 'detached', timeout: T });
    // only the refusals the steps above asked for (taken username, bad queue, team in use), each also logged by Chromium
    const expected = /http (400|409): (POST|PUT|DELETE) .*\/api\/admin\/|console: Failed to load resource: .* status of (400|409) /;
    expect(adminB!.errors.filter((e) => !expected.test(e))).toEqual([]);
    expect(adminB!.errors.filter((e) => /^admin http/.test(e))).toHaveLength(3);
  });

  it('10. a list that fails to load says so and offers a retry', async () => {
    await p.route('**/api/admin/teams', (r) => r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'the service is briefly unavailable; try again' } }) }));
    await p.reload();
    await p.getByTestId('admin-view').waitFor({ timeout: T });
    await p.getByTestId('admin-tab-teams').click();
    const failed = p.getByTestId('admin-load-error');
    await failed.waitFor({ timeout: T });
    expect(await failed.textContent()).toContain('the service is briefly unavailable');
    await shot(p, 'teams-error-zh');
    await p.unroute('**/api/admin/teams');
    await failed.getByRole('button').click();
    await p.locator('[data-testid=team-row][data-team=cards-team]').waitFor({ timeout: T });
  });

  it('11. an agent is sent from /admin to the inbox, sees no link to it, and the API refuses them', async () => {
    agentB = await launchBrowser({ name: 'agent', locale: 'en-US' });
    const a = agentB.page;
    await login(a, 'agent1');
    expect(await a.getByTestId('nav-admin').count()).toBe(0);
    await a.goto(`${h.url}/console/#/admin`);
    await a.getByTestId('conv-list').waitFor({ timeout: T });
    await expect.poll(() => new URL(a.url()).hash, { timeout: T }).toBe('#/');
    expect(await a.getByTestId('admin-view').count()).toBe(0);
    const token = await loginAs(h.url, 'agent1');
    expect((await api(h.url, '/api/admin/users', { token })).status).toBe(403);
    const put = await api(h.url, '/api/admin/queues/cards', { token, method: 'PUT', body: { strategy: 'round-robin' } });
    expect(put.status).toBe(403);
    expect((await queues()).find((q) => q.id === 'cards')!.definition.strategy).toBe('most-skilled');
  });
});
