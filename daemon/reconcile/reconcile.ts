/**
 * One reconcile of one node: plan → observe → diff → apply → observe again to prove convergence.
 * Returns a structured result (never only logs): the CLI prints it, the daemon logs and records it.
 */
import type { LabConfig } from '../config/types.js';
import type { Change } from '../kernel/changes.js';
import type { NodeKernel, StepResult } from '../kernel/node-kernel.js';
import { emptyState, type KernelState } from '../kernel/types.js';
import { describeChange } from '../plan/describe.js';
import { diff } from '../plan/diff.js';
import { planNode } from '../plan/plan.js';

export interface ReconcileResult {
  readonly node: string;
  readonly ok: boolean;
  /** What was (or, with dryRun, would be) changed, one line each. */
  readonly changes: readonly string[];
  readonly countsByKind: Readonly<Record<string, number>>;
  readonly steps: readonly StepResult[];
  /** Changes still needed after applying: 0 means converged. */
  readonly remaining: number;
  readonly remainingChanges: readonly string[];
  readonly durationMs: number;
  readonly error?: string;
}

export interface ReconcileOptions {
  readonly dryRun?: boolean;
  /** Remove everything lvslab owns instead of building the plan. */
  readonly cleanup?: boolean;
}

export async function reconcile(lab: LabConfig, nodeName: string, kernel: NodeKernel, options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = performance.now();
  const plan = planNode(lab, nodeName);
  const desired: KernelState = options.cleanup ? emptyState : plan.desired;
  let changes: Change[] = [];
  let steps: StepResult[] = [];
  let remaining: Change[] = [];
  try {
    let observed = await kernel.observe(desired);
    if (!options.cleanup && desired.sysctls.some((s) => !observed.sysctls.has(s.key)) && plan.modules.length > 0) {
      // IPVS sysctls exist only once ip_vs is loaded.
      await kernel.loadModules(plan.modules);
      observed = await kernel.observe(desired);
    }
    changes = diff(desired, observed);
    if (!options.dryRun && changes.length > 0) {
      steps = await kernel.apply(changes);
      remaining = diff(desired, await kernel.observe(desired));
    } else if (options.dryRun) {
      remaining = changes;
    }
  } catch (e) {
    return result(nodeName, started, changes, steps, remaining, e instanceof Error ? e.message : String(e));
  }
  return result(nodeName, started, changes, steps, remaining);
}

function result(node: string, started: number, changes: Change[], steps: StepResult[], remaining: Change[], error?: string): ReconcileResult {
  const countsByKind: Record<string, number> = {};
  for (const c of changes) countsByKind[c.kind] = (countsByKind[c.kind] ?? 0) + 1;
  return {
    node,
    ok: error === undefined,
    changes: changes.map(describeChange),
    countsByKind,
    steps,
    remaining: remaining.length,
    remainingChanges: remaining.map(describeChange),
    durationMs: Math.round(performance.now() - started),
    ...(error !== undefined ? { error } : {}),
  };
}

/** "ds: 14 changes applied in 420 ms" / "ds: 0 changes (converged) in 95 ms". */
export function summarize(r: ReconcileResult, dryRun = false): string {
  if (!r.ok) return `${r.node}: FAILED after ${r.durationMs} ms: ${r.error}`;
  const verb = dryRun ? 'planned' : 'applied';
  const head = r.changes.length === 0 ? `${r.node}: 0 changes (converged)` : `${r.node}: ${r.changes.length} changes ${verb}`;
  const tail = !dryRun && r.remaining > 0 ? `; ${r.remaining} still differ: ${r.remainingChanges.join('; ')}` : '';
  return `${head} in ${r.durationMs} ms${tail}`;
}
