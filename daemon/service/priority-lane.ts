/**
 * A lane for urgent kernel work. While `ahead(work)` runs (a reload reading its lab and writing its
 * IPVS changes directly), the tool runs of `background` (the reconcile, the status API's reads) wait
 * before they start; a run already started finishes. On the micro-VM's two emulated CPUs every tool
 * run that overlapped the reload's `ipvsadm` and `conntrack -D` slowed both: a removal that takes
 * 0.6 s alone took 1.2 s beside a reconcile's reads. The urgent work's own tool runs go through
 * `urgent`, at nice URGENT_NICE, and this process's main thread (where the lab is read and planned)
 * runs at it too while urgent work is under way: beside the other daemons of a one-box lab (their
 * reconciles, the backends), 5 of 20 removals still took 1.5–2.4 s at the default nice.
 */
import { getPriority, setPriority } from 'node:os';
import type { Runner } from '../kernel/runner.js';

/** The nice value of the urgent work's tool runs (keepalived's checker_priority, say, ranges -20 … 19). */
export const URGENT_NICE = -10;

export interface PriorityLane {
  /** The runner for everything that may wait. */
  readonly background: Runner;
  /** The runner for the urgent work: its programs start at URGENT_NICE. */
  readonly urgent: Runner;
  /** Runs `work` with the background's new tool runs held until it settles. */
  ahead<T>(work: () => Promise<T>): Promise<T>;
}

/** How this process's own priority is read and set (node:os; a test passes its own). */
export interface OwnPriority {
  get(): number;
  set(nice: number): void;
}
const osPriority: OwnPriority = { get: () => getPriority(), set: (nice) => setPriority(nice) };

export function priorityLane(runner: Runner, own: OwnPriority = osPriority): PriorityLane {
  const underWay = new Set<Promise<unknown>>();
  let normal: number | undefined;
  /** Raised while urgent work is under way; one that cannot be set (no CAP_SYS_NICE) stays as it is. */
  const raise = (): void => {
    try {
      const current = own.get();
      own.set(Math.min(current, URGENT_NICE));
      normal = current;
    } catch {
      normal = undefined;
    }
  };
  const lower = (): void => {
    if (normal === undefined) return;
    try {
      own.set(normal);
    } catch {
      // a nice value we could raise can be set back: nothing to do if not
    }
    normal = undefined;
  };
  return {
    background: {
      netns: runner.netns,
      async run(argv, options) {
        while (underWay.size > 0) await Promise.allSettled([...underWay]);
        return runner.run(argv, options);
      },
    },
    urgent: {
      netns: runner.netns,
      run: (argv, options) => runner.run(argv, { ...options, nice: URGENT_NICE }),
    },
    async ahead(work) {
      if (underWay.size === 0) raise();
      const running = work();
      underWay.add(running);
      try {
        return await running;
      } finally {
        underWay.delete(running);
        if (underWay.size === 0) lower();
      }
    },
  };
}
