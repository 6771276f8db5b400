/**
 * Fax documents for tests, made with Debian's libtiff tools rather than committed binaries: a
 * bilevel page drawn here (PBM), then ppm2tiff / tiffcp for each compression fax services use (G3,
 * G4, PackBits, none), tiffcp to join pages, tiffset for the 204×98 dpi of a standard-resolution
 * fax, and tiff2pdf for PDF. Each page carries a different number of black bars, so a test can tell
 * the pages apart after rendering.
 */
import { execFileSync } from 'node:child_process';
import { deflateSync, inflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Compression = 'g3' | 'g4' | 'packbits' | 'none';

/** A 1728-pixel-wide fax page (the G3 line width) with `bars` horizontal black bars. */
function pbm(bars: number, height = 1100): Buffer {
  const w = 1728;
  const row = w / 8;
  const body = Buffer.alloc(row * height);
  for (let b = 0; b < bars; b++) {
    const top = 60 + b * 80;
    for (let y = top; y < top + 40 && y < height; y++) body.fill(0xff, y * row + 12, y * row + row - 12);
  }
  return Buffer.concat([Buffer.from(`P4\n${w} ${height}\n`), body]);
}

/** A TIFF of `pages` pages (page n has n bars), compressed as asked, at 204×98 dpi. */
export function faxTiff(compression: Compression, pages = 1): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cchub-faxdoc-'));
  try {
    const files: string[] = [];
    for (let p = 1; p <= pages; p++) {
      writeFileSync(join(dir, `p${p}.pbm`), pbm(p));
      const g4 = join(dir, `p${p}.g4.tif`);
      execFileSync('ppm2tiff', ['-c', 'g4', '-R', '204', join(dir, `p${p}.pbm`), g4]);
      execFileSync('tiffset', ['-s', '283', '98', g4]); // YResolution: standard fax resolution
      files.push(g4);
    }
    const out = join(dir, 'fax.tif');
    execFileSync('tiffcp', ['-c', compression === 'g3' ? 'g3:2d' : compression, ...files, out]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PDF of `pages` fax pages (tiff2pdf over a G4 TIFF: CCITT images inside, as fax services send). */
export function faxPdf(pages = 1): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cchub-faxdoc-'));
  try {
    writeFileSync(join(dir, 'in.tif'), faxTiff('g4', pages));
    execFileSync('tiff2pdf', ['-o', join(dir, 'out.pdf'), join(dir, 'in.tif')]);
    return readFileSync(join(dir, 'out.pdf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Width, height and the compression of each page, as tiffinfo reports them. */
export function tiffPages(doc: Buffer): { compression: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'cchub-faxdoc-'));
  try {
    writeFileSync(join(dir, 'x.tif'), doc);
    const info = execFileSync('tiffinfo', [join(dir, 'x.tif')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return [...info.matchAll(/Compression Scheme: (.+)/g)].map((m) => ({ compression: m[1].trim() }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A PNG's size and the dark bars crossing its middle column (8-bit grey or RGB, non-interlaced: what
 * pdftoppm writes), read with zlib alone, so a test can see which page an image is and its shape.
 */
export function pngBars(png: Buffer): { width: number; height: number; bars: number } {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 1;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('latin1');
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[data[9]] ?? 1;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  const mid = Math.floor(width / 2) * channels;
  let bars = 0;
  let dark = false;
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      const p = a + b - c;
      const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      cur[i] = (line[i] + [0, a, b, (a + b) >> 1, pr][f]) & 0xff;
    }
    const isDark = cur[mid] < 128;
    if (isDark && !dark) bars++;
    dark = isDark;
    cur.copy(prev);
  }
  return { width, height, bars };
}

/**
 * A one-page PDF that is small on disk but slow to draw: `strokes` wide diagonal lines in one
 * deflated content stream (pdfinfo reads it at once; pdftoppm must rasterise every line), for the
 * renderer's time cap.
 */
export function slowPdf(strokes = 100_000): Buffer {
  const ops = Array.from({ length: strokes }, (_, i) => `${i % 612} 0 m ${612 - (i % 612)} 792 l S`).join('\n');
  const content = deflateSync(Buffer.from(`40 w\n${ops}\n`));
  const objs = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>'),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`), content, Buffer.from('\nendstream')]),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let at = parts[0]!.length;
  objs.forEach((o, i) => {
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), o, Buffer.from('\nendobj\n')]);
    offsets.push(at);
    parts.push(b);
    at += b.length;
  });
  const xref = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`));
  return Buffer.concat(parts);
}
