/**
 * Where each mailbox's reader got to: the folder's UIDVALIDITY and the highest UID below which every
 * mail is stored. Kept in Redis (one hash under the connector's key prefix), so a restart on any hub process resumes
 * there. Written only after the mails are stored: a crash re-reads a few, never skips any (ingest is
 * idempotent on the mail's id).
 */
import type { Redis } from 'ioredis';

export interface Checkpoint {
  uidValidity: string;
  lastUid: number;
}

export class CheckpointStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:checkpoints`;
  }

  async get(mailbox: string): Promise<Checkpoint | undefined> {
    const v = await this.redis.hget(this.key, mailbox);
    if (!v) return undefined;
    const [uidValidity, lastUid] = v.split(':');
    return { uidValidity, lastUid: Number(lastUid) };
  }

  async set(mailbox: string, cp: Checkpoint): Promise<void> {
    await this.redis.hset(this.key, mailbox, `${cp.uidValidity}:${cp.lastUid}`);
  }
}
