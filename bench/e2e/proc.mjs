// What the end-to-end scripts (run.mjs, profile.mjs) need of the processes they start:
// pinning to a CPU with taskset, and a process's CPU time and page faults from /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Whether processes can be pinned: taskset works and there are two CPUs to pin to. */
export const canPin = (() => {
  try { execFileSync('taskset', ['-c', '0', 'true']); return os.cpus().length >= 2; } catch { return false; }
})();

/** [command, args] running `argv` pinned to `cpu` where possible. */
export const pinned = (cpu, argv) => (canPin ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0], argv.slice(1)]);

/** Clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat's times. */
export const TICKS = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; }
})();

/** A process's user and system CPU (clock ticks) and minor page faults so far (Linux; NaN elsewhere). */
export function procStat(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: Number(f[11]), system: Number(f[12]), faults: Number(f[7]) };
  } catch { return { user: NaN, system: NaN, faults: NaN }; }
}
