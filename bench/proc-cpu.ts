/**
 * CPU seconds used by processes, from /proc (Linux): a process's own time plus that of its children
 * (live ones read directly, exited ones through the parent's cutime/cstime), so a PostgreSQL
 * postmaster counts its backends. For benches to say where a run's CPU went.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** Fields of /proc/PID/stat after the command name (which may contain spaces). */
function stat(pid: number | 'self'): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU seconds of this pid, and with `children` of its descendants too (exited ones as far as they
 * were waited for).
 */
export function cpuSeconds(pid: number | 'self', children = true): number {
  const self = stat(pid);
  if (!self) return 0;
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
  if (!children) return (Number(self[11]) + Number(self[12])) / TICKS;
  let ticks = Number(self[11]) + Number(self[12]) + Number(self[13]) + Number(self[14]);
  const root = pid === 'self' ? process.pid : pid;
  const tree = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = stat(Number(d));
    if (!f) continue;
    const ppid = Number(f[1]);
    if (!tree.has(ppid)) tree.set(ppid, []);
    tree.get(ppid)!.push(Number(d));
  }
  const walk = (p: number) => {
    for (const c of tree.get(p) ?? []) {
      const f = stat(c);
      if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      walk(c);
    }
  };
  walk(root);
  return ticks / TICKS;
}

/** The whole machine's busy CPU seconds so far (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]) / TICKS;
}
