/**
 * A web chat written outside its queue's business hours, in Chromium: routing keeps it as an offline
 * message (pending, tagged after-hours) and the widget tells the customer so, in their language;
 * once an agent picks it up the notice goes away.
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
const sockets = new Sockets();

beforeAll(async () => {
  if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist missing: run npm run build:ui');
  h = await startTestHub({ name: 'e2e_after_hours' });
  // An agent has the console open (the widget offers chat, not the offline form) ...
  await sockets.connect(h.url, '/agent', await loginAs(h.url, 'agent1'));
  // ... but the general queue is closed all week.
  const admin = await loginAs(h.url, 'admin');
  const put = await api(h.url, '/api/admin/queues/general', { token: admin, method: 'PUT', body: { label: { en: 'General service', zh: '综合服务' }, hours: { tz: 'Asia/Shanghai', week: {} } } });
  expect(put.status).toBe(200);
  visitor = await launchBrowser({ name: 'after-hours-visitor', locale: 'zh-CN' });
});
afterAll(async () => {
  sockets.closeAll();
  await visitor?.close();
  await h?.close();
});

test('after hours: the chat is kept as an offline message and the customer is told so', async () => {
  const v = visitor.page;
  await v.goto(`${h.url}/demo/`);
  await v.getByTestId('launcher').click();
  await v.getByTestId('prechat-form').waitFor({ timeout: T });
  await v.getByTestId('prechat-name').fill('夜间客户');
  await v.getByTestId('prechat-submit').click();
  await v.getByTestId('composer').waitFor({ timeout: T });
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
