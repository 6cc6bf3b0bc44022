/**
 * The daemon's Prometheus metrics, on a registry of its own (never prom-client's global one, and no
 * default process metrics: the output stays small and tests do not see each other's values).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
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
}

/** What recordReconcile reads of a ReconcileResult. */
export type ReconcileOutcome = Pick<ReconcileResult, 'ok' | 'durationMs' | 'countsByKind' | 'superseded'>;

export interface MetricsOptions {
  /** Clock for the last-success timestamp, in milliseconds since the epoch (tests pin it). */
  readonly now?: () => number;
}

/** Reconcile durations run from ~0.1 s on a real host to ~10 s in the micro-VM. */
const SYNC_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RS_LABELS = ['virtual_server', 'real_server'] as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private readonly syncDuration: Histogram;
  private readonly lastSuccess: Gauge;
  private readonly changesApplied: Counter<'kind'>;
  private readonly commandFailures: Counter<'tool'>;
  private readonly rsHealthy: Gauge<'virtual_server' | 'real_server'>;
  private readonly rsWeight: Gauge<'virtual_server' | 'real_server'>;
  private readonly ipvsConnections: Gauge<'virtual_server' | 'real_server' | 'state'>;
  private realServers: (() => Promise<readonly RealServerRow[]>) | undefined;

  constructor(options: MetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
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
    if (!result.ok || result.superseded) return;
    this.lastSuccess.set(this.now() / 1000);
    for (const [kind, count] of Object.entries(result.countsByKind)) {
      if (count > 0) this.changesApplied.inc({ kind }, count);
    }
  }

  /** A failed run of `tool` (argv[0]; see toolOf for runs inside a network namespace). */
  recordCommandFailure(tool: string): void {
    this.commandFailures.inc({ tool });
  }

  /** Replaces every real-server sample: servers not in `rows` disappear from the output. */
  setRealServers(rows: readonly RealServerRow[]): void {
    for (const gauge of [this.rsHealthy, this.rsWeight, this.ipvsConnections]) gauge.reset();
    for (const row of rows) {
      const labels = { virtual_server: row.virtualServer, real_server: row.realServer };
      this.rsWeight.set(labels, row.weight);
      if (row.healthy !== undefined) this.rsHealthy.set(labels, row.healthy ? 1 : 0);
      if (row.activeConns !== undefined) this.ipvsConnections.set({ ...labels, state: 'active' }, row.activeConns);
      if (row.inactiveConns !== undefined) this.ipvsConnections.set({ ...labels, state: 'inactive' }, row.inactiveConns);
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
