/**
 * PromptRef → a WAV file path the media layer can play. Text prompts go through the TTS cache;
 * uploaded prompts live in the store (shared by every hub) and are written once to the local cache,
 * named by id and content hash so a replaced upload never plays stale audio.
 */
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { PromptRef } from '../flow-schema.js';
import type { IvrModels } from '../model.js';
import { Tts } from './tts.js';

export class PromptFiles {
  readonly tts: Tts;

  constructor(
    private readonly dir: string,
    private readonly m: Pick<IvrModels, 'IvrPrompt'>,
  ) {
    this.tts = new Tts(join(dir, 'tts'));
  }

  /** `vars` fills `{name}`-style placeholders in text prompts (a caller's name in a VIP greeting). */
  async path(ref: PromptRef, vars: Record<string, string> = {}): Promise<string> {
    if ('text' in ref) return this.tts.file(ref.text.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? ''), ref.lang);
    const doc = await this.m.IvrPrompt.findById(ref.file, { sha256: 1 }).lean();
    if (!doc) throw new Error(`prompt ${ref.file} not found`);
    const path = join(this.dir, 'uploads', `${ref.file}-${String(doc.sha256).slice(0, 16)}.wav`);
    if (await access(path).then(() => true, () => false)) return path;
    const full = await this.m.IvrPrompt.findById(ref.file, { wav: 1 }).lean();
    if (!full) throw new Error(`prompt ${ref.file} not found`);
    await mkdir(join(this.dir, 'uploads'), { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, bytes(full.wav));
    await rename(tmp, path);
    return path;
  }
}

/** A lean read gives BSON Binary (its bytes in `.buffer`), a hydrated one a Buffer. */
function bytes(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const inner = (v as { buffer?: unknown }).buffer;
  if (inner instanceof Uint8Array) return Buffer.from(inner.buffer, inner.byteOffset, inner.byteLength);
  throw new Error('stored prompt is not binary');
}
