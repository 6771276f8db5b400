/**
 * A mailbox reader in a process of its own, for test/channels/email/reader-crash.test.ts to kill -9.
 * Each mail is stored in MongoDB by its Message-ID (unique _id, as ingest is idempotent on the
 * channel's id); `handled` counts every time a mail was handled, re-reads included. Prints
 * "stored <n>" after each mail and "caught-up" when the checkpoint reaches the folder's last UID.
 */
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import pino from 'pino';
import { CheckpointStore } from '../../../channels/email/checkpoints.js';
import { MailboxReader } from '../../../channels/email/reader.js';

const [imapPort, user, redisUrl, prefix, mongoUri, lastUid] = process.argv.slice(2);
const conn = await mongoose.createConnection(mongoUri).asPromise();
const mails = conn.db!.collection<{ _id: string }>('mails');
const counters = conn.db!.collection<{ _id: string; n: number }>('counters');
const redis = new Redis(redisUrl);
let stored = 0;
const reader = new MailboxReader({
  mailbox: { name: user, imap: { host: '127.0.0.1', port: Number(imapPort), secure: false, user, password: `${user}-pass`, folder: 'INBOX' } },
  checkpoints: new CheckpointStore(redis, prefix),
  log: pino({ level: 'silent' }),
  concurrency: 8,
  batchSize: 50,
  async handle(m) {
    const id = /Message-ID: <([^>]+)>/i.exec(m.source.toString())![1];
    await counters.updateOne({ _id: 'handled' }, { $inc: { n: 1 } }, { upsert: true });
    await mails.insertOne({ _id: id }).catch((e: { code?: number }) => {
      if (e.code !== 11000) throw e;
    });
    process.stdout.write(`stored ${++stored}\n`);
  },
});
reader.on('checkpoint', (cp) => {
  if (cp.lastUid >= Number(lastUid)) process.stdout.write('caught-up\n');
});
await reader.start();
