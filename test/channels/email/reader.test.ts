/**
 * The mailbox reader (channels/email/reader.ts) against the real Dovecot/OpenSMTPD pair and the
 * real test Redis (checkpoints): backfill, IDLE, resume from the checkpoint after a restart, a
 * dropped IMAP connection, and a UIDVALIDITY change.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CheckpointStore } from '../../../channels/email/checkpoints.js';
import { MailboxReader, type FetchedMail } from '../../../channels/email/reader.js';
import { testRedisUrl } from '../../helpers/db.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';

let servers: MailServers;
let redis: Redis;
let checkpoints: CheckpointStore;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  // Every mailbox up front: Dovecot looks at its passwd-file at most once a second.
  servers = await startMailServers(['backfill', 'dropper', 'renumber'].map((name) => ({ name, password: `${name}-pass` })));
  redis = new Redis(testRedisUrl());
  checkpoints = new CheckpointStore(redis, `t-reader-${randomBytes(4).toString('hex')}`);
});
afterAll(async () => {
  await redis?.quit();
  await servers?.stop();
});

function mailbox(user: string) {
  return { name: user, imap: { host: servers.host, port: servers.imapPort, secure: false, user, password: `${user}-pass`, folder: 'INBOX' } };
}

const raw = (id: string) => Buffer.from(`From: c@example.cn\r\nTo: s@bank.example\r\nSubject: m ${id}\r\nMessage-ID: <${id}@example.cn>\r\n\r\nbody ${id}\r\n`);

/** Put mails straight into the folder (IMAP APPEND keeps the bytes exactly). */
async function append(user: string, ids: string[]) {
  const c = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user, pass: `${user}-pass` }, logger: false });
  await c.connect();
  for (const id of ids) await c.append('INBOX', raw(id));
  await c.logout();
}

/** A reader whose handler records what it saw, by Message-ID; `until(n)` waits for n distinct mails. */
function recording(box: ReturnType<typeof mailbox>, extra: Partial<ConstructorParameters<typeof MailboxReader>[0]> = {}) {
  const seen = new Map<string, number>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const reader = new MailboxReader({
    mailbox: box,
    checkpoints,
    log,
    backoff: { minMs: 50, maxMs: 500 },
    async handle(m: FetchedMail) {
      const id = /Message-ID: <([^>@]+)/i.exec(m.source.toString())![1];
      seen.set(id, (seen.get(id) ?? 0) + 1);
      for (const w of waiters.filter((w) => seen.size >= w.n)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    },
    ...extra,
  });
  const until = (n: number) => (seen.size >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { reader, seen, until };
}

test('backfill on start, then IDLE delivers new mail; a restart resumes from the checkpoint', async () => {
  const box = mailbox('backfill');
  await append('backfill', Array.from({ length: 30 }, (_, i) => `bf-${i}`));
  const r1 = recording(box, { batchSize: 7, concurrency: 4 });
  await r1.reader.start();
  await r1.until(30);
  // New mail through SMTP while the reader idles.
  const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true });
  await smtp.sendMail({ from: 'c@example.cn', to: 'backfill@bank.example', subject: 'live', text: 'x', messageId: '<live-1@example.cn>' });
  await r1.until(31);
  const cp = new Promise<void>((r) => r1.reader.on('checkpoint', (c) => c.lastUid === 31 && r()));
  if ((await checkpoints.get('backfill'))?.lastUid !== 31) await cp;
  await r1.reader.stop();
  expect([...r1.seen.values()].every((n) => n === 1)).toBe(true);

  await append('backfill', ['after-1', 'after-2']);
  const r2 = recording(box);
  await r2.reader.start();
  await r2.until(2);
  await r2.reader.stop();
  // Only what came after the checkpoint was read again.
  expect([...r2.seen.keys()].sort()).toEqual(['after-1', 'after-2']);
});

test('a dropped IMAP connection recovers and picks up what arrived meanwhile', async () => {
  const box = mailbox('dropper');
  const r = recording(box);
  const events: string[] = [];
  r.reader.on('degraded', () => events.push('degraded'));
  r.reader.on('reconnected', () => events.push('reconnected'));
  await append('dropper', ['d-1']);
  await r.reader.start();
  await r.until(1);
  await servers.stopImap();
  const reconnected = new Promise<void>((res) => r.reader.once('reconnected', () => res()));
  await servers.startImap();
  await append('dropper', ['d-2']);
  await reconnected;
  await r.until(2);
  await r.reader.stop();
  expect(events[0]).toBe('degraded');
  expect(events).toContain('reconnected');
  expect(r.seen.get('d-1')).toBe(1);
  expect(r.seen.get('d-2')).toBe(1);
});

test('a UIDVALIDITY change reads the folder again from the start', async () => {
  const box = mailbox('renumber');
  await append('renumber', ['u-1', 'u-2']);
  const r1 = recording(box);
  await r1.reader.start();
  await r1.until(2);
  await r1.reader.stop();
  const before = (await checkpoints.get('renumber'))!;
  // Dovecot keeps UIDVALIDITY in dovecot-uidlist: without it the folder is renumbered.
  await servers.stopImap();
  const maildir = join(servers.dir, 'mail', 'renumber', 'Maildir');
  for (const f of readdirSync(maildir)) if (f.startsWith('dovecot')) rmSync(join(maildir, f), { recursive: true });
  await servers.startImap();
  await append('renumber', ['u-3']);
  const r2 = recording(box);
  const changed = new Promise<[string, string]>((res) => r2.reader.once('uidValidityChanged', (a, b) => res([a, b])));
  await r2.reader.start();
  const [from, to] = await changed;
  expect(from).toBe(before.uidValidity);
  expect(to).not.toBe(from);
  await r2.until(3);
  await r2.reader.stop();
  expect([...r2.seen.keys()].sort()).toEqual(['u-1', 'u-2', 'u-3']);
});
