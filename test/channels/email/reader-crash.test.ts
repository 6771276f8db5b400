/**
 * kill -9 in the middle of a backfill, then start again: every mail stored exactly once, none
 * skipped, and only the mails in flight at the kill read twice (the checkpoint moves only past
 * stored mail). The reader runs in its own process (reader-child.ts) against the real Dovecot,
 * Redis and store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { ImapFlow } from 'imapflow';
import mongoose from 'mongoose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { testMongoUri, testRedisUrl } from '../../helpers/db.js';
import { startMailServers, type MailServers } from '../../helpers/mail-servers.js';

const TOTAL = 200;
let servers: MailServers;
const children: ChildProcess[] = [];
beforeAll(async () => {
  servers = await startMailServers([{ name: 'crash', password: 'crash-pass' }]);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await servers?.stop();
});

/** Starts the reader process; resolves when it prints a line matching `until`, returning the process. */
function runReader(args: string[], until: (line: string) => boolean): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/channels/email/reader-child.ts', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, sig) => reject(new Error(`reader exited early (${code ?? sig})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => until(line) && resolve(child));
  });
}

test('kill -9 mid-backfill, restart: every mail stored exactly once, none skipped', async () => {
  const imap = new ImapFlow({ host: servers.host, port: servers.imapPort, secure: false, auth: { user: 'crash', pass: 'crash-pass' }, logger: false });
  await imap.connect();
  for (let i = 0; i < TOTAL; i++) await imap.append('INBOX', Buffer.from(`From: c@example.cn\r\nSubject: ${i}\r\nMessage-ID: <crash-${i}@example.cn>\r\n\r\nmail ${i}\r\n`));
  await imap.logout();

  const mongoUri = testMongoUri('email_crash');
  const args = [String(servers.imapPort), 'crash', testRedisUrl(), `t-crash-${randomBytes(4).toString('hex')}`, mongoUri, String(TOTAL)];
  const first = await runReader(args, (l) => l === 'stored 80');
  const killed = new Promise((r) => first.once('exit', r));
  first.kill('SIGKILL');
  await killed;
  const second = await runReader(args, (l) => l === 'caught-up');
  second.kill('SIGTERM');

  const conn = await mongoose.createConnection(mongoUri).asPromise();
  try {
    const ids = (await conn.db!.collection('mails').find({}).toArray()).map((d) => String(d._id));
    expect(ids.length).toBe(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    for (let i = 0; i < TOTAL; i++) expect(ids).toContain(`crash-${i}@example.cn`);
    const handled = (await conn.db!.collection('counters').findOne({ _id: 'handled' as never }))!.n as number;
    // Re-read after the kill: at most what was in flight (concurrency 8) plus what was stored but not yet checkpointed.
    expect(handled - TOTAL).toBeLessThan(60);
    console.log(`reader crash: ${handled - TOTAL} mails read twice after kill -9`);
  } finally {
    await conn.close();
  }
});
