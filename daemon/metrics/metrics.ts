/**
 * The daemon's Prometheus metrics, on a registry of its own (never prom-client's global one, and no
 * default process metrics: the output stays small and tests do not see each other's values).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IpvsCounters } from '../kernel/ipvs/parse-stats.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';

/** One real server of one virtual server, as the daemon sees it now. */
export interface RealServerRow {
  /** The virtual server's name in the lab (e.g. `web`). */
  readonly virtualServer: string;
  /** `ADDRESS:PORT` of the real server (e.g. `192.168.113.99:8080`). */
  readonly realServer: string;
  /** Left out when there is no health check (or no result yet): no health sample then. */
  readonly healthy?: boolean;
  readonly weight: number;
  readonly activeConns?: number;
  readonly inactiveConns?: number;
  /** IPVS's traffic counters of this real server since it was added (`ipvsadm -L -n --stats --exact`). */
  readonly counters?: IpvsCounters;
}

/** One real server, as the health-check families label it. */
export interface CheckedServer {
  readonly virtualServer: string;
  readonly realServer: string;
}


/** What recordReconcile reads of a ReconcileResult. */
export type ReconcileOutcome = Pick<ReconcileResult, 'ok' | 'durationMs' | 'countsByKind' | 'superseded'>;

export interface MetricsOptions {
  /** Clock for the timestamps, in milliseconds since the epoch (tests pin it). */
  readonly now?: () => number;
  /** lvslab's version, for lvslab_build_info (package.json's). */
  readonly version?: string;
}

/** Reconcile durations run from ~0.1 s on a real host to ~10 s in the micro-VM. */
const SYNC_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RS_LABELS = ['virtual_server', 'real_server'] as const;
/** A check takes from a millisecond (refused at once) to its timeout (seconds). */
const CHECK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
type RsLabel = (typeof RS_LABELS)[number];

export class Metrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private readonly syncDuration: Histogram;
  private readonly lastSuccess: Gauge;
  private readonly changesApplied: Counter<'kind'>;
  private readonly commandFailures: Counter<'tool'>;
  private readonly rsHealthy: Gauge<'virtual_server' | 'real_server'>;
  private readonly rsWeight: Gauge<'virtual_server' | 'real_server'>;
  private readonly ipvsConnections: Gauge<RsLabel | 'state'>;
  private readonly rsConnections: Counter<RsLabel>;
  private readonly rsPackets: Counter<RsLabel | 'direction'>;
  private readonly rsBytes: Counter<RsLabel | 'direction'>;
  private readonly lastQueued: Gauge;
  private readonly syncRuns: Counter<'result'>;
  private readonly failingRuns: Gauge;
  private readonly driftRepaired: Counter<'kind'>;
  private readonly driftRepairs: Counter;
  private readonly reloads: Counter<'result'>;
  private readonly checkDuration: Histogram<RsLabel | 'result'>;
  private readonly transitions: Counter<RsLabel | 'to'>;
  private readonly reconcileCpu: Counter;
  private readonly deferred: Counter;
  private realServers: (() => Promise<readonly RealServerRow[]>) | undefined;
  private consecutiveFailures = 0;

  constructor(options: MetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    new Gauge({
      name: 'lvslab_build_info', help: 'Always 1: the version of lvslab and of Node.js this daemon runs.', labelNames: ['version', 'nodejs'], registers,
    }).set({ version: options.version ?? 'unknown', nodejs: process.version }, 1);
    this.syncDuration = new Histogram({
      name: 'lvslab_sync_duration_seconds', help: 'Duration of one reconcile (observe, diff, apply, observe again).',
      buckets: SYNC_BUCKETS, registers,
    });
    this.lastSuccess = new Gauge({
      name: 'lvslab_last_successful_sync_timestamp_seconds', help: 'Unix time of the end of the last reconcile that succeeded.', registers,
    });
    this.changesApplied = new Counter({
      name: 'lvslab_changes_applied_total', help: 'Kernel changes applied by successful reconciles, by kind of change.', labelNames: ['kind'], registers,
    });
    this.commandFailures = new Counter({
      name: 'lvslab_command_failures_total', help: 'Failed runs of a kernel tool, by program.', labelNames: ['tool'], registers,
    });
    this.rsHealthy = new Gauge({
      name: 'lvslab_real_server_healthy', help: 'Health check verdict of a real server: 1 up, 0 down (absent: unknown).', labelNames: RS_LABELS, registers,
    });
    this.rsWeight = new Gauge({
      name: 'lvslab_real_server_weight', help: 'IPVS weight of a real server.', labelNames: RS_LABELS, registers,
    });
    this.ipvsConnections = new Gauge({
      name: 'lvslab_ipvs_connections', help: 'IPVS connections to a real server, by state (active or inactive).',
      labelNames: [...RS_LABELS, 'state'], registers,
    });
    this.rsConnections = new Counter({
      name: 'lvslab_real_server_connections_total', help: 'Connections IPVS scheduled to a real server since it was added.', labelNames: RS_LABELS, registers,
    });
    this.rsPackets = new Counter({
      name: 'lvslab_real_server_packets_total', help: 'Packets through IPVS for a real server since it was added: in (client to real server), out (back).',
      labelNames: [...RS_LABELS, 'direction'], registers,
    });
    this.rsBytes = new Counter({
      name: 'lvslab_real_server_bytes_total', help: 'Bytes through IPVS for a real server since it was added: in (client to real server), out (back).',
      labelNames: [...RS_LABELS, 'direction'], registers,
    });
    this.lastQueued = new Gauge({
      name: 'lvslab_sync_last_queued_timestamp_seconds', help: 'Unix time a reconcile was last asked for (schedule, reload, health transition, start).', registers,
    });
    this.syncRuns = new Counter({
      name: 'lvslab_sync_runs_total', help: 'Reconciles by result: ok, failed, superseded (a reload came before it wrote).', labelNames: ['result'], registers,
    });
    this.failingRuns = new Gauge({
      name: 'lvslab_sync_consecutive_failures', help: 'Reconciles that failed since the last one that succeeded (0: the last one succeeded).', registers,
    });
    this.driftRepaired = new Counter({
      name: 'lvslab_drift_repaired_total',
      help: 'Changes a scheduled reconcile made to a node that was converged, with no reload or health transition since: what was changed behind lvslab\'s back, by kind.',
      labelNames: ['kind'], registers,
    });
    this.driftRepairs = new Counter({
      name: 'lvslab_drift_repairs_total', help: 'Scheduled reconciles that repaired drift (their changes: lvslab_drift_repaired_total).', registers,
    });
    this.reloads = new Counter({
      name: 'lvslab_reloads_total', help: 'Reloads of the lab file (SIGHUP) by result: applied, or refused (the last good lab stays).', labelNames: ['result'], registers,
    });
    this.checkDuration = new Histogram({
      name: 'lvslab_health_check_duration_seconds', help: 'Duration of one health check of a real server, by result (ok or failed).',
      labelNames: [...RS_LABELS, 'result'], buckets: CHECK_BUCKETS, registers,
    });
    this.transitions = new Counter({
      name: 'lvslab_health_transitions_total', help: 'Health transitions of a real server, by the state reached (up or down).', labelNames: [...RS_LABELS, 'to'], registers,
    });
    this.reconcileCpu = new Counter({
      name: 'lvslab_reconcile_cpu_seconds_total',
      help: 'CPU time of reconciles: the daemon\'s and that of the tools it ran, while each ran (rate(): the share of a core they take).', registers,
    });
    this.deferred = new Counter({
      name: 'lvslab_scheduled_runs_deferred_total',
      help: 'Ticks of the schedule skipped because the last reconcile\'s CPU time would take scheduled runs over their share of a core (10%).', registers,
    });
    for (const result of ['ok', 'failed', 'superseded']) this.syncRuns.inc({ result }, 0);
    for (const result of ['applied', 'refused']) this.reloads.inc({ result }, 0);
    this.failingRuns.set(0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * One reconcile: its duration always; on success the timestamp and the changes by kind (a failed
   * run may have applied nothing or part of its changes, and a superseded one wrote nothing, so their
   * changes are not counted as applied, nor is either a successful sync).
   */
  recordReconcile(result: ReconcileOutcome): void {
    this.syncDuration.observe(result.durationMs / 1000);
    this.syncRuns.inc({ result: !result.ok ? 'failed' : result.superseded ? 'superseded' : 'ok' });
    this.consecutiveFailures = result.ok ? (result.superseded ? this.consecutiveFailures : 0) : this.consecutiveFailures + 1;
    this.failingRuns.set(this.consecutiveFailures);
    if (!result.ok || result.superseded) return;
    this.lastSuccess.set(this.now() / 1000);
    for (const [kind, count] of Object.entries(result.countsByKind)) {
      if (count > 0) this.changesApplied.inc({ kind }, count);
    }
  }

  /** The CPU time one reconcile took (the daemon's and its tools'), in ms. */
  recordReconcileCpu(cpuMs: number): void {
    this.reconcileCpu.inc(Math.max(0, cpuMs) / 1000);
  }

  /** A tick of the schedule that the CPU budget skipped (service/cpu-budget.ts). */
  recordScheduledRunDeferred(): void {
    this.deferred.inc();
  }

  /** A reconcile was asked for (it may join one already queued). */
  recordQueued(): void {
    this.lastQueued.set(this.now() / 1000);
  }

  /** A run that repaired drift (service/drift.ts), and its changes by kind. */
  recordDriftRepaired(countsByKind: Readonly<Record<string, number>>): void {
    this.driftRepairs.inc();
    for (const [kind, count] of Object.entries(countsByKind)) {
      if (count > 0) this.driftRepaired.inc({ kind }, count);
    }
  }

  recordReload(result: 'applied' | 'refused'): void {
    this.reloads.inc({ result });
  }

  recordHealthCheck(server: CheckedServer, ok: boolean, durationMs: number): void {
    this.checkDuration.observe({ virtual_server: server.virtualServer, real_server: server.realServer, result: ok ? 'ok' : 'failed' }, durationMs / 1000);
  }

  recordHealthTransition(server: CheckedServer, to: 'up' | 'down'): void {
    this.transitions.inc({ virtual_server: server.virtualServer, real_server: server.realServer, to });
  }

  /** A failed run of `tool` (argv[0]; see toolOf for runs inside a network namespace). */
  recordCommandFailure(tool: string): void {
    this.commandFailures.inc({ tool });
  }

  /** Replaces every real-server sample: servers not in `rows` disappear from the output. */
  setRealServers(rows: readonly RealServerRow[]): void {
    for (const family of [this.rsHealthy, this.rsWeight, this.ipvsConnections, this.rsConnections, this.rsPackets, this.rsBytes]) family.reset();
    for (const row of rows) {
      const labels = { virtual_server: row.virtualServer, real_server: row.realServer };
      this.rsWeight.set(labels, row.weight);
      if (row.healthy !== undefined) this.rsHealthy.set(labels, row.healthy ? 1 : 0);
      if (row.activeConns !== undefined) this.ipvsConnections.set({ ...labels, state: 'active' }, row.activeConns);
      if (row.inactiveConns !== undefined) this.ipvsConnections.set({ ...labels, state: 'inactive' }, row.inactiveConns);
      // the kernel's own counts since the real server was added: set as they are (a counter reset when it is added again)
      if (row.counters === undefined) continue;
      this.rsConnections.inc(labels, row.counters.conns);
      this.rsPackets.inc({ ...labels, direction: 'in' }, row.counters.inPkts);
      this.rsPackets.inc({ ...labels, direction: 'out' }, row.counters.outPkts);
      this.rsBytes.inc({ ...labels, direction: 'in' }, row.counters.inBytes);
      this.rsBytes.inc({ ...labels, direction: 'out' }, row.counters.outBytes);
    }
  }

  /**
   * Where the real-server rows come from: `read` is asked at each text() (each scrape) and its rows
   * replace the samples (setRealServers), so they are those of the moment. It should not throw.
   */
  readRealServersWith(read: () => Promise<readonly RealServerRow[]>): void {
    this.realServers = read;
  }

  /** The Prometheus text exposition of every metric above. */
  async text(): Promise<string> {
    if (this.realServers) this.setRealServers(await this.realServers());
    return this.registry.metrics();
  }
}

/**
 * The program of a failed run, for recordCommandFailure: argv[0] without its directory, or the program
 * after `ip netns exec NAME` (the prefix the runner adds inside a namespace).
 */
export function toolOf(argv: readonly string[]): string {
  const [first = '', second, third, , inner] = argv;
  const program = first === 'ip' && second === 'netns' && third === 'exec' && inner !== undefined ? inner : first;
  return program.slice(program.lastIndexOf('/') + 1);
}
