/**
 * bench:email — the email channel on the real servers (OpenSMTPD → Dovecot) and the embedded store.
 *  1. N mixed mails (default 5,000: Chinese plain text in UTF-8 and GBK, HTML with an inline image,
 *     attachments, replies to earlier mails, auto-replies) are APPENDed to one mailbox.
 *  2. A bare loop on that mailbox — imapflow FETCH of every source + mailparser's simpleParser, nothing
 *     stored — as the floor.
 *  3. Backfill through a real hub: the email connector reads, parses, stores (files included), threads
 *     and routes all N; timed from the hub's start to the last one stored. Printed beside the bare loop.
 *  4. IDLE: M mails (default 200) sent over SMTP one after another, each timed from SMTP accept (the
 *     sendMail promise) to `message.created` on an agent's socket (what puts it in the agent's inbox).
 *   npm run bench:email      (N=1000 M=50 for a short run)
 * Needs root (the mail servers: test/helpers/mail-servers.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { io } from 'socket.io-client';
import { loadConfig } from '../config/index.js';
import { Hub } from '../hub/hub.js';
import { seedDemo } from '../hub/seed.js';
import { startEmbedded } from '../scripts/embedded.js';
import { startMailServers } from '../test/helpers/mail-servers.js';
import { cleanupRegistry, runBench, withTimeout } from './harness.js';

const N = Number(process.env.N ?? 5_000);
const M = Number(process.env.M ?? 200);
const { cleanups, cleanup } = cleanupRegistry();
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** Mail i of the mixed set, as raw RFC 5322 bytes (built by nodemailer's composer, GBK by hand). */
async function mail(i: number): Promise<Buffer> {
  const from = `customer${i % 500}@example.cn`;
  const kind = i % 10;
  if (kind === 9) {
    // GBK bytes labelled GB2312, as Chinese mailers send them.
    const body = iconv.encode(`您好，第 ${i} 封邮件，请查询我的账单。`, 'gbk');
    return Buffer.concat([
      Buffer.from(`From: ${from}\r\nTo: service@bank.example\r\nSubject: =?GB2312?B?${iconv.encode(`账单查询 ${i}`, 'gbk').toString('base64')}?=\r\nMessage-ID: <m${i}@bench.example>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=GB2312\r\nContent-Transfer-Encoding: base64\r\n\r\n`),
      Buffer.from(body.toString('base64') + '\r\n'),
    ]);
  }
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const base = { from, to: 'service@bank.example', messageId: `<m${i}@bench.example>`, subject: `业务咨询 ${i}` };
  const opts =
    kind < 4
      ? { ...base, text: `您好，我想咨询信用卡分期业务。编号 ${i}。`.repeat(3) }
      : kind < 6
        ? { ...base, html: `<p>尊敬的客服：</p><p>请见附图 <img src="cid:logo${i}@bench"></p><p>${'内容 '.repeat(40)}</p>`, text: '请见附图', attachments: [{ filename: 'logo.png', content: PNG, cid: `logo${i}@bench` }] }
        : kind < 8
          ? { ...base, subject: `Re: 业务咨询 ${i - 6}`, inReplyTo: `<m${i - 6}@bench.example>`, references: [`<m${i - 6}@bench.example>`], text: `补充信息 ${i}\n\n> 原邮件内容` }
          : { ...base, text: '附件是申请表', attachments: [{ filename: '申请表.txt', content: '姓名：张三\n'.repeat(200), contentType: 'text/plain' }] };
  const info = await composer.sendMail(opts);
  return info.message as Buffer;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cchub-bench-email-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const svc = await startEmbedded({ dir });
  cleanups.push(() => svc.stop());
  const servers = await startMailServers([{ name: 'service', password: 'service-pass' }]);
  cleanups.push(() => servers.stop());
  const imap = { host: servers.host, port: servers.imapPort, secure: false, auth: { user: 'service', pass: 'service-pass' }, logger: false as const };

  // 1. Fill the mailbox.
  let t = performance.now();
  const filler = new ImapFlow(imap);
  await filler.connect();
  let bytes = 0;
  for (let i = 0; i < N; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => mail(i + k)));
    // Auto-replies (every 25th): they update our messages and open no case.
    for (const [k, raw] of batch.entries()) {
      const src = (i + k) % 25 === 24 ? Buffer.concat([Buffer.from('Auto-Submitted: auto-replied\r\n'), raw]) : raw;
      bytes += src.length;
      await filler.append('INBOX', src);
    }
  }
  await filler.logout();
  console.log(`\nbench:email — ${N} mixed mails (${(bytes / 1e6).toFixed(1)} MB) appended in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // 2. The bare loop.
  t = performance.now();
  const bare = new ImapFlow(imap);
  await bare.connect();
  const lock = await bare.getMailboxLock('INBOX');
  let parsed = 0;
  for await (const m of bare.fetch('1:*', { uid: true, source: true })) {
    await simpleParser(m.source!);
    parsed++;
  }
  lock.release();
  await bare.logout();
  const bareRate = parsed / ((performance.now() - t) / 1000);
  console.log(`  bare imapflow fetch + simpleParser:   ${bareRate.toFixed(0)} mails/s (${parsed} parsed, nothing stored)`);

  // 3. Backfill through the hub.
  const config = loadConfig(
    {
      port: 0,
      host: '127.0.0.1',
      mongoUri: `${svc.mongoUri}bench_email`,
      redisUrl: svc.redisUrl,
      redisPrefix: 'benchmail',
      jwtSecret: 'bench-secret-bench-secret-bench-secret-0123456789',
      logLevel: 'silent',
      email: {
        enabled: true,
        floodPerSender: { mails: 1_000_000, perSeconds: 60 },
        mailboxes: [{ name: 'service', address: 'service@bank.example', queue: 'general', imap: { host: servers.host, port: servers.imapPort, secure: false, user: 'service', password: 'service-pass' }, smtp: { host: servers.host, port: servers.smtpPort, secure: false } }],
      },
    },
    {},
  );
  const hub = await Hub.create(config, pino({ level: 'silent' }));
  cleanups.push(() => hub.close());
  await seedDemo(hub.m);
  // From here: the connector starts with listen() and backfills the mailbox.
  t = performance.now();
  const url = await hub.listen();
  const expected = N - Math.floor(N / 25); // auto-replies store nothing
  // A bench may poll: the count is what it measures, and there is no event for "all N stored".
  for (;;) {
    const cp = await hub.redis.hget('benchmail:email:checkpoints', 'service');
    if (cp && Number(cp.split(':')[1]) >= N) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const backfillS = (performance.now() - t) / 1000;
  const stored = await hub.m.Message.countDocuments({ channel: 'email', direction: 'in' });
  const hubRate = N / backfillS;
  console.log(`  hub backfill (parse, store, route):   ${hubRate.toFixed(0)} mails/s (${N} read in ${backfillS.toFixed(1)} s, ${stored}/${expected} stored)  = ${((hubRate / bareRate) * 100).toFixed(0)}% of the bare loop`);

  // 4. IDLE latency to an agent's socket.
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'agent1', password: 'agent1pass' }) });
  const { token } = (await login.json()) as { token: string };
  const sock = io(`${url}/agent`, { auth: { token }, transports: ['websocket'], forceNew: true });
  cleanups.push(() => void sock.close());
  await withTimeout(new Promise<void>((r) => sock.once('connect', () => r())), 15_000, 'agent socket');
  const arrived = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  sock.on('message.created', (p: { message: { subject?: string } }) => {
    const s = p.message.subject ?? '';
    if (!s.startsWith('idle ')) return;
    arrived.set(s, performance.now());
    waiters.get(s)?.();
  });
  const smtp = nodemailer.createTransport({ host: servers.host, port: servers.smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: 1 });
  const lat: number[] = [];
  for (let i = 0; i < M; i++) {
    const subject = `idle ${i}`;
    const seen = new Promise<void>((r) => waiters.set(subject, r));
    await smtp.sendMail({ from: `idle${i}@example.cn`, to: 'service@bank.example', subject, text: '实时邮件', messageId: `<idle${i}@bench.example>` });
    const accepted = performance.now();
    await withTimeout(seen, 30_000, `mail ${i} in the inbox`);
    lat.push(arrived.get(subject)! - accepted);
  }
  smtp.close();
  lat.sort((a, b) => a - b);

  console.log(`  IDLE, SMTP accept → agent's socket:   p50 ${pct(lat, 0.5).toFixed(0)} ms, p95 ${pct(lat, 0.95).toFixed(0)} ms, max ${lat[lat.length - 1].toFixed(0)} ms (${M} mails, one at a time)`);
  const ok = stored === expected && hubRate >= 300 && pct(lat, 0.95) < 1000;
  console.log(`  targets (≥ 300 mails/s backfill, p95 < 1 s): ${ok ? 'met' : 'NOT met'}\n`);
  return stored === expected ? 0 : 1;
}

void runBench(main, cleanup, 30 * 60_000);
