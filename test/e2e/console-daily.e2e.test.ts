/**
 * The console in all-day use (issue 23 bugs), in Debian Chromium against a real hub. A visitor is
 * played by a socket.io client (test/helpers/widget.ts) so the console is what is under test.
 * Steps run in order and share state; screenshots go to /tmp/cchub-shots (kept out of git).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { api, loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { WidgetPeer } from '../helpers/widget.js';

const T = 15_000;
const SHOTS = process.env.CCHUB_SHOTS ?? '/tmp/cchub-shots';
// A 1×1 PNG: the customer's image.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let h: TestHub;
let agentB: TestBrowser | undefined;
let supB: TestBrowser | undefined;
let a: Page;
let peer: WidgetPeer | undefined;
let convId = '';

const login = (p: Page, user: string) => consoleLogin(p, h.url, user, { until: 'submitted' });
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `console-${name}.png`) });
const agentMsg = (text: string) => a.getByTestId('message-list').getByTestId('message').filter({ hasText: text });

describe('the console in all-day use', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npx vite build --config agent-ui/vite.config.ts');
    mkdirSync(SHOTS, { recursive: true });
    h = await startTestHub({ name: 'e2e_console_daily' });
    agentB = await launchBrowser({ name: 'agent', locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
    a = agentB.page;
  });
  afterAll(async () => {
    peer?.close();
    await Promise.allSettled([agentB?.close(), supB?.close()]);
    await h?.close();
  });

  it('1. a chat with pre-chat email and phone: the panel shows them, times in the Chinese UI are 24-hour, the queue has its name', async () => {
    await login(a, 'agent1');
    await a.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    const sess = await api(h.url, '/api/webchat/session', { body: { name: '陈静', email: 'chen.jing@example.com', phone: '+86 139 1234 5678', locale: 'zh' } });
    expect(sess.status).toBe(200);
    peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
    convId = (await peer.send('client-0001', '你好，我要查账单')).conversationId;
    const item = a.locator(`[data-testid=conv-item][data-conv-id="${convId}"]`);
    await item.waitFor({ timeout: T });
    await expect.poll(() => item.getByTestId('conv-queue').textContent(), { timeout: T }).toBe('综合服务');
    await item.click();
    await agentMsg('你好，我要查账单').waitFor({ timeout: T });
    await expect.poll(() => a.getByTestId('customer-email').textContent(), { timeout: T }).toBe('chen.jing@example.com');
    expect(await a.getByTestId('customer-phone').textContent()).toBe('+86 139 1234 5678');
    expect(await agentMsg('你好，我要查账单').locator('.bubble-time').textContent()).toMatch(/^\d{2}:\d{2}$/);
    await shot(a, 'customer-panel-zh');
  });

  it('2. an image the customer sends while the agent has the chat open shows as an image, not a broken chip', async () => {
    const fd = new FormData();
    fd.append('file', new Blob([PNG], { type: 'image/png' }), 'receipt.png');
    const up = await fetch(`${h.url}/api/webchat/attachments`, { method: 'POST', headers: { authorization: `Bearer ${peer!.token}` }, body: fd });
    expect(up.status).toBe(201);
    const att = (await up.json()).attachment;
    // The order the web chat connector works in, made deterministic: the message is stored and announced
    // (the console fetches the image at once and gets 404, the upload not being the conversation's yet),
    // then the upload is linked to the conversation.
    const first404 = a.waitForResponse((r) => r.url().includes(`/api/attachments/${att.id}`) && r.status() === 404, { timeout: T });
    const cid = (await h.hub.tokens.verify(peer!.token, 'visitor')).cid;
    await h.hub.ingest.ingest({ channel: 'webchat', externalId: `${peer!.visitorId}:client-0002`, customer: { id: cid, name: '陈静' }, from: peer!.visitorId, text: '', attachments: [att], clientId: 'client-0002', queue: 'general', channelData: { visitorId: peer!.visitorId } });
    await first404;
    await h.hub.m.Message.db.collection('attachments.files').updateOne({ _id: new Types.ObjectId(att.id) }, { $set: { 'metadata.conversationId': convId } });
    const img = a.locator('.att-thumb img[alt="receipt.png"]');
    await img.waitFor({ timeout: T });
    await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), { timeout: T }).toBe(1);
    // the 404 above is expected; nothing else failed
    expect(agentB!.errors.filter((e) => !e.includes(`/api/attachments/${att.id}`) && !e.includes("status of 404"))).toEqual([]);
  });

  it('3. a reply written while disconnected waits, the state pill stops saying Available, and the reply goes once on reconnect', async () => {
    await a.locator('[data-testid=agent-state][data-display=available]').waitFor({ timeout: T });
    // Chromium's offline emulation leaves open WebSockets up, but engine.io-client closes on the window's 'offline' event
    await agentB!.context.setOffline(true);
    await a.locator('[data-testid=connection-state][data-online=false]').waitFor({ timeout: T });
    await a.locator('[data-testid=agent-state][data-display=disconnected]').waitFor({ timeout: T });
    await a.getByTestId('reply-box').fill('断线时写的回复 / written offline');
    await a.getByTestId('send').click();
    await agentMsg('断线时写的回复').getByTestId('waiting').waitFor({ timeout: T });
    await shot(a, 'reply-waiting-offline');
    await agentB!.context.setOffline(false);
    await a.locator('[data-testid=connection-state][data-online=true]').waitFor({ timeout: T });
    await a.locator('[data-testid=message][data-pending=false]').filter({ hasText: '断线时写的回复' }).waitFor({ timeout: T });
    await expect.poll(() => peer!.inbox.filter((m) => m.text.includes('断线时写的回复')).length, { timeout: T }).toBe(1);
    expect(await h.hub.m.Message.countDocuments({ conversationId: convId, text: /断线时写的回复/ })).toBe(1);
    await a.locator('[data-testid=agent-state][data-display=available]').waitFor({ timeout: T });
  });

  it('4. after a supervisor takes the chat over, the previous agent can read it but is offered neither Resolve nor a reply box', async () => {
    const sup = await loginAs(h.url, 'super1');
    expect((await api(h.url, `/api/acd/conversations/${convId}/takeover`, { token: sup, body: {} })).status).toBe(200);
    await a.getByTestId('read-only').waitFor({ timeout: T });
    expect(await a.getByTestId('resolve').count()).toBe(0);
    expect(await a.getByTestId('reply-box').count()).toBe(0);
    await shot(a, 'taken-over');
  });

  it('5. an admin adds the agent to a queue: a chat waiting there shows in "My queues" without a reload', async () => {
    await a.evaluate(() => { (window as unknown as { __noReload: boolean }).__noReload = true; });
    const admin = await loginAs(h.url, 'admin');
    const me = await api(h.url, '/api/me', { token: await loginAs(h.url, 'agent1') });
    const patch = await api(h.url, `/api/admin/users/${me.body.user.id}`, { token: admin, method: 'PATCH', body: { queues: ['general', 'cards', 'wealth'] } });
    expect(patch.status).toBe(200);
    // wealth needs a skill agent1 lacks, so the chat waits there unassigned
    const r = await h.hub.ingest.ingest({ channel: 'webchat', externalId: 'e2e-wealth-1', customer: { identity: { channel: 'webchat', address: 'e2e-wealth' }, name: '理财客户' }, text: '想咨询理财', queue: 'wealth', channelData: { visitorId: 'e2e-wealth' } });
    const item = a.locator(`[data-testid=conv-item][data-conv-id="${String(r.conversation._id)}"]`);
    await item.waitFor({ timeout: T });
    expect(await item.getByTestId('conv-queue').textContent()).toBe('财富管理');
    expect(await a.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  it('6. supervisor view at 1920×1080: the agents table fits its card and Log out is on screen', async () => {
    // the widest rows: an agent set not ready by the supervisor, one busy with a chat
    const sup = await loginAs(h.url, 'super1');
    const agent1 = (await api(h.url, '/api/me', { token: await loginAs(h.url, 'agent1') })).body.user.id;
    expect((await api(h.url, `/api/acd/agents/${agent1}/state`, { token: sup, body: { state: 'notready' } })).status).toBe(200);
    supB = await launchBrowser({ name: 'supervisor', locale: 'en-US', viewport: { width: 1920, height: 1080 } });
    const s = supB.page;
    await login(s, 'super1');
    await s.getByTestId('sup-agents').waitFor({ timeout: T });
    await s.locator('[data-testid=sup-agent][data-state=notready]').waitFor({ timeout: T });
    await shot(s, 'supervisor-1920');
    const fits = await s.evaluate(() => {
      const sec = document.querySelector('[data-testid=sup-agents]')!.closest('.sup-section') as HTMLElement;
      return { scroll: sec.scrollWidth, client: sec.clientWidth, page: document.documentElement.scrollWidth };
    });
    expect(fits.scroll).toBeLessThanOrEqual(fits.client);
    expect(fits.page).toBeLessThanOrEqual(1920);
    const box = await s.getByTestId('sup-logout').first().boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(1920);
  });
  it('6b. the supervisor hands the waiting chat to the agent with a note: the agent finds the note, marked internal', async () => {
    const s = supB!.page;
    const row = s.locator('[data-testid=sup-waiting-item]', { hasText: '理财客户' });
    await row.getByTestId('sup-reassign').click();
    await s.getByTestId('agent-picker').waitFor({ timeout: T });
    await s.locator('[data-testid=picker-agent]', { hasText: 'Li Na' }).click();
    await s.getByTestId('picker-note').fill('VIP prospect, wants a wealth product call-back');
    await s.getByTestId('picker-force').check();
    await s.getByTestId('picker-confirm').click();
    await s.getByTestId('agent-picker').waitFor({ state: 'detached', timeout: T });
    const conv = await h.hub.m.Conversation.findOne({ customerName: '理财客户' }).lean();
    expect(conv?.assigneeName).toBe('李娜 Li Na');
    await a.locator(`[data-testid=conv-item][data-conv-id="${String(conv!._id)}"]`).click();
    const note = a.locator('[data-testid=message][data-internal=true]').filter({ hasText: 'wants a wealth product call-back' });
    await note.waitFor({ timeout: T });
    expect(await note.getByTestId('note-label').textContent()).toContain('内部备注');
  });

  it('7. a marketing user lands on their own page: no inbox, no connection banner, no state menu', async () => {
    await a.getByTestId('logout').click();
    await login(a, 'market1');
    await a.getByTestId('marketing-view').waitFor({ timeout: T });
    expect(a.url()).toContain('#/marketing');
    expect(await a.getByTestId('offline-banner').count()).toBe(0);
    expect(await a.getByTestId('agent-state').count()).toBe(0);
    // the inbox is not theirs: a deep link brings them back home
    await a.goto(`${h.url}/console/#/`);
    await a.getByTestId('marketing-view').waitFor({ timeout: T });
    await shot(a, 'marketing-home');
  });

});
