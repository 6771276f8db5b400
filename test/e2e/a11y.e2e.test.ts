import { readFileSync } from 'node:fs';
/**
 * Accessibility audit (issue 23): axe-core (WCAG 2.0/2.1 A and AA rules) run in Debian Chromium on the
 * inbox, an open conversation, the supervisor view, administration and the chat widget. No serious or
 * critical violation is allowed; what was found is printed with the elements, so a failure says where.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { api, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { WidgetPeer } from '../helpers/widget.js';

const T = 15_000;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const AXE_SOURCE = readFileSync(AXE, 'utf8');
let h: TestHub;
let b: TestBrowser | undefined;
let w: TestBrowser | undefined;
let peer: WidgetPeer | undefined;

type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

/** Serious and critical WCAG A/AA violations on the page as it is now (or within one element; open shadow roots included). */
async function audit(p: Page, within?: string): Promise<string[]> {
  // Evaluated through the DevTools protocol, not as a <script> tag: the hub's CSP refuses inline
  // script (as it should), and the audit must see the page under that same policy.
  await p.evaluate(AXE_SOURCE);
  const found = await p.evaluate(async (sel) => {
    const r = await (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Violation[] }> } }).axe.run(sel ? { include: [[sel]] } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations;
  }, within);
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 12).map((n) => JSON.stringify(n.target)).join(', ')}`);
}

const login = (p: Page, user: string) => consoleLogin(p, h.url, user, { until: 'submitted' });

describe('accessibility audit (axe-core, WCAG 2.1 AA): no serious or critical violation', () => {
  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) throw new Error('dist/console missing: run npx vite build --config agent-ui/vite.config.ts');
    h = await startTestHub({ name: 'e2e_a11y' });
    b = await launchBrowser({ name: 'a11y', locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
    // a conversation in the inbox
    const sess = await api(h.url, '/api/webchat/session', { body: { name: '无障碍客户', email: 'a11y@example.com' } });
    peer = new WidgetPeer(h.url, sess.body.token, sess.body.visitorId);
    await peer.send('a11y-0001', '你好，请问信用卡怎么激活？');
  });
  afterAll(async () => {
    peer?.close();
    await Promise.allSettled([b?.close(), w?.close()]);
    await h?.close();
  });

  it('the inbox and an open conversation', async () => {
    const p = b!.page;
    await login(p, 'agent1');
    await p.getByTestId('conv-item').first().waitFor({ timeout: T });
    expect(await audit(p)).toEqual([]);
    await p.getByTestId('conv-item').first().click();
    await p.getByTestId('reply-box').waitFor({ timeout: T });
    await p.getByTestId('customer-panel').waitFor({ timeout: T });
    expect(await audit(p)).toEqual([]);
  });

  it('the supervisor view', async () => {
    const p = b!.page;
    await p.getByTestId('logout').click();
    await login(p, 'super1');
    await p.getByTestId('sup-agents').waitFor({ timeout: T });
    await p.getByTestId('sup-agent').first().waitFor({ timeout: T });
    expect(await audit(p)).toEqual([]);
  });

  it('administration', async () => {
    const p = b!.page;
    await p.getByTestId('logout').click();
    await login(p, 'admin');
    await p.getByTestId('user-row').first().waitFor({ timeout: T });
    expect(await audit(p)).toEqual([]);
  });

  it('the chat widget (pre-chat form and chat)', async () => {
    w = await launchBrowser({ name: 'a11y-widget', locale: 'zh-CN' });
    const p = w.page;
    await p.goto(`${h.url}/demo/`);
    await p.getByTestId('launcher').click();
    await p.getByTestId('prechat-form').waitFor({ timeout: T });
    // the widget only: the demo bank page around it is not ours to audit
    expect(await audit(p, '#cchub-webchat')).toEqual([]);
    await p.getByTestId('prechat-name').fill('访客');
    await p.getByTestId('prechat-submit').click();
    await p.getByTestId('composer').waitFor({ timeout: T });
    await p.getByTestId('composer').fill('我想激活信用卡');
    await p.getByTestId('composer').press('Enter');
    await p.locator('[data-testid=message][data-pending=false]').waitFor({ timeout: T });
    expect(await audit(p, '#cchub-webchat')).toEqual([]);
  });
});
