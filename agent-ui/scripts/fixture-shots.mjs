// Dev aid: the console with canned API answers (every channel, VIP/gold tiers, an email with html,
// card/ID numbers, an attachment, history) for visual checks without seeded data. Needs `vite preview`
// on :4173 and a hub behind it for login. Usage: node agent-ui/scripts/fixture-shots.mjs [en|zh]
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const HUB = 'http://127.0.0.1:4173';
const LOCALE = process.argv[2] ?? 'en';
const ago = (m) => new Date(Date.now() - m * 60000).toISOString();
const C = (id, channel, name, tier, status, preview, m, extra = {}) => ({ id, channel, status, queue: tier === 'vip' ? 'vip' : 'general', priority: 0,
  assignee: status === 'assigned' ? { id: 'x', name: '李娜 Li Na' } : null, customer: { id: 'cu' + id, name, tier },
  lastMessageAt: ago(m), lastMessagePreview: preview, unreadCount: status === 'queued' ? 2 : 0, tags: [], createdAt: ago(m + 5), updatedAt: ago(m), ...extra });
const items = [
  C('a1', 'email', '张伟 Zhang Wei', 'vip', 'queued', '信用卡账单疑问 card 6222021234567890', 1, { subject: '账单疑问 Statement question' }),
  C('a2', 'sms', 'Wong Siu Ling', 'gold', 'assigned', 'TD', 3),
  C('a3', 'voice', '+86 138 0013 8000', 'standard', 'queued', 'Voicemail 0:32', 12),
  C('a4', 'fax', 'ACME Trading Ltd', 'standard', 'pending', 'Fax: 3 pages (loan application)', 60),
  C('a5', 'webchat', '访客 Visitor', 'standard', 'resolved', 'Thanks, bye', 300),
];
const msgs = [
  { id: 'm1', conversationId: 'a1', direction: 'in', channel: 'email', author: { type: 'customer', name: '张伟 Zhang Wei' }, text: '', html: '<p>您好，</p><p>我的卡 <b>6222 0212 3456 7890</b> 本月账单有一笔不认识的交易。身份证 110101199003071234。</p><script>alert(1)</script><img src="http://evil/x.png"><p><a href="https://example.com">details</a></p>', attachments: [{ id: 'f1', name: 'statement.pdf', contentType: 'application/pdf', size: 183000 }], status: 'received', createdAt: ago(5), updatedAt: ago(5) },
  { id: 'm2', conversationId: 'a1', direction: 'out', channel: 'email', author: { type: 'system' }, text: 'Assigned to queue vip', attachments: [], status: 'sent', createdAt: ago(4), updatedAt: ago(4) },
  { id: 'm3', conversationId: 'a1', direction: 'out', channel: 'email', author: { type: 'agent', name: '李娜 Li Na' }, text: '张先生您好，我们正在核实该笔交易。', attachments: [], status: 'delivered', createdAt: ago(2), updatedAt: ago(2) },
];
const detail = { conversation: items[0], customer: { id: 'cua1', name: '张伟 Zhang Wei', tier: 'vip', segment: 'private banking', language: 'zh',
  identities: [{ channel: 'voice', address: '+86 138****8000' }, { channel: 'email', address: 'zhang.wei@example.com' }] },
  messages: msgs, history: [C('h1', 'voice', '张伟 Zhang Wei', 'vip', 'resolved', 'Card activation call', 60 * 24 * 3, { disposition: { code: 'card_activation', note: 'activated card 6222021234567890' } }), C('h2', 'email', '张伟 Zhang Wei', 'vip', 'closed', 'Wealth product enquiry', 60 * 24 * 20)] };
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'f-')), {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 800 }, locale: LOCALE === 'zh' ? 'zh-CN' : 'en-US',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const p = ctx.pages()[0] ?? await ctx.newPage();
p.on('pageerror', (e) => console.log('pageerror', e.message));
p.on('dialog', (d) => { console.log('DIALOG (xss!)', d.message()); d.dismiss(); });
await p.route('**/api/conversations?*', (r) => r.fulfill({ json: { items, nextCursor: 'x' } }));
await p.route('**/api/conversations/a1', (r) => r.fulfill({ json: detail }));
await p.route('**/api/conversations/a1/read', (r) => r.fulfill({ json: { conversation: { ...items[0], unreadCount: 0, updatedAt: new Date().toISOString() } } }));
await p.goto(`${HUB}/console/`);
await p.getByTestId('login-username').fill('super1');
await p.getByTestId('login-password').fill('super1pass');
await p.getByTestId('login-submit').click();
await p.getByTestId('conv-item').first().waitFor();
await p.getByTestId('conv-item').first().click();
await p.getByTestId('message').first().waitFor();
await p.waitForTimeout(800);
await p.screenshot({ path: `.screenshots/fixture-${LOCALE}.png` });
console.log('html has script?', await p.locator('.bubble-html script').count(), 'img', await p.locator('.bubble-html img').count());
await ctx.close();
