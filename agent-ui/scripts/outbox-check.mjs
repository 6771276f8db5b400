// Dev aid: the widget's outbox against a live hub (through `vite preview` on :4173). Cuts the
// visitor's socket, sends two messages, reloads while still cut, restores the link, and checks that
// both arrive exactly once. Usage: node agent-ui/scripts/outbox-check.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HUB = process.argv[2] ?? 'http://127.0.0.1:4173';
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'cchub-outbox-')), {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
const check = (ok, what) => { console.log(ok ? 'ok  ' : 'FAIL', what); if (!ok) failed = true; };

// an agent must be signed in for the widget to offer chat
const a = ctx.pages()[0] ?? await ctx.newPage();
await a.goto(`${HUB}/console/`);
await a.getByTestId('login-username').fill('agent1');
await a.getByTestId('login-password').fill('agent1pass');
await a.getByTestId('login-submit').click();
await a.getByTestId('conv-list').waitFor();
await a.waitForTimeout(1000);

const v = await ctx.newPage();
let block = false;
const sockets = [];
await v.routeWebSocket(/socket\.io/, (ws) => {
  if (block) { ws.close(); return; }
  sockets.push(ws);
  ws.connectToServer();
});
await v.goto(`${HUB}/demo/`);
await v.getByTestId('launcher').click();
await v.getByTestId('prechat-name').fill('Outbox Tester');
await v.getByTestId('prechat-submit').click();
await v.getByTestId('composer').waitFor();
await v.waitForTimeout(1000);
block = true;
for (const s of sockets) await s.close();
await v.waitForTimeout(300);
for (const t of ['sent while offline 1', 'sent while offline 2']) {
  await v.getByTestId('composer').fill(t);
  await v.getByTestId('composer').press('Enter');
}
check(await v.locator('[data-testid=message][data-pending=true]').count() === 2, 'two pending bubbles while offline');
await v.reload();
await v.getByTestId('launcher').click();
await v.waitForTimeout(500);
check(await v.locator('[data-testid=message][data-pending=true]').count() === 2, 'still pending after a reload');
block = false;
const flushed = await v.waitForFunction(() => !localStorage.getItem('cchub.webchat.outbox'), null, { timeout: 40000 }).then(() => true, () => false);
check(flushed, 'outbox flushed after reconnect');
await v.reload();
await v.getByTestId('launcher').click();
await v.waitForTimeout(2500);
const texts = await v.locator('[data-testid=message]').allTextContents();
check(texts.filter((t) => t.includes('sent while offline 1')).length === 1 && texts.filter((t) => t.includes('sent while offline 2')).length === 1,
  `each message exactly once in history (${texts.length} messages)`);
check(await v.locator('[data-testid=message][data-pending=true]').count() === 0, 'nothing pending');
await ctx.close();
process.exit(failed ? 1 : 0);
