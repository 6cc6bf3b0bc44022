/**
 * What the daemon's scheduled runs may cost: at most a share of one core (the lab's
 * reconcile.cpuPercent, default SCHEDULED_CPU_SHARE), however big the lab. A run that took C of CPU (the daemon's own and that of the tools it ran and waited for) holds the
 * next scheduled run back until C × (1 / share − 1) has passed since it ended. A converged run of under
 * 0.55 CPU s keeps a 5 s schedule; under the micro-VM's emulation a 30-service lab's run took 0.97 s
 * (a run every 10 s there) and a 10,000-service lab's 5.5 s (every 55 s instead of back to back). A
 * run for the start, a reload or a health transition is never held back: only drift repair waits.
 */
import { readFileSync } from 'node:fs';

export const SCHEDULED_CPU_SHARE = 0.1;

export interface CpuBudget {
  /** A run ended at `endedAtMs` (epoch ms) having taken `cpuMs` of CPU. */
  record(cpuMs: number, endedAtMs: number): void;
  /** The earliest time (epoch ms) a scheduled run may start when scheduled runs keep to `share` of a core (in (0, 1]). */
  nextAt(share?: number): number;
  /** The CPU the last run took, in ms (0 before the first). */
  lastCpuMs(): number;
}

/** The share is asked for at each tick, so that a reload that changes the lab's cpuPercent applies to the next one. */
export function cpuBudget(): CpuBudget {
  let ended = 0;
  let last = 0;
  return {
    record(cpuMs, endedAtMs) {
      last = Math.max(0, cpuMs);
      ended = endedAtMs;
    },
    nextAt(share = SCHEDULED_CPU_SHARE) {
      if (!(share > 0 && share <= 1)) throw new RangeError(`a share of one core is in (0, 1], not ${share}`);
      return ended + last * (1 / share - 1);
    },
    lastCpuMs: () => last,
  };
}

/** /proc's clock ticks: USER_HZ, 100 on every Linux architecture's ABI. */
const MS_PER_TICK = 10;

/**
 * The CPU this process has used and that of its children it has waited for (utime, stime, cutime and
 * cstime of /proc/self/stat), in ms. The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted after its last ')'.
 */
export function processCpuMs(stat: string = readFileSync('/proc/self/stat', 'utf8')): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the name: state (field 3), … utime (14), stime (15), cutime (16), cstime (17)
  const ticks = fields.slice(11, 15).map(Number);
  if (ticks.length !== 4 || ticks.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`/proc/self/stat: no CPU times in ${JSON.stringify(stat.slice(0, 120))}`);
  return ticks.reduce((a, b) => a + b, 0) * MS_PER_TICK;
}

/** processCpuMs, or undefined where /proc/self/stat cannot be read (the budget then holds nothing back). */
export function cpuNowMs(): number | undefined {
  try {
    return processCpuMs();
  } catch {
    return undefined;
  }
}
