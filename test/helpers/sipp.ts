/**
 * Runs Debian's sipp (sip-tester) with a scenario and returns its exit code and final statistics.
 * sipp plays the carrier: it runs on 127.0.0.2 (a trunk address in the tests' config) against the
 * gateway on 127.0.0.1. No sleeps: the promise settles when the process exits; a global -timeout
 * makes sipp itself give up (exit code 1 with -timeout_error), so a hung call is a failed run.
 *
 * sipp's exit codes: 0 every call succeeded, 1 at least one failed, 97 internal exit, 99 normal exit
 * with no call processed, 255/254 fatal (bad scenario, cannot bind).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippOptions {
  /** Scenario XML (path). */
  scenario: string;
  /** The gateway: host:port. */
  target: string;
  transport: 'udp' | 'tcp';
  /** Number of calls (-m). */
  calls?: number;
  /** Calls per second (-r). */
  rate?: number;
  /** Request-URI user (-s): the called number. */
  service?: string;
  /** Local address sipp binds and writes in Via/Contact/From. */
  localIp?: string;
  /** Whole-run limit in seconds (sipp's own -timeout). */
  timeoutSec?: number;
  /** -set name value pairs, read in the scenario as [$name]. */
  vars?: Record<string, string>;
  /** Working directory (pcap paths in scenarios are relative to it). */
  cwd?: string;
  extraArgs?: string[];
}

export interface SippResult {
  code: number;
  successful: number;
  failed: number;
  /** The messages sipp sent and received (-trace_msg), for diagnosing a failure. */
  messages: string;
  errors: string;
  stderr: string;
}

export async function runSipp(o: SippOptions): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const stat = join(dir, 'stat.csv');
  const msgs = join(dir, 'messages.log');
  const errs = join(dir, 'errors.log');
  const args = [
    o.target,
    '-sf', o.scenario,
    '-i', o.localIp ?? '127.0.0.2',
    '-t', o.transport === 'udp' ? 'u1' : 't1',
    '-m', String(o.calls ?? 1),
    '-r', String(o.rate ?? 10),
    '-s', o.service ?? '95588',
    '-timeout', `${o.timeoutSec ?? 30}s`, '-timeout_error',
    '-nostdin',
    '-trace_stat', '-stf', stat, '-fd', '1',
    '-trace_msg', '-message_file', msgs,
    '-trace_err', '-error_file', errs,
    ...Object.entries(o.vars ?? {}).flatMap(([k, v]) => ['-set', k, v]),
    ...(o.extraArgs ?? []),
  ];
  const child = spawn('sipp', args, { cwd: o.cwd ?? dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : -1)));
  });
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const { successful, failed } = lastStats(read(stat));
  const result = { code, successful, failed, messages: read(msgs), errors: read(errs), stderr };
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** The cumulative successful/failed call counts from the last row of sipp's statistics CSV. */
function lastStats(csv: string): { successful: number; failed: number } {
  const rows = csv.trim().split('\n');
  if (rows.length < 2) return { successful: 0, failed: 0 };
  const head = rows[0].split(';');
  const last = rows[rows.length - 1].split(';');
  const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
}
