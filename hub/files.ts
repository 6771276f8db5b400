/**
 * Files in GridFS (bucket `attachments`): what connectors store (a fax's TIFF, an e-mail's attachment)
 * and what the web chat widget uploads. Limits hold while the bytes stream in: a file that grows past
 * its limit is aborted at that chunk and its partial chunks deleted, so nothing half-stored is ever
 * left (nor read whole into memory first). The reference returned is what a message's `attachments`
 * carries; ingest checks references against what is stored (validateRefs).
 */
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Types, mongo, type Connection } from 'mongoose';
import type { Config } from '../config/index.js';
import type { StoreFileMeta } from '../channels/contract.js';
import { badRequest, tooLarge, unsupportedType } from '../lib/errors.js';
import type { AttachmentRef } from './models/types.js';

export const BUCKET = 'attachments';

/** Magic bytes for types whose content is easy to recognise: a declared type the content contradicts is refused. */
const SNIFF: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => b.subarray(0, 4).toString('latin1') === 'GIF8',
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'image/tiff': (b) => ['II*\u0000', 'MM\u0000*'].includes(b.subarray(0, 4).toString('latin1')),
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'text/plain': (b) => !b.subarray(0, 4096).includes(0),
};
/** Bytes looked at before the type is judged (the sniffers above need at most 12; text/plain looks at 4 KB). */
const SNIFF_BYTES = 4096;

export function typeAllowed(type: string, allowed: readonly string[]): boolean {
  const t = type.toLowerCase();
  return allowed.some((a) => a === t || (a.endsWith('/*') && t.startsWith(a.slice(0, -1))));
}

export class FileStore {
  constructor(
    private readonly conn: Connection,
    private readonly limits: Config['files'],
  ) {}

  private bucket(): mongo.GridFSBucket {
    return new mongo.GridFSBucket(this.conn.db!, { bucketName: BUCKET });
  }

  /**
   * Stream a file into GridFS. Rejects with 413 too_large once more than the limit has arrived (the
   * upload is aborted and its chunks deleted), 415 unsupported_type for a type not allowed or content
   * that is not what it says, 400 for an empty file; a source stream that fails rejects with its error.
   * Either way nothing stays stored.
   */
  async store(source: Readable, meta: StoreFileMeta): Promise<AttachmentRef> {
    const contentType = meta.contentType.toLowerCase().split(';')[0].trim();
    const max = Math.min(meta.maxBytes ?? this.limits.maxBytes, this.limits.maxBytes);
    const allowed = meta.allowedTypes ?? this.limits.allowedTypes;
    if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(contentType) || !typeAllowed(contentType, allowed) || !typeAllowed(contentType, this.limits.allowedTypes)) {
      source.resume(); // drain, so the sender is not left hanging on a full socket
      throw unsupportedType(`files of type ${contentType || '(none)'} are not accepted`);
    }
    const name = (meta.name || 'file').replace(/[\u0000-\u001f\\/]/g, '_').slice(0, 200);
    const id = new Types.ObjectId();
    const upload = this.bucket().openUploadStreamWithId(id, name, { metadata: { ...meta.metadata, contentType } });
    const sniff = SNIFF[contentType];
    let size = 0;
    let judged = !sniff;
    const head: Buffer[] = [];
    let headLen = 0;
    const contentOk = () => sniff!(Buffer.concat(head));
    const wrongContent = () => unsupportedType(`the file's content is not ${contentType}`);
    const guard = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        // Counted as it arrives: the chunk that crosses the limit is never written.
        if (size > max) return done(tooLarge(`file is larger than ${max} bytes`));
        if (!judged) {
          head.push(chunk);
          headLen += chunk.length;
          if (headLen >= SNIFF_BYTES) {
            judged = true;
            if (!contentOk()) return done(wrongContent());
          }
        }
        done(null, chunk);
      },
      flush(done) {
        if (size === 0) return done(badRequest('file is empty', 'empty_file'));
        if (!judged && !contentOk()) return done(wrongContent());
        done();
      },
    });
    try {
      await pipeline(source, guard, upload);
    } catch (e) {
      // Chunks may be written already: abort deletes them and refuses further writes. But a chunk insert
      // already in flight lands after abort's delete (the driver does not wait for it), leaving an orphan
      // chunk: wait for the driver's in-flight inserts to settle, then delete (files entry and chunks).
      await upload.abort().catch(() => undefined);
      await inFlightSettled(upload);
      await this.delete(String(id)).catch(() => undefined);
      throw e;
    }
    return { id: String(id), name, contentType, size };
  }

  /** Stored files by id (those missing are left out). */
  async find(ids: string[]): Promise<Map<string, { ref: AttachmentRef; metadata: Record<string, unknown> }>> {
    const valid = ids.filter((i) => /^[0-9a-f]{24}$/.test(i));
    if (!valid.length) return new Map();
    const rows = await this.conn.db!.collection(`${BUCKET}.files`).find({ _id: { $in: valid.map((i) => new Types.ObjectId(i)) } }).toArray();
    return new Map(
      rows.map((f) => [
        String(f._id),
        { ref: { id: String(f._id), name: String(f.filename), contentType: String(f.metadata?.contentType ?? 'application/octet-stream'), size: Number(f.length) }, metadata: (f.metadata ?? {}) as Record<string, unknown> },
      ]),
    );
  }

  /**
   * Attachment references as a message will store them: each must name a stored file within the size
   * limit; name, type and size come from what is stored (never from the caller).
   */
  async validateRefs(refs: { id: string; name?: string; cid?: string }[]): Promise<AttachmentRef[]> {
    if (!refs.length) return [];
    const found = await this.find(refs.map((r) => r.id));
    return refs.map((r) => {
      const f = found.get(r.id);
      if (!f) throw badRequest(`unknown attachment ${r.id}`, 'unknown_attachment');
      if (f.ref.size > this.limits.maxBytes) throw tooLarge(`attachment ${r.id} is larger than ${this.limits.maxBytes} bytes`);
      // The Content-ID is the message's to say (what the mail's HTML calls the part), not the file's.
      return r.cid ? { ...f.ref, cid: r.cid } : f.ref;
    });
  }

  /** A fresh stream of a stored file's bytes (each call starts again from the first byte). */
  open(id: string): Readable {
    return this.bucket().openDownloadStream(new Types.ObjectId(id));
  }

  async delete(id: string): Promise<void> {
    try {
      await this.bucket().delete(new Types.ObjectId(id));
    } catch (e) {
      // Nothing stored under this id (e.g. aborted before its first chunk): there is nothing to delete.
      if (!/not found|FileNotFound/i.test(String((e as Error).message))) throw e;
    }
  }
}

/**
 * Resolves once a GridFS upload stream has no chunk insert outstanding. The driver emits nothing when a
 * write settles after the stream was destroyed, so its own counter is read every few milliseconds; a
 * stuck store gives up after 10 s rather than hold the request (a chunk landing later stays orphaned).
 */
async function inFlightSettled(upload: mongo.GridFSBucketWriteStream): Promise<void> {
  const until = Date.now() + 10_000;
  while (upload.state.outstandingRequests > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
}
