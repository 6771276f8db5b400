/**
 * The console's mail and fax views in Debian Chromium, against a real hub reading a real mailbox
 * (OpenSMTPD → Dovecot). A mail carrying the XSS payloads issue 18 lists is delivered over SMTP;
 * every payload tries to call a binding the test exposes in every frame (xssFired) or to fetch from
 * a loopback HTTP server that counts requests. None may fire, nothing may be fetched while the mail
 * is shown, and the remote image (a tracking pixel) is fetched only after the agent clicks "Show
 * images". Links show their real target; quoted history is folded. A fax's pages page through,
 * zoom and rotate. Screenshots at 1366×768 and 375×667 go to test-results/mail-view.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Page } from 'playwright-core';
import { login as consoleLogin } from '../helpers/console-login.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { faxPdf, faxTiff } from '../helpers/fax-docs.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { startMailServers, type MailServers } from '../helpers/mail-servers.js';
import { waitFor } from '../helpers/wait.js';

// Each step's bound; a test takes several steps (mail fetched, listed, shown, rendered), so its own
// bound is their sum on a loaded two-core machine (the fax's pages are rendered by tiff2pdf+pdftoppm).
const T = 20_000;
let servers: MailServers;
let h: TestHub;
let b: TestBrowser;
let page: Page;
let pixels: Server;
let pixelBase = '';
const requests: string[] = [];
const fired: string[] = [];
const dialogs: string[] = [];
const SHOTS = screenshotDir('mail-view');

// Each payload names itself when it runs (xssFired) or when it fetches (the loopback server's path).
const payloads = (base: string) => `
<p>账单附件见下。Your statement.</p>
<script>xssFired('script')</script>
<scr<script>ipt>xssFired('nested-script')</scr</script>ipt>
<img src="x" onerror="xssFired('img-onerror')">
<div onmouseover="xssFired('onmouseover')" id="hover">hover target</div>
<body onload="xssFired('body-onload')">
<svg onload="xssFired('svg-onload')"><script>xssFired('svg-script')</script><image href="${base}/svg-image"/></svg>
<a href="javascript:xssFired('js-link')">js link</a>
<a href="data:text/html,&lt;script&gt;xssFired('data-link')&lt;/script&gt;">data link</a>
<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;xssFired('entity-link')">entity link</a>
<a href="jav&#x09;ascript:xssFired('tab-link')">tab link</a>
&lt;script&gt;xssFired('entity-script')&lt;/script&gt;
<iframe srcdoc="&lt;script&gt;parent.xssFired('srcdoc')&lt;/script&gt;"></iframe>
<iframe src="${base}/iframe-src"></iframe>
<meta http-equiv="refresh" content="0;url=${base}/meta-refresh">
<style>body{background:url(${base}/css-style)} @import url(${base}/css-import);</style>
<link rel="stylesheet" href="${base}/css-link">
<div style="background-image:url(${base}/css-inline)">styled</div>
<form action="${base}/form" method="get"><input name="q" value="x" autofocus onfocus="xssFired('onfocus')"><button formaction="javascript:xssFired('formaction')">go</button></form>
<object data="javascript:xssFired('object')"></object><embed src="${base}/embed">
<math><mtext><table><mglyph><style><img src=x onerror="xssFired('mxss')"></style></mglyph></table></mtext></math>
<video poster="${base}/poster"><source src="${base}/video"></video>
<img src="${base}/pixel.png" width="20" height="20" alt="logo">
<p><a href="http://evil.example/login">https://bank.example/login</a></p>
<blockquote><p>On 1 Dec, service@bank.example wrote:</p><p>QUOTED-HISTORY-LINE</p></blockquote>
`;

beforeAll(async () => {
  pixels = createServer((req, res) => {
    requests.push(req.url ?? '');
    pixels.emit('hit', req.url);
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
  });
  pixels.listen(0, '127.0.0.1');
  await once(pixels, 'listening');
  pixelBase = `http://127.0.0.1:${(pixels.address() as { port: number }).port}`;
  servers = await startMailServers([
    { name: 'service', password: 'service-pass' },
    { name: 'fax', password: 'fax-pass' },
  ]);
  const box = (name: string, kind: 'email' | 'fax') => ({
    name,
    address: `${name}@bank.example`,
    queue: 'general',
    kind,
    imap: { host: servers.host, port: servers.imapPort, secure: false, user: name, password: `${name}-pass`, folder: 'INBOX' },
    smtp: { host: servers.host, port: servers.smtpPort, secure: false },
  });
  h = await startTestHub({ name: 'e2e_mail_view', overrides: { email: { enabled: true, mailboxes: [box('service', 'email'), box('fax', 'fax')] } } });
  b = await launchBrowser({ name: 'mail-agent', locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
  page = b.page;
  // In every frame, the console's and the mail's: a payload that runs calls it.
  await page.exposeBinding('xssFired', (_src, what: string) => void fired.push(String(what)));
  page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
}, 180_000);
afterAll(async () => {
  await b?.close();
  await h?.close();
  await servers?.stop();
  pixels?.close();
});

const login = (user: string) => consoleLogin(page, h.url, user, { timeout: T });

async function open(externalId: string) {
  const msg = (await waitFor(() => h.hub.m.Message.findOne({ externalId }).lean(), T, externalId)) as any;
  const item = page.locator(`[data-testid=conv-item][data-conv-id="${msg.conversationId}"]`);
  await item.waitFor({ timeout: T });
  await item.click();
  return msg;
}

describe('mail and fax in the console', () => {
  it('no XSS payload runs, nothing remote is fetched until "Show images", links show their target, history is folded', async () => {
    const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });
    await smtp.sendMail({
      from: '"张三" <zhang.san@example.cn>',
      to: 'service@bank.example',
      cc: 'li.si@example.cn',
      subject: '对账单疑问 <script>xssFired("subject")</script>',
      text: 'plain part',
      html: payloads(pixelBase),
      messageId: '<xss-1@example.cn>',
    });
    await login('agent1');
    await open('xss-1@example.cn');
    const mail = page.getByTestId('mail');
    await mail.waitFor({ timeout: T });
    expect(await mail.getByTestId('mail-subject').textContent()).toBe('对账单疑问 <script>xssFired("subject")</script>');
    expect(await mail.getByTestId('mail-from').textContent()).toBe('张三 <zhang.san@example.cn>');
    expect(await mail.getByTestId('mail-to').textContent()).toBe('service@bank.example');
    expect(await mail.getByTestId('mail-cc').textContent()).toBe('li.si@example.cn');

    const frame = page.frameLocator('[data-testid=mail-frame]');
    await frame.locator('body').getByText('Your statement').waitFor({ timeout: T });
    // Give every payload its chance: hover, focus, click each link inside the mail.
    await frame.locator('#hover').hover().catch(() => undefined);
    for (const a of await frame.locator('a').all()) await a.click({ modifiers: ['Control'], timeout: 2000 }).catch(() => undefined);
    // The console's own page has finished loading the mail (its frame's load event has fired):
    // whatever would have been fetched or run by now has been.
    await page.locator('[data-testid=mail-frame]').evaluate((f: HTMLIFrameElement) => (f.contentDocument?.readyState === 'complete' ? null : new Promise((r) => f.addEventListener('load', r, { once: true }))));
    expect(fired).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([]);

    // The real target of a link whose text claims another.
    expect(await frame.locator('body').textContent()).toContain('[evil.example]');
    // Quoted history folded.
    expect(await frame.locator('details.quoted').evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
    expect(await frame.getByText('QUOTED-HISTORY-LINE').isVisible()).toBe(false);
    await page.getByTestId('mail-remote-blocked').waitFor({ timeout: T });
    await page.screenshot({ path: join(SHOTS, 'mail-1366x768.png') });

    // The agent asks for the images: the pixel (only it) is fetched now.
    const hit = new Promise<string>((r) => pixels.once('hit', r));
    await page.getByTestId('mail-show-images').click();
    expect(await hit).toBe('/pixel.png');
    await frame.locator('img[alt=logo]').evaluate((i: HTMLImageElement) => (i.complete ? null : new Promise((r) => i.addEventListener('load', r, { once: true }))));
    // Only the pixel (Chromium may ask for it more than once: it is served uncacheable).
    expect([...new Set(requests)]).toEqual(['/pixel.png']);
    expect(fired).toEqual([]);

    await page.setViewportSize({ width: 375, height: 667 });
    await page.getByTestId('mail').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'mail-375x667.png') });
    await page.setViewportSize({ width: 1366, height: 768 });
  }, 150_000);

  it('an inline cid: image shows in the body from the stored part (authorised blob:, frame still sandboxed), not again as an attachment', async () => {
    const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    await smtp.sendMail({
      from: 'wang.wu@example.cn',
      to: 'service@bank.example',
      subject: '截图 cid',
      html: '<p>CID-MAIL 见截图：</p><img src="cid:shot-1@example.cn" alt="cidshot">',
      attachments: [{ filename: 'shot.png', content: png, contentType: 'image/png', cid: 'shot-1@example.cn' }],
      messageId: '<cid-1@example.cn>',
    });
    const before = requests.length;
    const msg = await open('cid-1@example.cn');
    expect(msg.attachments).toMatchObject([{ name: 'shot.png', cid: 'shot-1@example.cn' }]);
    const mail = page.getByTestId('mail').filter({ hasText: '截图 cid' });
    await mail.waitFor({ timeout: T });
    const frame = mail.frameLocator('[data-testid=mail-frame]');
    const img = frame.locator('img[alt=cidshot]');
    await expect.poll(() => img.getAttribute('src'), { timeout: T }).toMatch(/^blob:/);
    await img.evaluate((i: HTMLImageElement) => (i.complete ? null : new Promise((r) => i.addEventListener('load', r, { once: true }))));
    expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(1);
    // Still no scripts in the frame, and the part is not listed again below the body.
    expect(await mail.getByTestId('mail-frame').getAttribute('sandbox')).not.toContain('allow-scripts');
    expect(await mail.getByTestId('attachment').count()).toBe(0);
    expect(requests.length).toBe(before);
    expect(fired).toEqual([]);
  }, 150_000);

  it('a fax: its pages page through, zoom and rotate; the agent attaches a document and faxes it back', async () => {
    const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: 'noreply@efax.example', to: 'fax@bank.example', subject: 'Fax from +86 10 8888 1234', text: '3 pages', messageId: '<fax-e2e@efax.example>', attachments: [{ filename: 'fax.tif', content: faxTiff('g4', 3), contentType: 'image/tiff' }] });
    const msg = await open('fax-e2e@efax.example');
    const viewer = page.getByTestId('fax-viewer');
    await viewer.waitFor({ timeout: T });
    const img = viewer.getByTestId('fax-page');
    await expect.poll(() => img.getAttribute('data-page'), { timeout: T }).toBe('1');
    await img.evaluate((i: HTMLImageElement) => (i.complete && i.naturalWidth ? null : new Promise((r) => i.addEventListener('load', r, { once: true }))));
    expect(await img.evaluate((i: HTMLImageElement) => i.naturalHeight > i.naturalWidth)).toBe(true);
    expect(await viewer.getByTestId('fax-page-no').textContent()).toBe('第 1 页，共 3 页');
    await viewer.getByTestId('fax-next').click();
    await viewer.getByTestId('fax-next').click();
    await expect.poll(() => img.getAttribute('data-page'), { timeout: T }).toBe('3');
    expect(await viewer.getByTestId('fax-next').isDisabled()).toBe(true);
    await viewer.getByTestId('fax-zoom-in').click();
    expect(await viewer.getByTestId('fax-zoom').textContent()).toBe('125%');
    await viewer.getByTestId('fax-rotate').click();
    expect(await img.getAttribute('data-rotation')).toBe('90');
    await page.screenshot({ path: join(SHOTS, 'fax-1366x768.png') });
    await page.setViewportSize({ width: 375, height: 667 });
    await viewer.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'fax-375x667.png') });
    await page.setViewportSize({ width: 1366, height: 768 });
    // The reply box of a fax takes a document (uploaded when picked), sent with the cover note.
    await page.getByTestId('fax-doc-input').setInputFiles({ name: '回传.pdf', mimeType: 'application/pdf', buffer: faxPdf(1) });
    await page.getByTestId('fax-doc').waitFor({ timeout: T });
    await page.getByTestId('reply-box').fill('请签署后回传');
    await page.getByTestId('send').click();
    const out = (await waitFor(() => h.hub.m.Message.findOne({ conversationId: msg.conversationId, direction: 'out' }).lean(), T, 'fax reply stored')) as any;
    expect(out.attachments.map((a: any) => [a.name, a.contentType])).toEqual([['回传.pdf', 'application/pdf']]);
    expect(fired).toEqual([]);
  }, 150_000);
});
