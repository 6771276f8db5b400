/**
 * Headless Debian Chromium (/usr/bin/chromium) driven by playwright-core, never a downloaded browser.
 * Each call gets its own persistent context in a fresh temp user-data-dir (so two calls are two
 * independent "people": separate cookies, localStorage, network emulation), removed again on close().
 * Flags as in /work/shared/ARCHITECTURE.md.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CCHUB_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Extra flags for tests that use WebRTC / a fake microphone. */
export const CHROMIUM_WEBRTC_ARGS = [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required',
];

export interface TestBrowser {
  context: BrowserContext;
  /** The context's first page. */
  page: Page;
  /** The temp user-data-dir. */
  dir: string;
  /** Page errors, console errors and HTTP answers >= 400 seen so far (prefixed with the browser's name). */
  errors: string[];
  /** Close the browser and delete its user-data-dir; safe to call twice, never throws. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Used in the temp dir name and in error messages. */
  name?: string;
  viewport?: { width: number; height: number };
  /** navigator.language / Accept-Language, e.g. 'zh-CN'. */
  locale?: string;
  args?: string[];
  /** Phone emulation (meta viewport honoured, touch events), for the widget at 375×667. */
  isMobile?: boolean;
  hasTouch?: boolean;
  /** Browser permissions granted up front, e.g. ['notifications']. */
  permissions?: string[];
}

export async function launchBrowser(opts: LaunchOptions = {}): Promise<TestBrowser> {
  const name = opts.name ?? 'browser';
  const dir = mkdtempSync(join(tmpdir(), `cchub-e2e-${name.replace(/[^\w-]/g, '_')}-`));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      locale: opts.locale,
      isMobile: opts.isMobile,
      hasTouch: opts.hasTouch,
      permissions: opts.permissions,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const errors: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', (e) => errors.push(`${name} pageerror: ${e.message}`));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(`${name} console: ${m.text()}`); });
    p.on('response', (r) => { if (r.status() >= 400) errors.push(`${name} http ${r.status()}: ${r.request().method()} ${r.url()}`); });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context, page, dir, errors,
    async close() {
      if (closed) return;
      closed = true;
      // a wedged browser must not hang afterAll
      await Promise.race([context.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    },
  };
}

/** Where e2e screenshots go (gitignored). */
export function screenshotDir(sub = 'e2e'): string {
  const d = join(process.cwd(), 'test-results', sub);
  mkdirSync(d, { recursive: true });
  return d;
}
