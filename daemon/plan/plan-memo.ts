/**
 * A node's plan depends on nothing but the lab, the node's name, its kernel release and which real
 * servers are unhealthy. A daemon plans each run twice (before reading the kernel, and again with the
 * health then in force) from a lab that changes only on reload: at 10,000 virtual servers that was
 * most of a converged run's planning. The memo keeps the last plan and gives it back while those four
 * are the same (the lab by identity: a reload makes a new object). Pure, except for the memo the
 * caller keeps.
 */
import type { LabConfig } from '../config/types.js';
import { planNode, type NodePlan, type PlanRuntime } from './plan.js';
import type { HealthView } from './real-servers.js';

/** The last plan of one node, kept by a long-lived caller (the daemon) across runs. */
export interface PlanMemo {
  last?: {
    readonly lab: LabConfig;
    readonly nodeName: string;
    readonly kernelRelease: string | undefined;
    readonly unhealthy: string;
    readonly plan: NodePlan;
  };
}

/** planNode, or the memo's plan when it was made from the same inputs. */
export function memoPlanNode(memo: PlanMemo, lab: LabConfig, nodeName: string, runtime: PlanRuntime = {}): NodePlan {
  const unhealthy = unhealthyKey(runtime.health);
  const last = memo.last;
  if (last !== undefined && last.lab === lab && last.nodeName === nodeName && last.kernelRelease === runtime.kernelRelease && last.unhealthy === unhealthy) {
    return last.plan;
  }
  const plan = planNode(lab, nodeName, runtime);
  memo.last = { lab, nodeName, kernelRelease: runtime.kernelRelease, unhealthy, plan };
  return plan;
}

/**
 * The unhealthy real servers' ids, sorted: all that a health view changes in a plan (one without an
 * entry, or with no view at all, is healthy: real-servers.ts).
 */
const unhealthyKey = (health: HealthView | undefined): string =>
  health === undefined ? '' : [...health].filter(([, h]) => !h.healthy).map(([id]) => id).sort().join('\n');
