// Dev aid: drives the built console and widget against a running hub and writes screenshots to
// .screenshots/. Usage: node agent-ui/scripts/screenshots.mjs [http://127.0.0.1:8080] [en|zh]
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HUB = process.argv[2] ?? 'http://127.0.0.1:8080';
const LOCALE = process.argv[3] ?? 'en';
const OUT = '.screenshots';
mkdirSync(OUT, { recursive: true });
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'cchub-shots-')), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 },
  locale: LOCALE === 'zh' ? 'zh-CN' : 'en-US',
});
const shot = (p, name) => p.screenshot({ path: join(OUT, `${LOCALE}-${name}.png`) }).then(() => console.log('wrote', name));
const log = (p, tag) => { p.on('console', (m) => m.type() === 'error' && console.log(tag, 'console:', m.text())); p.on('pageerror', (e) => console.log(tag, 'pageerror:', e.message)); };

const agent = ctx.pages()[0] ?? await ctx.newPage();
log(agent, 'console');
await agent.goto(`${HUB}/console/`);
await agent.getByTestId('login-submit').click();
await agent.waitForSelector('[data-testid=login-error]');
await shot(agent, '1-login-error');
await agent.getByTestId('login-username').fill(process.env.AGENT ?? 'super1');
await agent.getByTestId('login-password').fill(process.env.AGENT_PASS ?? 'super1pass');
await agent.getByTestId('login-password').press('Enter');
await agent.waitForSelector('[data-testid=conv-list]');
await agent.waitForTimeout(1500);
await shot(agent, '2-inbox');

const visitor = await ctx.newPage();
log(visitor, 'widget');
await visitor.goto(`${HUB}/demo/`);
await visitor.getByTestId('launcher').click();
await visitor.waitForTimeout(800);
await shot(visitor, '3-widget-start');
if (await visitor.getByTestId('prechat-name').count()) {
  await visitor.getByTestId('prechat-submit').click();
  await shot(visitor, '3b-widget-prechat-error');
  await visitor.getByTestId('prechat-name').fill('张三 Zhang San');
  await visitor.getByTestId('prechat-email').fill('zhang@example.com');
  await visitor.getByTestId('prechat-submit').click();
  await visitor.waitForSelector('[data-testid=composer]');
  await visitor.getByTestId('composer').fill('我的卡 6222 0212 3456 7890 被锁了 / my card is locked');
  await visitor.getByTestId('send').click();
  await visitor.waitForSelector('[data-testid=message][data-pending=false]', { timeout: 10000 }).catch(() => console.log('no ack'));
  await visitor.getByTestId('composer').fill('typing…');
  await shot(visitor, '4-widget-chat');
}

await agent.bringToFront();
await agent.waitForTimeout(1500);
await shot(agent, '5-inbox-after');
const item = agent.getByTestId('conv-item').first();
if (await item.count()) {
  await item.click();
  await agent.waitForSelector('[data-testid=reply-box]', { timeout: 10000 }).catch(() => console.log('no reply box'));
  await agent.waitForTimeout(800);
  await shot(agent, '6-conversation');
  if (await agent.getByTestId('reply-box').count()) {
    await agent.keyboard.press('/');
    await agent.keyboard.type('您好，已为您解锁。Your card is unlocked.');
    await agent.keyboard.press('Control+Enter');
    await agent.waitForTimeout(1200);
    await shot(agent, '7-replied');
    await agent.getByTestId('resolve').click();
    await agent.waitForTimeout(500);
    await shot(agent, '8-resolve-dialog');
    await agent.keyboard.press('Escape');
  }
}
await visitor.bringToFront();
await visitor.waitForTimeout(800);
await shot(visitor, '9-widget-reply');
// a reload restores the session and the history from localStorage + the `history` ack
await visitor.reload();
await visitor.getByTestId('launcher').click();
await visitor.waitForTimeout(1500);
console.log('messages after reload:', await visitor.getByTestId('message').count());
await shot(visitor, '10-widget-reloaded');
await ctx.close();
