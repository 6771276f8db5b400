/**
 * Disabling and deleting a queue in the real console (Debian Chromium) against a real hub: deleting a
 * queue with a live conversation is refused in the dialog with the count (nothing changes); disabling
 * it marks the row and sends a new contact to general; once the conversation is resolved the queue is
 * deleted and leaves the table. Checked at 1366×768 and 375×667 and in Chinese, with screenshots.
 * Waits are locator waits or expect.poll, never fixed sleeps.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { waitFor } from '../helpers/wait.js';

const T = 15_000;
let h: TestHub;
let b: TestBrowser | undefined;
let p: Page;
let adminToken = '';
let superToken = '';
let live = '';
const shots = screenshotDir('e2e');
mkdirSync(shots, { recursive: true });
const shot = (name: string) => p.screenshot({ path: join(shots, `admin-queues-${name}.png`) });
const row = (id: string) => p.locator(`[data-testid=queue-row][data-queue="${id}"]`);

async function arrive(queue: string): Promise<string> {
  const addr = `+8613${randomBytes(4).readUInt32BE(0) % 1_000_000_000}`;
  const r = await h.hub.ingest.ingest({ channel: 'sms', externalId: `aqe-${randomBytes(6).toString('hex')}`, customer: { identity: { channel: 'sms', address: addr } }, from: addr, text: 'loan question', queue });
  return String(r.conversation._id);
}
const routedQueue = async (id: string) => (await h.hub.acd.snapshotTask(id))?.queue;

describe('queues: disable and delete in Administration', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npm run build:ui');
    h = await startTestHub({ name: 'e2e_admin_queues' });
    adminToken = await loginAs(h.url, 'admin');
    superToken = await loginAs(h.url, 'super1');
    expect((await api(h.url, '/api/admin/queues/loans', { token: adminToken, method: 'PUT', body: { label: { en: 'Loans', zh: '贷款' } } })).status).toBe(200);
    live = await arrive('loans');
    await waitFor(async () => (await routedQueue(live)) === 'loans', T, 'the live conversation routed to loans');
    b = await launchBrowser({ name: 'admin-queues', locale: 'en-US', viewport: { width: 1366, height: 768 } });
    p = b.page;
  });

  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('1. deleting a queue with a live conversation is refused in the dialog, with the count; nothing changes', async () => {
    await p.goto(`${h.url}/console/`);
    await p.getByTestId('login-username').fill('admin');
    await p.getByTestId('login-password').fill('adminpass');
    await p.getByTestId('login-submit').click();
    await p.getByTestId('admin-view').waitFor({ timeout: T });
    await p.getByTestId('admin-tab-queues').click();
    await row('loans').waitFor({ timeout: T });
    // general has no disable or delete
    expect(await row('general').getByTestId('queue-delete').count()).toBe(0);
    await row('loans').getByTestId('queue-delete').click();
    await p.getByTestId('confirm-ok').click();
    const err = p.getByTestId('confirm-dialog').locator('.form-error');
    await err.waitFor({ timeout: T });
    expect(await err.textContent()).toMatch(/1 live conversation/);
    await shot('delete-refused-1366');
    await p.keyboard.press('Escape');
    await p.getByTestId('confirm-dialog').waitFor({ state: 'detached', timeout: T });
    expect(await row('loans').getAttribute('data-disabled')).toBe('false');
  });

  it('2. disabling marks the row, and a new contact for the queue goes to general', async () => {
    await row('loans').getByTestId('queue-disable').click();
    await p.getByTestId('confirm-ok').click();
    await expect.poll(() => row('loans').getAttribute('data-disabled'), { timeout: T }).toBe('true');
    expect(await row('loans').getByTestId('queue-state').textContent()).toContain('Disabled');
    await row('loans').getByTestId('queue-enable').waitFor({ timeout: T });
    const listed = (await api(h.url, '/api/admin/queues', { token: adminToken })).body.queues.find((q: { id: string }) => q.id === 'loans');
    expect(listed.disabled).toBe(true);
    const next = await arrive('loans');
    await expect.poll(() => routedQueue(next), { timeout: T }).toBe('general');
    await shot('disabled-1366');
  });

  it('3. at 375×667 the actions are reachable; in Chinese the state reads 已停用', async () => {
    await p.setViewportSize({ width: 375, height: 667 });
    await row('loans').getByTestId('queue-delete').scrollIntoViewIfNeeded();
    expect(await row('loans').getByTestId('queue-delete').isVisible()).toBe(true);
    await shot('disabled-375');
    await p.setViewportSize({ width: 1366, height: 768 });
    await p.getByTestId('locale-switch').selectOption('zh');
    await expect.poll(() => row('loans').getByTestId('queue-state').textContent(), { timeout: T }).toContain('已停用');
    await shot('disabled-zh');
    await p.getByTestId('locale-switch').selectOption('en');
  });

  it('4. once its conversation is resolved the queue is deleted and leaves the table', async () => {
    expect((await api(h.url, `/api/conversations/${live}/resolve`, { token: superToken, body: { wrapUpCode: 'resolved' } })).status).toBe(200);
    await row('loans').getByTestId('queue-delete').click();
    await p.getByTestId('confirm-ok').click();
    await row('loans').waitFor({ state: 'detached', timeout: T });
    await expect.poll(() => p.getByTestId('admin-flash').textContent(), { timeout: T }).toContain('deleted');
    const ids = (await api(h.url, '/api/admin/queues', { token: adminToken })).body.queues.map((q: { id: string }) => q.id);
    expect(ids).not.toContain('loans');
    await shot('deleted-1366');
    // Only the refused delete may have answered 4xx.
    expect(b!.errors.filter((e) => !/409/.test(e))).toEqual([]);
  });
});
