/**
 * One reconcile of one node: plan → observe → diff → drain → apply → observe again to prove convergence.
 * Returns a structured result (never only logs): the CLI prints it, the daemon logs and records it.
 * It keeps no memory of its own: health states and drain start times come in through the options and
 * the new drain start times go out in the result, for the caller to pass to the next run.
 */
import { release } from 'node:os';
import { drainTimeoutMs, type LabConfig } from '../config/types.js';
import type { Change } from '../kernel/changes.js';
import type { NodeKernel, StepResult } from '../kernel/node-kernel.js';
import { describeConflict, withoutConflicts, type Conflict } from '../kernel/ownership.js';
import { emptyState, type KernelState } from '../kernel/types.js';
import { errorText, runFailure, type RunFailure } from '../kernel/tool-error.js';
import { describeChange } from '../plan/describe.js';
import { diff } from '../plan/diff.js';
import {
  applyDrain, connectionsById, drainedVips, needsConnections, withoutDraining,
  type DrainOutput, type DrainStarts, type DrainingServer,
} from '../plan/drain.js';
import { memoPlanNode, type PlanMemo } from '../plan/plan-memo.js';
import type { HealthView } from '../plan/real-servers.js';

export interface ReconcileResult {
  readonly node: string;
  readonly ok: boolean;
  /** What was (or, with dryRun, would be) changed, one line each. */
  readonly changes: readonly string[];
  readonly countsByKind: Readonly<Record<string, number>>;
  readonly steps: readonly StepResult[];
  /** Changes still needed after applying: 0 means converged (real servers draining do not count). */
  readonly remaining: number;
  readonly remainingChanges: readonly string[];
  readonly durationMs: number;
  /** Real servers at weight 0 waiting for their connections to end before they are deleted. */
  readonly draining: readonly DrainingServer[];
  /** Pass to the next run as options.drainStarts. */
  readonly drainStarts: DrainStarts;
  /** The lab changed (a reload) after this run planned: it wrote nothing and must run again. */
  readonly superseded?: true;
  /** Objects of others where the lab wants its own (ownership.ts); the error names them too. */
  readonly conflicts?: readonly Conflict[];
  /** The error's text (it can hold a tool's stderr and batch lines: for the log only). */
  readonly error?: string;
  /** The same failure as data, safe to serve (runFailure). */
  readonly failure?: RunFailure;
}

export interface ReconcileOptions {
  readonly dryRun?: boolean;
  /** Remove everything lvslab owns instead of building the plan (at once: no drain). */
  readonly cleanup?: boolean;
  /**
   * The health monitor's view: unhealthy real servers are inhibited or removed. It is asked again once
   * the kernel has been read, so that a run never writes back a weight that a health transition
   * changed while it was observing (which takes seconds on a slow machine).
   */
  readonly health?: () => HealthView;
  /** The previous result's drainStarts (the daemon keeps them in memory). */
  readonly drainStarts?: DrainStarts;
  /**
   * Asked just before writing: true when the lab this run planned with is no longer the one in force
   * (a reload came while it was reading the kernel). Such a run writes nothing and says superseded:
   * its diff was taken against the old lab, and a reload's direct writes (an endpoint deleted) would
   * otherwise be undone by it until the next run.
   */
  readonly superseded?: () => boolean;
  /** The node's kernel release (`uname -r`); default this machine's (a namespace shares it). */
  readonly kernelRelease?: string;
  /** The last plan, kept by a long-lived caller (the daemon) to plan again only when its inputs changed. */
  readonly planMemo?: PlanMemo;
  /** Epoch milliseconds; default Date.now (tests set it). */
  readonly now?: () => number;
}

interface Outcome {
  changes: Change[];
  steps: StepResult[];
  remaining: Change[];
  drain?: DrainOutput;
  superseded?: true;
  conflicts?: readonly Conflict[];
}

export async function reconcile(lab: LabConfig, nodeName: string, kernel: NodeKernel, options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = performance.now();
  const kernelRelease = options.kernelRelease ?? release();
  const runtime = () => ({ kernelRelease, ...(options.health === undefined ? {} : { health: options.health() }) });
  // a run plans twice (health may have changed while it read the kernel): the same inputs, the same plan
  const memo = options.planMemo ?? {};
  const planNow = () => memoPlanNode(memo, lab, nodeName, runtime());
  let plan = planNow();
  let desired: KernelState = options.cleanup ? emptyState : plan.desired;
  const outcome: Outcome = { changes: [], steps: [], remaining: [] };
  try {
    // what the lab would make is lvslab's by its exact key, also for cleanup (which wants nothing)
    let observed = await kernel.observe(desired, plan.desired);
    if (!options.cleanup && desired.sysctls.some((s) => !observed.sysctls.has(s.key)) && plan.modules.length > 0) {
      // IPVS sysctls exist only once ip_vs is loaded.
      await kernel.loadModules(plan.modules);
      observed = await kernel.observe(desired, plan.desired);
    }
    if (options.health !== undefined && !options.cleanup) {
      // health only changes weights and which real servers are in: the objects observed stay the same
      plan = planNow();
      desired = plan.desired;
    }
    if (observed.conflicts.length > 0) outcome.conflicts = observed.conflicts;
    // a link that is not lvslab's dummy where the lab wants its interface: the node is not touched at all
    if (observed.conflicts.some((c) => c.kind === 'link')) return result(nodeName, started, outcome, options, conflictError(observed.conflicts));
    // a route someone else holds is left to them: the rest of the lab is still applied
    desired = withoutConflicts(desired, observed.conflicts);
    const planned = diff(desired, observed);
    if (!options.cleanup) outcome.drain = await drain(planned, lab, kernel, options);
    outcome.changes = outcome.drain?.changes ?? planned;
    const stillDraining = (changes: Change[]): Change[] => withoutDraining(changes, outcome.drain?.drainStarts ?? {});
    if (options.dryRun) {
      outcome.remaining = outcome.changes;
    } else if (outcome.changes.length > 0 && options.superseded?.()) {
      // nothing between this check and apply() awaits: a reload cannot slip in after it
      outcome.superseded = true;
      outcome.drain = undefined;
      outcome.remaining = outcome.changes; // not converged: the state file and metrics must not say so
    } else if (outcome.changes.length > 0) {
      outcome.steps = await kernel.apply(outcome.changes);
      outcome.remaining = stillDraining(diff(desired, await kernel.observe(desired, plan.desired)));
    }
  } catch (e) {
    return result(nodeName, started, outcome, options, errorText(e), runFailure(e));
  }
  const conflicts = outcome.conflicts ? conflictError(outcome.conflicts) : undefined;
  return result(nodeName, started, outcome, options, conflicts, conflicts === undefined ? undefined : { reason: conflicts });
}

const conflictError = (conflicts: readonly Conflict[]): string => conflicts.map(describeConflict).join('; ');

/** Reloads in a row that may supersede one run before it returns what it has (the next run writes). */
export const MAX_SUPERSEDED_RUNS = 3;

/**
 * Runs `attempt` until it is not superseded: each attempt gets a `superseded` that is true once the
 * lab generation has moved since it started (the daemon bumps it on every reload), and a superseded
 * attempt (which wrote nothing) is reported and started again, with whatever lab is then in force.
 */
export async function untilNotSuperseded(
  generation: () => number,
  attempt: (superseded: () => boolean) => Promise<ReconcileResult>,
  onSuperseded: (result: ReconcileResult, attempt: number) => void,
): Promise<ReconcileResult> {
  for (let n = 1; ; n++) {
    const planned = generation();
    const result = await attempt(() => generation() !== planned);
    if (!result.superseded || n === MAX_SUPERSEDED_RUNS) return result;
    onSuperseded(result, n);
  }
}

/** Holds back the deletion of real servers that still have connections (plan/drain.ts). */
async function drain(changes: Change[], lab: LabConfig, kernel: NodeKernel, options: ReconcileOptions): Promise<DrainOutput> {
  const timeoutMs = drainTimeoutMs(lab);
  // Counts cost one more ipvsadm run: read them only when a real server at weight 0 is to be deleted.
  const connections = needsConnections(changes, timeoutMs) ? connectionsById(await kernel.connections(drainedVips(changes, timeoutMs))) : undefined;
  const now = (options.now ?? Date.now)();
  return applyDrain({ changes, connections, drainStarts: options.drainStarts ?? {}, now, timeoutMs });
}

function result(node: string, started: number, outcome: Outcome, options: ReconcileOptions, error?: string, failure?: RunFailure): ReconcileResult {
  const { changes, steps, remaining, drain: drained, superseded, conflicts } = outcome;
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
    draining: drained?.draining ?? [],
    drainStarts: drained?.drainStarts ?? options.drainStarts ?? {},
    ...(superseded ? { superseded } : {}),
    ...(conflicts ? { conflicts } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(failure !== undefined ? { failure } : {}),
  };
}

/** "ds: 14 changes applied in 420 ms" / "ds: 0 changes (converged) in 95 ms"; "…; 1 draining". */
export function summarize(r: ReconcileResult, dryRun = false): string {
  if (!r.ok) return `${r.node}: FAILED after ${r.durationMs} ms: ${r.error}`;
  if (r.superseded) return `${r.node}: ${r.changes.length} changes not written (the lab was reloaded while this run read the kernel) in ${r.durationMs} ms`;
  const verb = dryRun ? 'planned' : 'applied';
  const head = r.changes.length === 0 ? `${r.node}: 0 changes (converged)` : `${r.node}: ${r.changes.length} changes ${verb}`;
  const tail = !dryRun && r.remaining > 0 ? `; ${r.remaining} still differ: ${r.remainingChanges.join('; ')}` : '';
  const draining = r.draining.length > 0 ? `; ${r.draining.length} real server${r.draining.length === 1 ? '' : 's'} draining` : '';
  return `${head} in ${r.durationMs} ms${tail}${draining}`;
}
