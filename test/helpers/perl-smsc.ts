/**
 * Debian's Net::SMPP as the SMSC (test/helpers/perl-smsc.pl), driven over its stdin/stdout: an SMPP
 * peer that shares no code with ours or with npm smpp, for the cross-check in sms-perl.test.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export interface PerlSubmit {
  id: string;
  source: string;
  dest: string;
  dest_ton: number;
  dc: number;
  esm: number;
  rd: number;
  hex: string;
  /** The text as Net::SMPP's side decodes it (Encode's gsm0338 or UTF-16BE), UDH stripped. */
  text: string | null;
  udh: { ref: number; total: number; seq: number } | null;
}
export interface PerlResp {
  tag: string;
  cmd: number;
  status: number;
  seq: number;
}

export class PerlSmsc extends EventEmitter {
  private proc!: ChildProcessWithoutNullStreams;
  port = 0;
  readonly binds: { system_id: string; interface_version: number; ok: number; cmd: number }[] = [];
  readonly submits: PerlSubmit[] = [];
  readonly resps: PerlResp[] = [];
  private tags = 0;
  stderr = '';

  async start(systemId = 'esme', password = 'secret'): Promise<number> {
    this.proc = spawn('perl', [fileURLToPath(new URL('./perl-smsc.pl', import.meta.url)), systemId, password]);
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const e = JSON.parse(line);
      if (e.event === 'bind') this.binds.push(e);
      if (e.event === 'submit') this.submits.push(e);
      if (e.event === 'resp') this.resps.push(e);
      this.emit(e.event, e);
    });
    const listening = await new Promise<{ port: number }>((ok, fail) => {
      this.once('listening', ok);
      this.proc.once('exit', (c) => fail(new Error(`perl SMSC exited ${c}: ${this.stderr}`)));
    });
    this.port = listening.port;
    return this.port;
  }

  /** Send a command; resolves with the resps to what it sent (one per PDU: `parts` of an MO). */
  request(op: Record<string, unknown>, expect = 1, timeoutMs = 10_000): Promise<PerlResp[]> {
    const tag = `t${++this.tags}`;
    const mine = () => this.resps.filter((r) => r.tag === tag || r.tag?.startsWith(`${tag}:`));
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.off('resp', check);
        fail(new Error(`no resp to ${JSON.stringify(op)} within ${timeoutMs} ms (${mine().length}/${expect}); perl: ${this.stderr.slice(-500)}`));
      }, timeoutMs);
      const check = () => {
        if (mine().length < expect) return;
        clearTimeout(timer);
        this.off('resp', check);
        ok(mine());
      };
      this.on('resp', check);
      this.proc.stdin.write(`${JSON.stringify({ ...op, tag })}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
  }
}
