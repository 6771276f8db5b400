/**
 * A fax document (TIFF: G3, G4, PackBits or uncompressed, one or many pages; or PDF) → one PNG per
 * page. Debian's own converters do the decoding: libtiff's tiff2pdf turns a TIFF into a PDF (passing
 * CCITT data through, and giving each page its size from the TIFF's resolution, so a standard-
 * resolution fax at 204×98 dpi comes out the right shape), and poppler's pdftoppm draws each page.
 * Chosen over a JavaScript decoder because these are the libraries every Linux desktop opens faxes
 * with (CCITT included, which the npm `tiff` package lacks), and over ImageMagick for its policy
 * file and delegate chain.
 *
 * The input is untrusted. Every converter run is bounded: wall time (killed with SIGKILL), CPU
 * seconds and address space (prlimit), pages drawn (maxPages; the rest are counted) and pixels per
 * page (the longest side scaled to maxPagePixels, whatever page size the file claims), grey (a fax
 * has no colour; a quarter of the bytes of RGB). At most two
 * renders run at once in a process, so a burst of faxes cannot take every core. A document that
 * fails any of this rejects with a FaxRenderError whose message says why; the caller keeps the
 * document and the reason.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaxSettings } from './config.js';

export class FaxRenderError extends Error {}

export type FaxDocKind = 'tiff' | 'pdf';

export interface RenderedFax {
  kind: FaxDocKind;
  /** Pages in the document. */
  pageCount: number;
  /** PNG files, page order (at most maxPages); in `dir`, which the caller removes with cleanup(). */
  pages: string[];
  cleanup(): Promise<void>;
}

/** What the first bytes say the document is (the declared type is not trusted). */
export function sniffFax(head: Buffer): FaxDocKind | undefined {
  const four = head.subarray(0, 4).toString('latin1');
  if (four === 'II*\u0000' || four === 'MM\u0000*') return 'tiff';
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  return undefined;
}

const ADDRESS_SPACE = 1024 * 1024 * 1024; // 1 GiB per converter
let running = 0;
const waiting: (() => void)[] = [];
const MAX_RENDERS = 2;

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_RENDERS) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const cpu = Math.max(1, Math.ceil(timeoutMs / 1000));
  return new Promise((resolve, reject) => {
    execFile('prlimit', [`--as=${ADDRESS_SPACE}`, `--cpu=${cpu}`, '--', cmd, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
      if (e.killed || e.signal === 'SIGKILL' || e.signal === 'SIGXCPU') return reject(new FaxRenderError(`${cmd} took longer than ${timeoutMs} ms`));
      if (e.code === 'ENOENT') return reject(new FaxRenderError(`${cmd} is not installed (scripts/setup.sh)`));
      // The converter's own words, first line, say what is wrong with the file.
      const why = String(stderr || e.message).split('\n').find((l) => l.trim()) ?? 'failed';
      reject(new FaxRenderError(`${cmd}: ${why.trim().slice(0, 200)}`));
    });
  });
}

async function head(path: string): Promise<Buffer> {
  const f = await open(path, 'r');
  try {
    const b = Buffer.alloc(8);
    const { bytesRead } = await f.read(b, 0, 8, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await f.close();
  }
}

export function renderFax(path: string, s: Pick<FaxSettings, 'maxPages' | 'maxPagePixels' | 'renderTimeoutMs'>): Promise<RenderedFax> {
  return slot(async () => {
    const kind = sniffFax(await head(path));
    if (!kind) throw new FaxRenderError('not a TIFF or PDF document');
    const dir = await mkdtemp(join(tmpdir(), 'cchub-fax-'));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    try {
      let pdf = path;
      if (kind === 'tiff') {
        pdf = join(dir, 'doc.pdf');
        await run('tiff2pdf', ['-o', pdf, path], s.renderTimeoutMs);
      }
      const info = await run('pdfinfo', [pdf], s.renderTimeoutMs);
      const pageCount = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? 0);
      if (!pageCount) throw new FaxRenderError('the document has no pages');
      const last = Math.min(pageCount, s.maxPages);
      await run('pdftoppm', ['-png', '-gray', '-scale-to', String(s.maxPagePixels), '-f', '1', '-l', String(last), pdf, join(dir, 'page')], s.renderTimeoutMs);
      // pdftoppm names pages page-1.png or page-01.png (padded to the page count's digits).
      const pages = (await readdir(dir))
        .filter((f) => /^page-\d+\.png$/.test(f))
        .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
        .map((f) => join(dir, f));
      if (pages.length !== last) throw new FaxRenderError(`${pages.length} of ${last} pages drawn`);
      return { kind, pageCount, pages, cleanup };
    } catch (e) {
      await cleanup();
      throw e;
    }
  });
}
