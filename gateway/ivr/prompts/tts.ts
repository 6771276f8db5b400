/**
 * Spoken prompts from text with Debian's espeak-ng (Mandarin and English voices), converted by sox to
 * the prompt format (wav.ts). Files are cached under <dir> by a hash of voice and text, written to a
 * temporary name and renamed, so a crash never leaves half a file under the final name and several
 * hubs sharing the folder never read one being written. Concurrent requests for the same text share
 * one generation.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** espeak-ng voice per language: cmn is Mandarin (the mb-cn1 MBROLA voice needs a package we do not have). */
export const VOICES = { zh: 'cmn', en: 'en-us' } as const;
export type Lang = keyof typeof VOICES;

export class Tts {
  private inFlight = new Map<string, Promise<string>>();

  constructor(private readonly dir: string) {}

  /** The cached file's path for this text (generated on first use). */
  async file(text: string, lang: Lang): Promise<string> {
    const voice = VOICES[lang];
    const key = createHash('sha256').update(`${voice}\0${text}`).digest('hex').slice(0, 32);
    const path = join(this.dir, `${key}.wav`);
    const pending = this.inFlight.get(path);
    if (pending) return pending;
    const p = this.generate(text, voice, path).finally(() => this.inFlight.delete(path));
    this.inFlight.set(path, p);
    return p;
  }

  private async generate(text: string, voice: string, path: string): Promise<string> {
    if (await exists(path)) return path;
    await mkdir(this.dir, { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}`;
    try {
      // Text on stdin: a text starting with '-' is never read as an option, and no shell is involved.
      await speak(text, voice, `${tmp}.raw.wav`);
      await run('sox', [`${tmp}.raw.wav`, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'wav', tmp]);
      await rename(tmp, path);
      return path;
    } finally {
      await rm(`${tmp}.raw.wav`, { force: true });
      await rm(tmp, { force: true });
    }
  }
}

function speak(text: string, voice: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('espeak-ng', ['-v', voice, '--stdin', '-w', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()).length > 2000 && (err = err.slice(-2000)));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`espeak-ng exited ${code}: ${err.trim()}`))));
    p.stdin.end(text);
  });
}

const exists = (p: string) => access(p).then(() => true, () => false);
