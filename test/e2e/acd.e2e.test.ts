/**
 * Routing in the real console (Debian Chromium): an agent's state control, a ringing offer with its
 * countdown accepted from the keyboard, going not ready, and the supervisor's live view of it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';

const T = 15_000;
let h: TestHub;
let agentB: TestBrowser | undefined;
let supB: TestBrowser | undefined;
let a: Page;
let s: Page;
const shots = screenshotDir('e2e');

const login = (p: Page, user: string) => consoleLogin(p, h.url, user, { timeout: T });

describe('routing in the console', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run scripts/setup.sh');
    h = await startTestHub({ name: 'e2e_acd' });
    // Web chats in this queue ring (offers) instead of being auto-accepted.
    await h.hub.m.Queue.updateOne({ _id: 'general' }, { $set: { routing: { autoAccept: [], offerTimeoutSec: 60 } } });
    await h.hub.acd.request({ type: 'queues.reload' });
    await Promise.all([
      launchBrowser({ name: 'agent', locale: 'en-US' }).then((b) => { agentB = b; }),
      launchBrowser({ name: 'supervisor', locale: 'en-US' }).then((b) => { supB = b; }),
    ]);
    a = agentB!.page;
    s = supB!.page;
  });

  afterAll(async () => {
    await Promise.allSettled([agentB?.close(), supB?.close()]);
    await h?.close();
  });

  it('1. signing in makes the agent available, shown in the header', async () => {
    await login(a, 'agent1');
    await a.locator('[data-testid=agent-state][data-state=available]').waitFor({ timeout: T });
  });

  it('2. a new chat rings as an offer with a countdown; A accepts it and opens the conversation', async () => {
    const sess = await api(h.url, '/api/webchat/session', { body: { name: 'Ring Ring' } });
    const r = await h.hub.ingest.ingest({ channel: 'webchat', externalId: `${sess.body.visitorId}:e2e-offer-1`, customer: { id: (await h.hub.tokens.verify(sess.body.token, 'visitor')).cid, name: 'Ring Ring' }, text: 'my card is blocked', queue: 'general', channelData: { visitorId: sess.body.visitorId } });
    const card = a.getByTestId('offer-card');
    await card.waitFor({ timeout: T });
    await expect.poll(() => card.textContent(), { timeout: T }).toContain('Ring Ring');
    await a.getByTestId('offer-countdown').waitFor({ timeout: T });
    await a.screenshot({ path: join(shots, 'acd-offer.png') });
    await card.focus();
    await a.keyboard.press('a');
    await card.waitFor({ state: 'detached', timeout: T });
    await expect.poll(async () => (await h.hub.m.Conversation.findById(r.conversation._id).lean())?.assigneeName, { timeout: T }).toBe('李娜 Li Na');
    await a.getByTestId('conversation').waitFor({ timeout: T });
  });

  it('3. the agent goes not ready (meal) from the state menu; the supervisor sees it live', async () => {
    await login(s, 'super1');
    await s.getByTestId('nav-supervisor').click();
    await s.getByTestId('sup-agents').waitFor({ timeout: T });
    const row = s.locator('[data-testid=sup-agent]', { hasText: 'Li Na' });
    await row.locator('[data-testid=agent-pill]').waitFor({ timeout: T });
    await a.getByTestId('agent-state').click();
    await a.getByTestId('agent-state-menu').waitFor({ timeout: T });
    await a.locator('[data-testid=state-notready][data-reason=meal]').click();
    await a.locator('[data-testid=agent-state][data-state=notready]').waitFor({ timeout: T });
    await s.locator('[data-testid=sup-agent][data-state=notready]', { hasText: 'Li Na' }).waitFor({ timeout: T });
    await s.screenshot({ path: join(shots, 'acd-supervisor.png') });
    // A chat arriving now waits in the queue: the supervisor's waiting list shows it.
    await h.hub.ingest.ingest({ channel: 'webchat', externalId: 'e2e-wait-1', customer: { identity: { channel: 'webchat', address: 'e2e-waiter' }, name: 'Patient Pat' }, text: 'hello?', queue: 'general', channelData: { visitorId: 'e2e-waiter' } });
    await s.locator('[data-testid=sup-waiting-item]', { hasText: 'Patient Pat' }).waitFor({ timeout: T });
    expect(agentB!.errors.filter((e) => !/ 40[13] /.test(e))).toEqual([]);
  });
});
