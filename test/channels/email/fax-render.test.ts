/**
 * Fax documents → page images with the real converters (tiff2pdf, pdftoppm), on fixtures made by
 * libtiff in the test: every compression fax services send, multi-page, PDF, the page cap, the
 * pixel cap, and documents that are broken or not a fax. And the sender's number from each source.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { faxSettings } from '../../../channels/email/fax/config.js';
import { faxNumber } from '../../../channels/email/fax/number.js';
import { FaxRenderError, renderFax } from '../../../channels/email/fax/render.js';
import { faxPdf, faxTiff, pngBars, slowPdf, tiffPages, type Compression } from '../../helpers/fax-docs.js';

const dir = mkdtempSync(join(tmpdir(), 'cchub-faxtest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const settings = faxSettings({});
let n = 0;
const file = (b: Buffer) => {
  const p = join(dir, `doc-${n++}`);
  writeFileSync(p, b);
  return p;
};

async function pages(doc: Buffer, s = settings) {
  const r = await renderFax(file(doc), s);
  try {
    return { kind: r.kind, pageCount: r.pageCount, images: r.pages.map((p) => pngBars(readFileSync(p))) };
  } finally {
    await r.cleanup();
  }
}

const SCHEMES: Record<Compression, string> = { g3: 'CCITT Group 3', g4: 'CCITT Group 4', packbits: 'PackBits', none: 'None' };

test.each(['g3', 'g4', 'packbits', 'none'] as const)('a %s TIFF of three pages: every page drawn, in order, the right shape', async (c) => {
  const doc = faxTiff(c, 3);
  // The fixture is what it claims (tiffcp did compress it so).
  expect(tiffPages(doc).map((p) => p.compression)).toEqual([SCHEMES[c], SCHEMES[c], SCHEMES[c]]);
  const r = await pages(doc);
  expect(r).toMatchObject({ kind: 'tiff', pageCount: 3 });
  // Page n has n bars: the pages are these pages, in this order.
  expect(r.images.map((i) => i.bars)).toEqual([1, 2, 3]);
  // 1728×1100 pixels at 204×98 dpi is a page 8.5 in wide and 11.2 in tall: drawn taller than wide
  // (read as square pixels it would be wider than tall).
  for (const i of r.images) {
    expect(i.height).toBe(settings.maxPagePixels);
    expect(i.width / i.height).toBeCloseTo(8.47 / 11.22, 1);
  }
});

test('a PDF fax: every page drawn', async () => {
  const r = await pages(faxPdf(2));
  expect(r).toMatchObject({ kind: 'pdf', pageCount: 2 });
  expect(r.images.map((i) => i.bars)).toEqual([1, 2]);
});

test('page and pixel caps: a 4-page fax with maxPages 2 draws 2 and counts 4; no side past maxPagePixels', async () => {
  const r = await pages(faxTiff('g4', 4), { ...settings, maxPages: 2, maxPagePixels: 400 });
  expect(r.pageCount).toBe(4);
  expect(r.images.map((i) => i.bars)).toEqual([1, 2]);
  for (const i of r.images) expect(Math.max(i.width, i.height)).toBe(400);
});

test('broken and foreign documents are refused with a reason, never thrown past FaxRenderError', async () => {
  const good = faxTiff('g4', 1);
  const cases: [string, Buffer, RegExp][] = [
    ['TIFF header, garbage after', Buffer.concat([good.subarray(0, 8), Buffer.alloc(200, 0x41)]), /tiff2pdf/],
    ['truncated TIFF', good.subarray(0, Math.floor(good.length / 3)), /tiff2pdf|pdfinfo|pdftoppm|pages/],
    ['PDF header, garbage after', Buffer.from('%PDF-1.4\nnot really\n'), /pdfinfo|pages/],
    ['a JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]), /not a TIFF or PDF/],
    ['empty', Buffer.alloc(0), /not a TIFF or PDF/],
  ];
  for (const [what, doc, reason] of cases) {
    const e = await renderFax(file(doc), settings).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e, what).toBeInstanceOf(FaxRenderError);
    expect((e as Error).message, what).toMatch(reason);
  }
});

test('the time cap: a document that takes too long to draw is refused with the reason (its converter killed) and the next one renders', async () => {
  // ~20 s of pdftoppm on this machine; the cap is 1.5 s.
  const t0 = Date.now();
  const e = await renderFax(file(slowPdf()), { ...settings, renderTimeoutMs: 1500 }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FaxRenderError);
  expect((e as Error).message).toMatch(/took longer than 1500 ms/);
  expect(Date.now() - t0).toBeLessThan(10_000);
  // Its render slot was given back: the next document (and one beside it) still renders.
  const [a, b] = await Promise.all([pages(faxTiff('g4', 1)), pages(faxPdf(1))]);
  expect([a.images[0]!.bars, b.images[0]!.bars]).toEqual([1, 1]);
});

test('the sender number: header first, then subject, then a Sender: line — never the Receiver: line', () => {
  const mail = (subject: string, text: string, headers: Record<string, string> = {}) => ({ subject, text, header: (h: string) => headers[h] });
  expect(faxNumber(mail('Fax from +86 10 8888 1234', '', { 'x-fax-from': '"Zhang" <+86 21 5555 0001>' }), settings)).toEqual({ number: '+862155550001', source: 'header' });
  expect(faxNumber(mail('Fax from +86 10 8888 1234', 'Sender: 021-5555-0001'), settings)).toEqual({ number: '+861088881234', source: 'subject' });
  expect(faxNumber(mail('传真来自 010-8888-1234', ''), settings)).toEqual({ number: '01088881234', source: 'subject' });
  const body = 'Receiver: +86 10 6666 0000\nPages: 3\nSender: +86 (21) 5555-0001\n';
  expect(faxNumber(mail('New fax received', body), settings)).toEqual({ number: '+862155550001', source: 'body' });
  expect(faxNumber(mail('New fax received', 'Receiver: +86 10 6666 0000\nPages: 3'), settings)).toBeUndefined();
  expect(faxNumber(mail('新传真', '接收方: 010-66660000\n发送方号码: 021-55550001'), settings)).toEqual({ number: '02155550001', source: 'body' });
  // Configurable: a service that writes "CSID=<number>".
  const custom = faxSettings({ bodyPatterns: [String.raw`CSID=(\+?\d+)`] });
  expect(faxNumber(mail('fax', 'TSI=123 CSID=+4930123456'), custom)).toEqual({ number: '+4930123456', source: 'body' });
});

test('fax settings: a bad pattern or gateway is refused by name', () => {
  expect(() => faxSettings({ subjectPatterns: ['(unclosed'] })).toThrow(/regular expression/);
  expect(() => faxSettings({ gateway: 'fax@fax.example' })).toThrow(/\{number\}/);
});
