/**
 * One node's daemon: reconcile runs (single-flight) on the lab's schedule, on health transitions and
 * on reload; the health monitor (director); drain start times kept between runs; systemd readiness and
 * status; metrics. Kernel work happens only in reconcile(); nothing here flushes or cleans up.
 */
import { release } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { formatProblems, loadLab } from '../config/load.js';
import type { LabConfig } from '../config/types.js';
import { startBackends, type RunningBackends } from '../backend/backends.js';
import { startHealthMonitor, type HealthEvent, type HealthMonitor } from '../health/monitor.js';
import { conntrackAdapter } from '../kernel/conntrack/index.js';
import { nodeKernel, ownershipOf } from '../kernel/node-kernel.js';
import type { Runner } from '../kernel/runner.js';
import type { IpvsTableMemo } from '../kernel/ipvs/index.js';
import { memoPlanNode, type PlanMemo } from '../plan/plan-memo.js';
import type { HealthView } from '../plan/real-servers.js';
import type { Metrics } from '../metrics/metrics.js';
import type { DrainStarts } from '../plan/drain.js';
import { describeChange } from '../plan/describe.js';
import { findNode, planNode, virtualService } from '../plan/plan.js';
import { reloadIpvsChanges } from '../plan/reload.js';
import { reconcile, summarize, untilNotSuperseded, type ReconcileResult } from '../reconcile/reconcile.js';
import { singleFlight } from '../reconcile/single-flight.js';
import { readState, writeState, type DaemonState } from '../reconcile/state-file.js';
import type { Notifier } from '../systemd/notify.js';
import { labEndpoints, labFlows } from './lab-flows.js';
import { priorityLane } from './priority-lane.js';
import { serviceDns } from './service-dns.js';
import { sharedRead } from '../api/shared-read.js';
import { realServerRows, statusDocument } from './status-document.js';
import { driftRepairedBy, type RunCause } from './drift.js';
import { cpuBudget, cpuNowMs } from './cpu-budget.js';
import type { StatusDocument } from '../api/state-document.js';

/** How long one read of IPVS counts serves /v1/state and /metrics. */
export const KERNEL_READ_MAX_AGE_MS = 1_000;

export interface DaemonOptions {
  readonly configPath: string;
  readonly nodeName: string;
  readonly statePath: string;
  readonly runner: Runner;
  readonly log: Logger;
  readonly notifier: Notifier;
  readonly metrics: Metrics;
}

/** The lab at configPath, or every problem with it (including a node that is not in it). */
export async function readLab(configPath: string, nodeName: string): Promise<{ lab?: LabConfig; problems: string[] }> {
  const loaded = await loadLab(configPath);
  if (!loaded.ok) return { problems: formatProblems(configPath, loaded.problems).split('\n') };
  try {
    findNode(loaded.lab, nodeName);
  } catch (e) {
    return { problems: [(e as Error).message] };
  }
  return { lab: loaded.lab, problems: [] };
}

/** The drain start times of the last run the state file at PATH holds, when it is this lab's and node's. */
async function drainStartsBeforeRestart(path: string, labName: string, node: string): Promise<DrainStarts> {
  const previous = await readState(path);
  return previous?.lab === labName && previous.node === node ? (previous.last?.drainStarts ?? {}) : {};
}

/** A reload's reading of its lab file: when the signal's handler started (epoch ms), and how long the read took. */
interface ReloadRead {
  readonly receivedAt: number;
  readonly ms: number;
}

export async function startDaemon(first: LabConfig, o: DaemonOptions) {
  let lab = first;
  const startedAt = new Date().toISOString();
  let state: DaemonState = { lab: lab.lab, node: o.nodeName, pid: process.pid, runs: 0, converged: false, updatedAt: startedAt };
  let last: (ReconcileResult & { at: string }) | undefined;
  // A restart mid-drain goes on with the drains it left (their start times, from its last state file):
  // a fresh clock would hold a removed real server at weight 0 one more timeout per restart.
  let drainStarts: DrainStarts = await drainStartsBeforeRestart(o.statePath, lab.lab, o.nodeName);
  let ready = false;
  let running = false;
  /** Counts reloads: a run planned under an older generation writes nothing (reconcileCurrentLab). */
  let labGeneration = 0;
  const changedDuringRun: HealthEvent[] = [];
  /** Why runs were asked for since the last one started (see driftRepairedBy). */
  const causes = new Set<RunCause>();
  let backends: RunningBackends = await startBackends(o.nodeName, planNode(lab, o.nodeName).backends, o.log);
  const dns = serviceDns(o.nodeName, o.log);
  /** A reload's direct write goes ahead of the reconcile's and the status API's tool runs. */
  const lane = priorityLane(o.runner);
  /** This node's kernel as the lab in force owns it; the runner is the lane's background unless a write goes ahead. */
  const ipvsMemo: IpvsTableMemo = {};
  const planMemo: PlanMemo = {};
  const kernelRelease = release();
  /** A lab's plan for this node, as the runs make it (through their memo: one plan per lab and health). */
  const planOf = (l: LabConfig, health: HealthView) => memoPlanNode(planMemo, l, o.nodeName, { kernelRelease, health });
  const kernel = (runner: Runner = lane.background) => nodeKernel(runner, ownershipOf(lab, o.nodeName), ipvsMemo);
  await dns.update(lab);

  /** Asks for a run (joining one already queued); resolves with the result of the run that covers it. */
  const queue = (cause: RunCause): Promise<ReconcileResult> => {
    causes.add(cause);
    o.metrics.recordQueued();
    return flight.trigger();
  };
  /** A run that throws (rather than returning a failed result) is logged: it must never kill the daemon. */
  const run = (cause: RunCause): void => {
    queue(cause).catch((err: unknown) => o.log.error({ err, why: cause }, 'reconcile run failed'));
  };

  const monitor: HealthMonitor = startHealthMonitor(lab, o.nodeName, {
    onTransition: (event) => {
      // a server going down is a warning; one coming back is news (keepalived logs both at info)
      o.log[event.transition === 'down' ? 'warn' : 'info']({ realServer: event.key, transition: event.transition }, event.reason);
      o.metrics.recordHealthTransition({ virtualServer: event.virtualServer, realServer: `${event.ip}:${event.port}` }, event.transition);
      // keepalived's way: the new weight goes to the kernel at once; the full reconcile follows.
      void fastWeight(event);
      // a run under way may have planned with the old health: its end writes this weight again
      if (running) changedDuringRun.push(event);
      run('health');
    },
    onCheck: (target, result, ms) => o.metrics.recordHealthCheck({ virtualServer: target.virtualServer, realServer: `${target.ip}:${target.port}` }, result.ok, ms),
    onError: (err) => o.log.error({ err }, 'health transition handler failed'),
  });

  /** What each run's CPU time allows of the schedule (service/cpu-budget.ts). */
  const budget = cpuBudget();
  const flight = singleFlight(async (): Promise<ReconcileResult> => {
    running = true;
    const askedBy = [...causes];
    causes.clear();
    const before = last;
    const cpuBefore = cpuNowMs();
    let result: ReconcileResult;
    try {
      result = await reconcileCurrentLab();
    } finally {
      running = false;
      const cpuAfter = cpuNowMs();
      if (cpuBefore !== undefined && cpuAfter !== undefined) {
        budget.record(cpuAfter - cpuBefore, Date.now());
        o.metrics.recordReconcileCpu(cpuAfter - cpuBefore);
      }
    }
    // A transition during the run: its weight was written at once, but the run may have applied a plan
    // made just before it. Write the current weight again now rather than at the next run.
    for (const event of changedDuringRun.splice(0)) await fastWeight(event);
    drainStarts = result.drainStarts;
    const at = new Date().toISOString();
    last = { ...result, at };
    const converged = result.ok && result.remaining === 0;
    state = { ...state, runs: state.runs + 1, converged, last: result, ...(result.changes.length > 0 ? { lastChange: { ...result, at } } : {}), updatedAt: at };
    await writeState(o.statePath, state);
    o.metrics.recordReconcile(result);
    if (driftRepairedBy(result, before, askedBy)) {
      o.metrics.recordDriftRepaired(result.countsByKind);
      o.log.warn({ applied: result.changes }, `drift repaired: ${result.changes.length} changes to what lvslab owns, made behind its back since the last run`);
    }
    const line = summarize(result);
    const fields = { changes: result.changes.length, remaining: result.remaining, durationMs: result.durationMs, draining: result.draining.length };
    if (!result.ok) o.log.error({ ...fields, error: result.error }, line);
    else if (result.changes.length > 0) o.log.info({ ...fields, applied: result.changes }, line);
    else o.log.debug(fields, line);
    const health = [...monitor.snapshot().values()];
    const status = `${line}; ${health.filter((h) => h.healthy).length}/${health.length} real servers healthy`;
    if (result.ok && !ready) {
      ready = true;
      o.notifier.ready(status);
    } else o.notifier.status(status);
    return result;
  });

  /** One reconcile of the lab in force, started again (with the new lab) when a reload supersedes it. */
  function reconcileCurrentLab(): Promise<ReconcileResult> {
    return untilNotSuperseded(
      () => labGeneration,
      (superseded) => reconcile(lab, o.nodeName, kernel(), { health: () => monitor.snapshot(), drainStarts, superseded, planMemo, kernelRelease }),
      (result, attempt) => o.log.info({ attempt, notWritten: result.changes }, summarize(result)),
    );
  }

  /**
   * Writes a reload's IPVS changes at once (an endpoint removed, a service added), with their UDP
   * conntrack cleanup, before the full reconcile reads the kernel. A failure is logged, never thrown:
   * the reconcile that follows writes what is still missing.
   */
  async function fastReload(previous: LabConfig, next: LabConfig, read: ReloadRead): Promise<void> {
    try {
      const planning = performance.now();
      const health = monitor.snapshot();
      // the lab in force was planned by the last run (the memo's); the new one is planned once, here, for
      // the reconcile that follows too
      const changes = reloadIpvsChanges(planOf(previous, health).desired, planOf(next, health).desired, drainStarts);
      if (changes.length === 0) return;
      const applying = performance.now();
      const steps = await kernel(lane.urgent).apply(changes);
      // where the time from the signal went: the apply's steps, and the ledger's update around them
      const timings = { receivedAt: read.receivedAt, readMs: read.ms, planMs: Math.round(applying - planning), applyMs: Math.round(performance.now() - applying) };
      o.log.info({ changes: changes.map(describeChange), steps, timings }, `reload: ${changes.length} IPVS changes written directly`);
    } catch (err) {
      o.log.warn({ err }, 'reload: direct IPVS changes failed; the reconcile that follows writes them');
    }
  }

  /**
   * Writes the planned weight of one real server after a health transition: one ipvsadm -R line. A
   * failure is logged, never thrown: the next reconcile writes the weight anyway.
   */
  async function fastWeight(event: HealthEvent): Promise<void> {
    try {
      const vs = lab.virtualServers.find((v) => v.name === event.virtualServer);
      // that one virtual server planned, not the whole director: a transition costs its real servers
      const service = vs === undefined ? undefined : virtualService(lab, vs, { health: monitor.snapshot() });
      const real = service?.realServers.find((r) => r.address === event.ip && r.port === event.port);
      if (!service || !real) return; // removed on failure: the reconcile drains it
      const steps = await kernel().apply([{ kind: 'rs-edit', service, real, from: real }]);
      o.log.info({ realServer: event.key, weight: real.weight, steps }, `${event.node} ${event.ip}:${event.port}: weight ${real.weight} written directly`);
    } catch (err) {
      o.log.error({ err, realServer: event.key }, 'direct weight change failed');
    }
  }

  /** Scheduled runs keep to the lab's reconcile.cpuPercent of a core: a tick before the budget allows is skipped. */
  const scheduled = (): void => {
    const waitMs = budget.nextAt(lab.reconcileCpuPercent / 100) - Date.now();
    if (waitMs <= 0) return run('schedule');
    o.metrics.recordScheduledRunDeferred();
    o.log.debug({ lastRunCpuMs: budget.lastCpuMs(), waitMs: Math.round(waitMs) },
      `scheduled run deferred: the last run took ${budget.lastCpuMs()} ms of CPU, and scheduled runs keep to ${lab.reconcileCpuPercent}% of a core`);
  };
  const schedule = (expr: string): ScheduledTask => cron.schedule(expr, scheduled, { noOverlap: true, name: 'reconcile' });
  let task = schedule(lab.reconcileSchedule);
  const director = () => findNode(lab, o.nodeName).role === 'director';
  const vips = () => new Set(lab.virtualServers.map((vs) => vs.vip));
  /** IPVS weights and connection counts: one `ipvsadm -Ln` shared by /v1/state and /metrics within a second. */
  const ipvsCounts = sharedRead(async () => (director() ? kernel().connections(vips()) : []), KERNEL_READ_MAX_AGE_MS);
  /** IPVS traffic counters for /metrics: one `ipvsadm -L -n --stats --exact` a second at most. */
  const ipvsStats = sharedRead(async () => (director() ? kernel().stats(vips()) : []), KERNEL_READ_MAX_AGE_MS);

  async function status(): Promise<StatusDocument> {
    return statusDocument({
      lab, node: findNode(lab, o.nodeName), pid: process.pid, startedAt, converged: state.converged,
      ...(last ? { last } : {}), health: monitor.snapshot(), connections: await ipvsCounts.get(),
      ...(state.reloadProblems ? { reloadProblems: state.reloadProblems } : {}),
    });
  }

  // the real-server families of /metrics, read at each scrape; no samples while IPVS cannot be read
  o.metrics.readRealServersWith(async () => {
    try {
      const [doc, stats] = await Promise.all([status(), ipvsStats.get()]);
      return realServerRows(doc, stats);
    } catch (err) {
      o.log.warn({ err }, 'metrics: real servers not read');
      return [];
    }
  });

  return {
    /** The first run, at start. */
    trigger: () => queue('start'),

    /** Re-read the lab file: a bad one keeps the last good lab and says why. */
    async reload(): Promise<boolean> {
      const receivedAt = Date.now();
      // from SIGHUP to the direct IPVS write returned, nothing else of this daemon's starts a tool run
      const { next, previous } = await lane.ahead(async () => {
        const reading = performance.now();
        const read = await readLab(o.configPath, o.nodeName);
        if (!read.lab) return { next: read, previous: undefined };
        const inForce = lab;
        lab = read.lab;
        labGeneration++;
        await fastReload(inForce, lab, { receivedAt, ms: Math.round(performance.now() - reading) });
        return { next: read, previous: inForce };
      });
      if (!next.lab || !previous) {
        for (const problem of next.problems) o.log.error({ problem }, 'reload refused: the last good lab stays in force');
        state = { ...state, reloadProblems: next.problems };
        await writeState(o.statePath, state);
        o.notifier.status(`reload refused (${next.problems.length} problems), last good lab in force`);
        o.metrics.recordReload('refused');
        return false;
      }
      const { reloadProblems: _dropped, ...rest } = state;
      state = rest;
      monitor.update(lab);
      if (previous.reconcileSchedule !== lab.reconcileSchedule) {
        await task.stop();
        task = schedule(lab.reconcileSchedule);
      }
      const wanted = planOf(lab, monitor.snapshot()).backends;
      if (JSON.stringify(wanted) !== JSON.stringify(backends.listening)) {
        await backends.close();
        backends = await startBackends(o.nodeName, wanted, o.log);
      }
      await dns.update(lab);
      o.log.info({ config: o.configPath }, 'reloaded');
      o.metrics.recordReload('applied');
      await queue('reload');
      return true;
    },

    status,

    /** The lab's flows on this node (never its other ones), at most FLOW_LIMIT rows. */
    conntrack: () => labFlows(conntrackAdapter(lane.background), labEndpoints(lab, o.nodeName)),

    healthy(): { ok: boolean; reason?: string } {
      if (!last) return { ok: false, reason: 'no reconcile has finished yet' };
      return last.ok ? { ok: true } : { ok: false, reason: last.failure?.reason ?? 'the last reconcile failed' };
    },

    /** Stop timers, health checks and backends; the kernel is left as it is. */
    async stop(): Promise<void> {
      o.notifier.stopping();
      monitor.stop();
      await Promise.all([task.stop(), backends.close(), dns.close()]);
      o.notifier.close();
    },
  };
}

export type Daemon = Awaited<ReturnType<typeof startDaemon>>;
