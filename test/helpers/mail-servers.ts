/**
 * Real mail servers for tests: Debian's Dovecot (IMAP, and LMTP for delivery) and OpenSMTPD (SMTP),
 * on free loopback ports under a temp folder, one pair per call (scripts/setup.sh installs them).
 *
 *   SMTP (OpenSMTPD) ──LMTP──> Dovecot ──Maildir──> IMAP
 *
 * OpenSMTPD allows one instance per host: its control socket (/var/run/smtpd.sock) and queue
 * (/var/spool/smtpd) are compiled in. Each instance here runs in a private mount namespace
 * (unshare --mount) with a temp folder bound over /run and /var/spool, so test files running in
 * parallel (and other checkouts on the machine) each get their own. That needs root, as smtpd does.
 * Every recipient is accepted (a catch-all virtual table) and handed to Dovecot's LMTP with its
 * original address (`rcpt-to`), so plus-addresses reach their mailbox and show in Delivered-To;
 * recipients @invalid.example are refused with a 5xx (a permanent failure to test against).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export interface MailUser {
  name: string;
  password: string;
}

export interface MailServers {
  host: '127.0.0.1';
  imapPort: number;
  lmtpPort: number;
  smtpPort: number;
  dir: string;
  /**
   * Add a mailbox user. Dovecot re-reads its passwd-file when it changes, but looks at most once a
   * second: a user added within a second of the last login may not be seen yet. Prefer passing the
   * users to startMailServers.
   */
  addUser(user: MailUser): void;
  /** Stop the SMTP server only (e.g. to test a send that cannot connect); start it again with startSmtp. */
  stopSmtp(): Promise<void>;
  startSmtp(): Promise<void>;
  /** Stop Dovecot only (the IMAP connection drops); startImap brings it back with the same mail. */
  stopImap(): Promise<void>;
  startImap(): Promise<void>;
  /** Dovecot's and OpenSMTPD's logs, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (bound then released; the servers bind it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, log: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  const onExit = (code: number | null, sig: string | null) => (exited = `exited (${code ?? sig})`);
  child.once('exit', onExit);
  try {
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${what} ${exited}:\n${log()}`);
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      // Polling a port that is not listening yet: there is no event to wait for.
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
  } finally {
    child.off('exit', onExit);
  }
}

/** Until nothing accepts on the port (a stopped master's listening children exit a moment after it). */
async function waitForPortClosed(port: number, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (!open) return;
    // Polling for a listener to go away: there is no event to wait for.
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} still accepted on ${port} ${timeoutMs} ms after it was stopped`);
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function uid(name: string): number {
  return Number(execFileSync('id', ['-u', name]).toString().trim());
}

export async function startMailServers(users: MailUser[] = []): Promise<MailServers> {
  if (userInfo().uid !== 0) throw new Error('the mail servers need root (OpenSMTPD and Dovecot switch users)');
  const dir = mkdtempSync(join(tmpdir(), 'cchub-mail-'));
  // Dovecot's processes run as dovecot/dovenull and must traverse to their folders.
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail', 'smtp-run', 'smtp-spool']) mkdirSync(join(dir, d));
  const dovecotUid = uid('dovecot');
  chownSync(join(dir, 'mail'), dovecotUid, Number(execFileSync('id', ['-g', 'dovecot']).toString().trim()));
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  const addUser = (u: MailUser) => {
    if (!/^[a-z0-9._-]+$/i.test(u.name) || /[:\n]/.test(u.password)) throw new Error(`bad mail user ${u.name}`);
    appendFileSync(passwd, `${u.name}:{PLAIN}${u.password}::::::\n`);
  };
  users.forEach(addUser);

  const [imapPort, lmtpPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const dovecotConf = join(dir, 'dovecot.conf');
  writeFileSync(
    dovecotConf,
    `# Written by test/helpers/mail-servers.ts: a private Dovecot, nothing of /etc/dovecot.
protocols = imap lmtp
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = ${dovecotUid}
mail_location = maildir:${dir}/mail/%n/Maildir
recipient_delimiter = +
# Keep the plus-address the mail was sent to (Delivered-To), for threading by it.
lmtp_hdr_delivery_address = original
protocol imap {
  # Tests open many sessions per user from 127.0.0.1 (readers, peers, reconnects); the default is 10.
  mail_max_userip_connections = 1000
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${passwd}
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${dir}/mail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
`,
  );
  const smtpdConf = join(dir, 'smtpd.conf');
  writeFileSync(join(dir, 'vusers'), '@ dovecot\n');
  writeFileSync(
    smtpdConf,
    `table vusers file:${dir}/vusers
listen on 127.0.0.1 port ${smtpPort}
action "lmtp" lmtp "127.0.0.1:${lmtpPort}" rcpt-to virtual <vusers>
match from any for domain "invalid.example" reject
match from any for any action "lmtp"
`,
  );

  let dovecot: ChildProcess | undefined;
  let smtpd: ChildProcess | undefined;
  const logs = () => `--- dovecot\n${read(join(dir, 'dovecot.log'))}\n--- smtpd\n${read(join(dir, 'smtpd.log'))}`;

  const startImap = async () => {
    // -F: stay in the foreground, so the child is the master and stopping it is a kill + exit event.
    dovecot = spawn('dovecot', ['-F', '-c', dovecotConf], { stdio: 'ignore' });
    await waitForPort(imapPort, dovecot, 'dovecot', logs);
    await waitForPort(lmtpPort, dovecot, 'dovecot (lmtp)', logs);
  };
  const startSmtp = async () => {
    const script = `mount --bind ${dir}/smtp-spool /var/spool && mount --bind ${dir}/smtp-run /run && exec smtpd -d -f ${smtpdConf} >>${dir}/smtpd.log 2>&1`;
    smtpd = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: 'ignore' });
    await waitForPort(smtpPort, smtpd, 'smtpd', logs);
  };
  try {
    await startImap();
    await startSmtp();
  } catch (e) {
    await stopChild(smtpd);
    await stopChild(dovecot);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    host: '127.0.0.1',
    imapPort,
    lmtpPort,
    smtpPort,
    dir,
    addUser,
    stopSmtp: () => stopChild(smtpd),
    startSmtp,
    async stopImap() {
      // Dovecot's imap processes outlive their master for a while (~10 s): kick every session
      // first, so clients see their connection drop now, as when a server goes down.
      try {
        execFileSync('doveadm', ['-c', dovecotConf, 'kick', '*'], { stdio: 'ignore' });
      } catch {
        // nobody logged in
      }
      await stopChild(dovecot);
      // Its imap-login and lmtp children may still listen for a moment: a new master started now would
      // fail to bind while the port check saw the old listener (the conformance reconnect case failed
      // so under load, every later connection refused).
      await waitForPortClosed(imapPort, 'dovecot (imap)');
      await waitForPortClosed(lmtpPort, 'dovecot (lmtp)');
    },
    startImap,
    logs,
    async stop() {
      await stopChild(smtpd);
      await stopChild(dovecot);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
