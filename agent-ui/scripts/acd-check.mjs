// Dev aid: drives the ACD parts of the console against a live hub and writes screenshots to
// .screenshots/acd-*.png. Needs a hub whose `general` queue does NOT auto-accept web chat, so chats ring
// (queues.routing = { autoAccept: ['email'], offerTimeoutSec: 25, wrapUpSec: 45 }), and — for the
// wrap-up part — MONGO_URI of that hub's store to insert a voice contact (there is no voice channel yet).
// Use a throwaway hub: it signs agents in and out, rejects, misses and reassigns contacts.
// Usage: MONGO_URI=mongodb://127.0.0.1:PORT/cchub node agent-ui/scripts/acd-check.mjs http://127.0.0.1:8091
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const HUB = process.argv[2] ?? 'http://127.0.0.1:8091';
const OUT = '.screenshots';
mkdirSync(OUT, { recursive: true });
const ok = (cond, what) => { console.log(cond ? 'PASS' : 'FAIL', what); if (!cond) process.exitCode = 1; };

async function login(u, p) {
  const r = await fetch(`${HUB}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) });
  return (await r.json()).token;
}
const call = async (token, method, path, body) => {
  const r = await fetch(`${HUB}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json().catch(() => null) };
};
const sockets = [];
/** A web chat visitor (no browser): session + first message. Returns its conversation id once stored. */
async function visitor(name, text) {
  const r = await fetch(`${HUB}/api/webchat/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, email: `${randomUUID().slice(0, 8)}@example.com` }) });
  const { token } = await r.json();
  const s = io(`${HUB}/webchat`, { auth: { token }, transports: ['websocket'] });
  sockets.push(s);
  await new Promise((res) => s.once('connect', res));
  const ack = await s.timeout(10000).emitWithAck('message.send', { clientId: randomUUID(), text });
  return ack.message?.conversationId;
}

// one browser profile per user: the console keeps its token in localStorage
const profile = () => chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'cchub-acd-')), {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 800 }, locale: 'en-US',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctx = await profile();
const ctxSup = await profile();
const shot = (p, name) => p.screenshot({ path: join(OUT, `acd-${name}.png`) }).then(() => console.log('wrote', name));
const watch = (p, tag) => { p.on('response', (r) => r.status() >= 400 && console.log(tag, 'HTTP', r.status(), r.request().method(), r.url())); p.on('pageerror', (e) => console.log(tag, 'pageerror:', e.message)); p.on('console', (m) => m.type() === 'error' && console.log(tag, 'console:', m.text())); };
async function consoleLogin(page, u, p) {
  await page.goto(`${HUB}/console/#/login`);
  await page.evaluate(() => localStorage.setItem('cchub.console.locale', 'en'));
  await page.reload();
  await page.getByTestId('login-username').fill(u);
  await page.getByTestId('login-password').fill(p);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('agent-state').waitFor();
}

// --- agent1: state control ---------------------------------------------------------------------
const a1 = ctx.pages()[0] ?? await ctx.newPage();
watch(a1, 'agent1');
await consoleLogin(a1, 'agent1', 'agent1pass');
await a1.waitForSelector('[data-testid=agent-state][data-state=available]', { timeout: 10000 }).catch(() => undefined);
ok(await a1.getByTestId('agent-state').getAttribute('data-state') === 'available', 'agent set available on opening the console');
await a1.waitForTimeout(1500);
await shot(a1, '01-header-available');
await a1.getByTestId('agent-state').focus();
await a1.keyboard.press('Enter');
await a1.getByTestId('agent-state-menu').waitFor();
ok(await a1.evaluate(() => document.activeElement?.getAttribute('data-testid')) === 'state-available', 'menu opens with focus on the first item');
await a1.keyboard.press('ArrowDown');
await a1.keyboard.press('ArrowDown');
await shot(a1, '02-state-menu');
await a1.keyboard.press('Enter'); // Not ready: Meal
await a1.waitForSelector('[data-testid=agent-state][data-state=notready]', { timeout: 5000 });
ok((await a1.getByTestId('agent-state').innerText()).includes('Meal'), 'not ready with reason Meal shown');
ok(await a1.evaluate(() => document.activeElement?.getAttribute('data-testid')) === 'agent-state', 'focus back on the state button');
await a1.waitForTimeout(2200);
await shot(a1, '03-header-notready');
await a1.keyboard.press('Enter');
await a1.keyboard.press('Escape');
ok(await a1.getByTestId('agent-state-menu').count() === 0, 'Esc closes the menu');
await a1.getByTestId('agent-state').click();
await a1.getByTestId('state-available').click();
await a1.waitForSelector('[data-testid=agent-state][data-state=available]');

// --- offers: accept with A, reject with Alt+R, miss one (RONA) -------------------------------------
const c1 = await visitor('Offer Accept', 'I need help with my statement');
await a1.getByTestId('offer-card').waitFor({ timeout: 10000 });
await a1.waitForTimeout(1200);
await shot(a1, '04-offer-card');
const secs = Number(await a1.getByTestId('offer-countdown').getAttribute('data-seconds'));
ok(secs > 15 && secs <= 25, `countdown starts near the 25 s offer timeout (${secs})`);
await a1.getByTestId('offer-card').focus();
await a1.keyboard.press('a');
await a1.waitForURL(new RegExp(`#/${c1}$`), { timeout: 5000 }).catch(() => undefined);
ok(a1.url().endsWith(`#/${c1}`), 'A on the focused card accepts and opens the conversation');
ok(await a1.getByTestId('offer-card').count() === 0, 'card gone after accept');

const c2 = await visitor('Offer Reject', 'Reject me');
await a1.getByTestId('offer-card').waitFor({ timeout: 10000 });
await a1.getByTestId('reply-box').focus();
await a1.keyboard.press('Alt+r');
await a1.getByTestId('offer-card').waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
ok(await a1.getByTestId('offer-card').count() === 0, 'Alt+R rejects from the reply box');

await visitor('Offer Missed', 'Nobody answers');
await a1.getByTestId('offer-card').waitFor({ timeout: 10000 });
await a1.getByTestId('rona-notice').waitFor({ timeout: 35000 });
ok(await a1.getByTestId('offer-card').count() === 0, 'card gone at the deadline');
ok(await a1.getByTestId('agent-state').getAttribute('data-state') === 'notready', 'RONA: agent is not ready');
await a1.waitForTimeout(500);
await shot(a1, '05-rona');
await a1.getByTestId('rona-available').click();
await a1.waitForSelector('[data-testid=agent-state][data-state=available]');
ok(await a1.getByTestId('rona-notice').count() === 0, 'notice gone once available');

// --- voice contact → wrap-up ----------------------------------------------------------------------
const sup = await login('super1', 'super1pass');
if (process.env.MONGO_URI) {
  const { default: mongoose } = await import('mongoose');
  await mongoose.connect(process.env.MONGO_URI);
  const db = mongoose.connection.db;
  const cust = await db.collection('customers').findOne({});
  const id = new mongoose.Types.ObjectId();
  const now = new Date();
  await db.collection('conversations').insertOne({ _id: id, customerId: cust._id, customerName: cust.name, customerTier: cust.tier ?? 'standard',
    channel: 'voice', status: 'queued', openKey: `voice:${id}`, queue: 'general', priority: 0, requiredSkills: [], assigneeId: null, assigneeName: null,
    subject: 'Inbound call', lastMessageAt: now, lastMessagePreview: 'Inbound call', unreadCount: 0, messageCount: 0, queuedAt: now, tags: [],
    channelData: {}, createdAt: now, updatedAt: now });
  await mongoose.disconnect();
  // any supervisor command about a conversation makes routing aware of it
  await call(sup, 'POST', `/api/acd/conversations/${id}/priority`, { priority: 10 });
  const voiceCard = a1.locator('[data-testid=offer-card][data-channel=voice]');
  await voiceCard.waitFor({ timeout: 10000 });
  await a1.waitForTimeout(1000);
  await shot(a1, '05b-voice-offer');
  await voiceCard.getByTestId('offer-accept').click();
  // a chat re-offered meanwhile would ring out (RONA → not ready → no wrap-up): turn it down
  for (const c of await a1.locator('[data-testid=offer-card][data-channel=webchat]').all()) await c.getByTestId('offer-reject').click();
  await a1.waitForURL(new RegExp(`#/${id}$`));
  await a1.getByTestId('resolve').click();
  await a1.getByTestId('wrapup-select').selectOption('resolved');
  await a1.getByTestId('resolve-confirm').click();
  await a1.getByTestId('wrapup-timer').waitFor({ timeout: 5000 });
  await a1.waitForTimeout(2100);
  await shot(a1, '06-wrapup');
  ok(/\d:\d\d/.test(await a1.getByTestId('wrapup-timer').innerText()), 'wrap-up countdown shown');
  await a1.getByTestId('wrapup-end').click();
  await a1.waitForSelector('[data-testid=agent-state][data-state=available]', { timeout: 5000 });
  ok(true, 'end wrap-up → available');
} else console.log('SKIP voice/wrap-up (no MONGO_URI)');

// --- fill agent1 (3 chats) so others wait -----------------------------------------------------------
// (chats re-offered after the reject/RONA above may ring too: accept whatever rings). The hub shows
// `busy` only when every channel is full or on a voice call, so 3/3 chats is still "available".
const a1token = await login('agent1', 'agent1pass');
const chats = async () => (await call(a1token, 'GET', '/api/acd/me')).body.agent?.load?.webchat ?? 0;
for (let i = 0; i < 8 && (await chats()) < 3; i++) {
  const card = a1.getByTestId('offer-card').first();
  if (!(await card.isVisible({ timeout: 3000 }).catch(() => false))) await visitor(`Chat ${i + 2}`, `Hello from chat ${i + 2}`);
  await card.waitFor({ timeout: 10000 });
  await card.getByTestId('offer-accept').click();
  await a1.waitForTimeout(800);
}
ok((await chats()) === 3, 'agent1 holds 3 chats');
for (const n of ['张伟 Zhang Wei', 'Wong Siu Ling', 'Waiting Four']) await visitor(n, 'waiting…');

// --- widget: queue position ------------------------------------------------------------------------
const w = await ctx.newPage();
watch(w, 'widget');
await w.goto(`${HUB}/demo/`);
await w.getByTestId('launcher').click();
await w.getByTestId('prechat-name').fill('Queue Visitor');
await w.getByTestId('prechat-email').fill('q@example.com');
await w.getByTestId('prechat-submit').click();
await w.getByTestId('composer').fill('Is anyone there?');
await w.getByTestId('send').click();
await w.getByTestId('queue-position').waitFor({ timeout: 15000 }).catch(() => undefined);
const qtext = await w.getByTestId('queue-position').innerText().catch(() => '');
ok(/number \d+ in the queue/.test(qtext), `widget shows queue position: "${qtext}"`);
await shot(w, '07-widget-queue');

// --- supervisor -----------------------------------------------------------------------------------
const s = ctxSup.pages()[0] ?? await ctxSup.newPage();
watch(s, 'super1');
await consoleLogin(s, 'super1', 'super1pass');
await s.getByTestId('nav-supervisor').click();
await s.getByTestId('sup-waiting-item').first().waitFor({ timeout: 10000 });
await s.waitForTimeout(1500);
await shot(s, '08-supervisor');
ok(await s.getByTestId('sup-waiting-item').count() >= 4, 'waiting list has the waiting chats');
const a1row = s.locator('[data-testid=sup-agent]', { hasText: 'Li Na' });
ok((await a1row.innerText()).includes('3/3'), 'agent row shows web chat 3/3');

// priority: the item jumps to the top
const last = s.getByTestId('sup-waiting-item').last();
const lastId = await last.getAttribute('data-conv-id');
await last.getByTestId('sup-priority').fill('50');
await last.getByTestId('sup-priority').press('Enter');
await s.waitForSelector(`[data-testid=sup-waiting-item][data-conv-id="${lastId}"][data-priority="50"]`, { timeout: 5000 }).catch(() => undefined);
ok(await s.getByTestId('sup-waiting-item').first().getAttribute('data-conv-id') === lastId, 'priority 50 moves it to the top');
// move to another queue
const first = s.getByTestId('sup-waiting-item').first();
await first.getByTestId('sup-move').selectOption('cards');
await s.waitForTimeout(1500);
ok((await s.locator(`[data-testid=sup-waiting-item][data-conv-id="${lastId}"]`).innerText()).includes('Credit cards'), 'moved to Credit cards');
// force not ready → agent1's header follows live
await a1row.getByTestId('sup-force-notready').click();
await a1.waitForSelector('[data-testid=agent-state][data-state=notready]', { timeout: 5000 }).catch(() => undefined);
ok((await a1.getByTestId('agent-state').innerText()).includes('Set by supervisor'), 'agent1 sees Not ready · Set by supervisor');
await shot(a1, '09-agent-forced');
await a1row.getByTestId('sup-force-available').click();
await a1.waitForSelector('[data-testid=agent-state][data-state=available]', { timeout: 5000 }).catch(() => undefined);
ok(await a1.getByTestId('agent-state').getAttribute('data-state') === 'available', 'forced available');
// reassign a waiting chat to agent1 although full (force)
const r1 = s.getByTestId('sup-waiting-item').nth(1);
const r1Id = await r1.getAttribute('data-conv-id');
await r1.getByTestId('sup-reassign').click();
await s.getByTestId('agent-picker').waitFor();
await s.locator('[data-testid=picker-agent]', { hasText: 'Li Na' }).click();
await shot(s, '10-picker');
ok(await s.getByTestId('picker-confirm').isDisabled(), 'full agent needs force');
await s.getByTestId('picker-force').check();
await s.getByTestId('picker-confirm').click();
await s.getByTestId('agent-picker').waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
await s.waitForTimeout(1500);
ok(await s.locator(`[data-testid=sup-waiting-item][data-conv-id="${r1Id}"]`).count() === 0, 'reassigned chat left the waiting list');
ok((await a1row.innerText()).includes('4/3'), 'agent1 now 4/3');
// take over a waiting chat → opens it
const t1 = s.getByTestId('sup-waiting-item').first();
const t1Id = await t1.getAttribute('data-conv-id');
await t1.getByTestId('sup-takeover').click();
await s.waitForURL(new RegExp(`#/${t1Id}$`), { timeout: 5000 }).catch(() => undefined);
ok(s.url().endsWith(`#/${t1Id}`), 'take over opens the conversation');
await s.getByTestId('conversation').waitFor();
await s.waitForTimeout(800);
await shot(s, '11-takeover-conversation');
// conversation pane: reassign back to agent1 via its button
ok(await s.getByTestId('conv-reassign').count() === 1, 'pane has Reassign');
ok(await s.getByTestId('conv-takeover').count() === 0, 'no Take over on your own conversation');
// log agent1 out (confirm)
await s.getByTestId('nav-supervisor').click();
await s.locator('[data-testid=sup-agent]', { hasText: 'Li Na' }).getByTestId('sup-logout').click();
await s.getByTestId('confirm-dialog').waitFor();
await shot(s, '12-confirm-logout');
await s.getByTestId('confirm-ok').click();
await a1.waitForSelector('[data-testid=agent-state][data-state=offline]', { timeout: 5000 }).catch(() => undefined);
ok(await a1.getByTestId('agent-state').getAttribute('data-state') === 'offline', 'agent1 sees offline after log out');
await s.waitForTimeout(1500);
await shot(s, '13-supervisor-after');
// zh
await s.getByTestId('locale-switch').selectOption('zh');
await s.waitForTimeout(600);
await shot(s, '14-supervisor-zh');
await a1.getByTestId('locale-switch').selectOption('zh');
await a1.getByTestId('agent-state').click();
await a1.waitForTimeout(300);
await shot(a1, '15-state-menu-zh');

for (const x of sockets) x.close();
await ctx.close();
await ctxSup.close();
