/**
 * A lane for urgent kernel work. While `ahead(work)` runs (a reload reading its lab and writing its
 * IPVS changes directly), the tool runs of `background` (the reconcile, the status API's reads) wait
 * before they start; a run already started finishes. On the micro-VM's two emulated CPUs every tool
 * run that overlapped the reload's `ipvsadm` and `conntrack -D` slowed both: a removal that takes
 * 0.6 s alone took 1.2 s beside a reconcile's reads.
 */
import type { Runner } from '../kernel/runner.js';

export interface PriorityLane {
  /** The runner for everything that may wait. */
  readonly background: Runner;
  /** Runs `work` with the background's new tool runs held until it settles. */
  ahead<T>(work: () => Promise<T>): Promise<T>;
}

export function priorityLane(runner: Runner): PriorityLane {
  const urgent = new Set<Promise<unknown>>();
  return {
    background: {
      netns: runner.netns,
      async run(argv, options) {
        while (urgent.size > 0) await Promise.allSettled([...urgent]);
        return runner.run(argv, options);
      },
    },
    async ahead(work) {
      const running = work();
      urgent.add(running);
      try {
        return await running;
      } finally {
        urgent.delete(running);
      }
    },
  };
}
