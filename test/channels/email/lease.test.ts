/**
 * One reader per mailbox across hub processes (channels/email/lease.ts): two real hub processes
 * (scripts/start.ts) configured with the same mailbox. Only one holds the Redis lease and has an IMAP
 * session (Dovecot's own count of logged-in sessions says so); every mail is stored once. SIGKILL
 * the holder (no release, no goodbye): the other takes the lease after it expires and reads on —
 * the mails sent meanwhile are stored, each once.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { testMongoUri, testRedisUrl } from '../../helpers/db.js';
import { startHubProcess, type HubProcess } from '../../helpers/hub-process.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';
import { waitFor } from '../../helpers/wait.js';

let servers: MailServers;
let dir: string;
let redis: Redis;
let conn: mongoose.Connection;
const hubs: HubProcess[] = [];
const mongoUri = testMongoUri('email_lease');
const redisPrefix = `t${randomBytes(4).toString('hex')}`;
const leaseKey = `${redisPrefix}:email:lease:service`;

beforeAll(async () => {
  servers = await startMailServers([{ name: 'service', password: 'service-pass' }]);
  dir = mkdtempSync(join(tmpdir(), 'cchub-lease-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      email: {
        enabled: true,
        lease: { ttlMs: 3000, renewMs: 1000 },
        floodPerSender: { mails: 1000, perSeconds: 60 },
        mailboxes: [
          {
            name: 'service',
            address: 'service@bank.example',
            queue: 'general',
            imap: { host: servers.host, port: servers.imapPort, secure: false, user: 'service', password: 'service-pass', folder: 'INBOX' },
            smtp: { host: servers.host, port: servers.smtpPort, secure: false },
          },
        ],
      },
    }),
  );
  redis = new Redis(testRedisUrl());
  conn = await mongoose.createConnection(mongoUri).asPromise();
});
afterAll(async () => {
  for (const h of hubs) await h.kill9();
  await conn?.close();
  redis?.disconnect();
  await servers?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = async () => {
  const h = await startHubProcess({ mongoUri, redisUrl: testRedisUrl(), redisPrefix, env: { CCHUB_CONFIG: join(dir, 'config.json') } });
  hubs.push(h);
  return h;
};
/** IMAP sessions logged in as `service`, as Dovecot counts them. */
const sessions = () => {
  const out = execFileSync('doveadm', ['-c', join(servers.dir, 'dovecot.conf'), 'who', '-1'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /^service\s+imap\b/.test(l)).length;
};
/** IMAP logins as `service` so far, from Dovecot's log: a lease that changed hands would show more. */
const logins = () => (servers.logs().match(/imap-login: (?:Info: )?Login: user=<service>/g) ?? []).length;
const send = (ids: string[]) => {
  const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true, pool: true });
  return Promise.all(ids.map((id) => smtp.sendMail({ from: `c-${id}@example.cn`, to: 'service@bank.example', subject: `lease ${id}`, text: id, messageId: `<${id}@lease.example>` }))).finally(() => smtp.close());
};
const storedCount = async (ids: string[]) => {
  const rows = await conn.collection('messages').find({ externalId: { $in: ids.map((i) => `${i}@lease.example`) } }, { projection: { externalId: 1 } }).toArray();
  return { total: rows.length, distinct: new Set(rows.map((r) => r.externalId)).size };
};

test('two hubs, one reader; SIGKILL the holder and the other reads on, every mail once', async () => {
  const a = await start();
  const holderA = await waitFor(() => redis.get(leaseKey), 20_000, 'lease taken by the first hub');
  await waitFor(async () => sessions() === 1, 20_000, 'the holder logged in');
  const b = await start();
  const first = Array.from({ length: 20 }, (_, i) => `a${i}`);
  await send(first);
  await waitFor(async () => (await storedCount(first)).distinct === 20, 30_000, 'first mails stored');
  // The second hub did not take the lease nor open a session of its own (it has tried at least
  // twice: three renew periods have passed since it started listening).
  await new Promise((r) => setTimeout(r, 3 * 1000)); // the renew period is time-based: there is no event for "tried and lost"
  expect(await redis.get(leaseKey)).toBe(holderA);
  expect(sessions()).toBe(1);
  // Not once taken over meanwhile: the holder logged in once, nobody else ever did.
  expect(logins()).toBe(1);
  expect(await storedCount(first)).toEqual({ total: 20, distinct: 20 });

  await a.kill9();
  const during = Array.from({ length: 10 }, (_, i) => `b${i}`);
  await send(during);
  const holderB = await waitFor(async () => {
    const v = await redis.get(leaseKey);
    return v && v !== holderA ? v : undefined;
  }, 20_000, 'lease taken over');
  expect(holderB).not.toBe(holderA);
  await waitFor(async () => (await storedCount(during)).distinct === 10, 30_000, 'mails sent while the holder was dead, stored by the other');
  expect(await storedCount([...first, ...during])).toEqual({ total: 30, distinct: 30 });
  await waitFor(async () => sessions() === 1, 20_000, 'one session: the new holder');
  // One more login in all: the new holder's.
  expect(logins()).toBe(2);
  expect(b.child.exitCode).toBeNull();
}, 180_000);
