/**
 * Business hours in the chat widget, in Chromium. A chat begun while the bank was open whose first
 * message comes after closing: routing keeps it as an offline message (pending, tagged after-hours)
 * and the widget tells the customer so, in their language; once an agent picks it up the notice goes
 * away. A customer opening the widget after closing gets the leave-a-message form, told the bank is
 * closed (not only busy). Each test sets the hours it starts from, so either runs alone or first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { Sockets } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';

const T = 15_000;
let h: TestHub;
let visitor: TestBrowser;
let late: TestBrowser | undefined;
let admin = '';
const sockets = new Sockets();
/** The general queue's hours: open around the clock (none set), or closed (no hours on any day). */
const setGeneral = async (open: boolean) => {
  const put = await api(h.url, '/api/admin/queues/general', { token: admin, method: 'PUT', body: { label: { en: 'General service', zh: '综合服务' }, hours: open ? null : { tz: 'Asia/Shanghai', week: {} } } });
  expect(put.status).toBe(200);
};

beforeAll(async () => {
  if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist missing: run npm run build:ui');
  h = await startTestHub({ name: 'e2e_after_hours' });
  // An agent has the console open: the widget offers chat while the queue is open (24x7 so far).
  await sockets.connect(h.url, '/agent', await loginAs(h.url, 'agent1'));
  admin = await loginAs(h.url, 'admin');
  visitor = await launchBrowser({ name: 'after-hours-visitor', locale: 'zh-CN' });
});
afterAll(async () => {
  sockets.closeAll();
  await Promise.allSettled([visitor?.close(), late?.close()]);
  await h?.close();
});

test('a chat whose first message comes after closing is kept as an offline message, and the customer is told so', async () => {
  // Open when the chat begins (whichever test ran before).
  await setGeneral(true);
  const v = visitor.page;
  await v.goto(`${h.url}/demo/`);
  await v.getByTestId('launcher').click();
  await v.getByTestId('prechat-form').waitFor({ timeout: T });
  await v.getByTestId('prechat-name').fill('夜间客户');
  await v.getByTestId('prechat-submit').click();
  await v.getByTestId('composer').waitFor({ timeout: T });
  // The bank closes (the general queue: no hours on any day) before the customer writes.
  await setGeneral(false);
  await v.getByTestId('composer').fill('晚上好，我的卡被锁了');
  await v.getByTestId('composer').press('Enter');

  const notice = v.getByTestId('chat-notice');
  await expect.poll(() => notice.textContent(), { timeout: T }).toContain('非服务时间');
  expect(await notice.isVisible()).toBe(true);
  await v.screenshot({ path: join(screenshotDir('e2e'), 'after-hours-widget-zh.png') });
  const conv = await waitFor(async () => h.hub.m.Conversation.findOne({ customerName: '夜间客户' }).lean(), T, 'conversation stored');
  expect(conv.status).toBe('pending');
  expect(conv.tags).toContain('after-hours');

  // An agent picks it up: the notice goes away.
  const agent = await loginAs(h.url, 'agent1');
  expect((await api(h.url, `/api/conversations/${conv._id}/claim`, { token: agent, method: 'POST', body: {} })).status).toBe(200);
  await notice.waitFor({ state: 'hidden', timeout: T });
});

test('opening the widget after closing: the leave-a-message form, saying the bank is closed', async () => {
  await setGeneral(false);
  late = await launchBrowser({ name: 'after-hours-late', locale: 'zh-CN' });
  const v = late.page;
  await v.goto(`${h.url}/demo/`);
  await v.getByTestId('launcher').click();
  const form = v.getByTestId('offline-form');
  await form.waitFor({ timeout: T });
  expect(await form.textContent()).toContain('现在是非服务时间');
  expect(await v.getByTestId('prechat-form').count()).toBe(0);
  const status = await api(h.url, '/api/webchat/status');
  expect(status.body).toEqual({ online: false, open: false });
  await v.screenshot({ path: join(screenshotDir('e2e'), 'after-hours-offline-form-zh.png') });
});
