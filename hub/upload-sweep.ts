/**
 * Uploads never attached to a message are deleted: a customer can upload and never send, and without
 * this those files would stay forever. Every hub sweeps (deleting a file twice is harmless); a message
 * cannot take a file the sweep may be removing, since an upload is only attachable for half its TTL
 * (ConnectorFiles.owned in hub/connector-context.ts).
 */
import { mongo, type Connection } from 'mongoose';
import type { Logger } from 'pino';

export class UploadSweep {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly conn: Connection,
    private readonly ttlSeconds: number,
    private readonly log: Logger | undefined,
  ) {}

  start(): void {
    const every = Math.min(600, Math.max(10, this.ttlSeconds / 4)) * 1000;
    this.timer = setInterval(() => void this.sweep().catch((e) => this.log?.warn({ err: e }, 'upload sweep failed')), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Delete the unattached uploads older than the TTL; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const db = this.conn.db!;
    const old = await db
      .collection('attachments.files')
      .find({ 'metadata.customerId': { $exists: true }, 'metadata.conversationId': { $exists: false }, uploadDate: { $lt: new Date(now - this.ttlSeconds * 1000) } }, { projection: { _id: 1 } })
      .limit(500)
      .toArray();
    const bucket = new mongo.GridFSBucket(db, { bucketName: 'attachments' });
    let n = 0;
    for (const f of old) {
      await bucket.delete(f._id).then(
        () => n++,
        () => undefined, // another hub deleted it first
      );
    }
    if (n) this.log?.info({ files: n }, 'unattached uploads deleted');
    return n;
  }
}
