/**
 * The widget as a bank embeds it: one script tag on a page of *another origin* (a plain HTTP server on
 * another port), in headless Chromium. Session, socket, a message and an attachment upload all cross
 * origins (CORS preflights included); the agent receives both, and the browser logs no error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Socket } from 'socket.io-client';
import { Sockets } from '../helpers/sockets.js';
import { loginAs, startTestHub, type TestHub } from '../helpers/hub.js';
import { launchBrowser, screenshotDir, type TestBrowser } from '../helpers/browser.js';
import { nextEvent } from '../helpers/wait.js';

const T = 15_000;
let h: TestHub;
let bank: Server;
let bankUrl: string;
let browser: TestBrowser;
let agent: Socket;
const sockets = new Sockets();

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  if (!existsSync(join(process.cwd(), 'dist/widget/widget.js'))) throw new Error('dist/widget/widget.js missing: scripts/setup.sh builds it');
  h = await startTestHub({ name: 'e2e_embed' });
  // "localhost" for the bank, "127.0.0.1" for the hub: two origins even apart from the ports.
  bank = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another Bank</title></head>
<body><h1>Another Bank</h1><p>Our own page, on our own host.</p>
<script src="${h.url}/widget.js" async></script></body></html>`);
  });
  await new Promise<void>((r) => bank.listen(0, '127.0.0.1', () => r()));
  bankUrl = `http://localhost:${(bank.address() as AddressInfo).port}/`;
  // An agent signed in (so the widget offers the chat, not the offline form), listening for messages.
  agent = await sockets.connect(h.url, '/agent', await loginAs(h.url, 'agent1'));
  browser = await launchBrowser({ name: 'embed', locale: 'en-US' });
});

afterAll(async () => {
  sockets.closeAll();
  await browser?.close();
  await new Promise<void>((r) => (bank ? bank.close(() => r()) : r()));
  await h?.close();
});

test('one script tag on another origin: chat and attachment work, no browser error', async () => {
  const v = browser.page;
  await v.goto(bankUrl);
  expect(new URL(v.url()).origin).not.toBe(new URL(h.url).origin);
  await v.getByTestId('launcher').click({ timeout: T });
  await v.getByTestId('prechat-name').fill('Embedded Visitor', { timeout: T });
  await v.getByTestId('prechat-submit').click();
  await v.getByTestId('composer').waitFor({ timeout: T });

  const text = 'hello from another site';
  const got = nextEvent<any>(agent, 'message.created', (p) => p.message.text === text, T);
  await v.getByTestId('composer').fill(text);
  await v.getByTestId('composer').press('Enter');
  await v.locator('[data-testid=messages] [data-testid=message][data-direction=in][data-pending=false]').filter({ hasText: text }).waitFor({ timeout: T });
  expect((await got).conversation.customer.name).toBe('Embedded Visitor');

  const withFile = nextEvent<any>(agent, 'message.created', (p) => p.message.attachments?.[0]?.name === 'receipt.png', T);
  await v.getByTestId('attach-input').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: PNG });
  await v.getByTestId('send').click();
  const att = (await withFile).message.attachments[0];
  expect(att).toMatchObject({ contentType: 'image/png', size: PNG.length });

  await v.screenshot({ path: join(screenshotDir('e2e'), 'embed-other-origin.png') });
  expect(browser.errors).toEqual([]);
});
