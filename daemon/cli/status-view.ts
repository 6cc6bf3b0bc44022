/**
 * The /v1/state document (shared by the daemon, which serves it, and the CLI, which shows it) and its
 * rendering as readable tables for `lvslab status`. Pure.
 */
import type { Protocol, Role } from '../config/types.js';
import type { RunFailure } from '../kernel/tool-error.js';

/** A reconcile run, as the daemon reports it (a ReconcileResult without the steps, plus when it ended). */
export interface ReconcileSummary {
  /** When the run ended (ISO 8601). */
  readonly at: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** What the run changed, one line each. */
  readonly changes: readonly string[];
  readonly countsByKind: Readonly<Record<string, number>>;
  /** Changes still needed after applying: 0 means converged. */
  readonly remaining: number;
  readonly error?: RunFailure;
}

export interface RealServerStatus {
  /** The lab node it is, when it is one. */
  readonly node?: string;
  readonly address: string;
  readonly port: number;
  /** The weight in the kernel's IPVS table now. */
  readonly weight: number;
  /** The weight the lab asks for (health checks and draining lower the kernel's). */
  readonly desiredWeight: number;
  /** Health check verdict; absent when unknown (no check, or no result yet). */
  readonly healthy?: boolean;
  readonly activeConns?: number;
  readonly inactiveConns?: number;
  /** Set while the real server is being drained (ISO 8601). */
  readonly drainingSince?: string;
}

export interface VirtualServerStatus {
  readonly name: string;
  readonly vip: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly scheduler: string;
  readonly realServers: readonly RealServerStatus[];
}

/** GET /v1/state; `lvslab status --json` prints it as it is. */
export interface StatusDocument {
  readonly lab: string;
  readonly node: string;
  readonly role: Role;
  readonly pid: number;
  /** When the daemon started (ISO 8601). */
  readonly startedAt: string;
  /** True when the last reconcile ended with nothing left to change. */
  readonly converged: boolean;
  /** Absent until the first reconcile has ended. */
  readonly lastReconcile?: ReconcileSummary;
  readonly virtualServers: readonly VirtualServerStatus[];
  /** Problems of the last refused reload (the previous lab stays in force). */
  readonly reloadProblems?: readonly string[];
}

export interface RenderOptions {
  /** With it, times also say how long ago they were ("12 s ago"). */
  readonly now?: Date;
}

const HEADER = ['REAL SERVER', 'NODE', 'WEIGHT', 'HEALTH', 'ACTIVE', 'INACTIVE', 'DRAINING SINCE'];

/** Columns padded to their widest cell, two spaces apart, no trailing spaces. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}

function ago(iso: string, now: Date | undefined): string {
  const then = Date.parse(iso);
  if (now === undefined || Number.isNaN(then)) return iso;
  const s = Math.max(0, Math.round((now.getTime() - then) / 1000));
  const span = s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172_800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} d`;
  return `${iso} (${span} ago)`;
}

const health = (h: boolean | undefined): string => (h === undefined ? 'unknown' : h ? 'up' : 'down');
const count = (n: number | undefined): string => (n === undefined ? '-' : String(n));
/** "1", or "0 (lab 1)" when the kernel's weight is not the lab's. */
const weight = (rs: RealServerStatus): string => (rs.weight === rs.desiredWeight ? String(rs.weight) : `${rs.weight} (lab ${rs.desiredWeight})`);

function realServerRow(rs: RealServerStatus, now: Date | undefined): string[] {
  return [
    `${rs.address}:${rs.port}`, rs.node ?? '-', weight(rs), health(rs.healthy),
    count(rs.activeConns), count(rs.inactiveConns), rs.drainingSince === undefined ? '-' : ago(rs.drainingSince, now),
  ];
}

function reconcileLines(r: ReconcileSummary | undefined, now: Date | undefined): string[] {
  if (r === undefined) return ['last reconcile: none yet'];
  const when = ago(r.at, now);
  if (!r.ok) return [`last reconcile: ${when}, FAILED after ${r.durationMs} ms: ${r.error?.reason ?? 'unknown error'}`];
  const kinds = Object.entries(r.countsByKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  const what = r.changes.length === 0 ? '0 changes' : `${r.changes.length} change${r.changes.length === 1 ? '' : 's'} applied (${kinds})`;
  return [`last reconcile: ${when}, ${what} in ${r.durationMs} ms`, ...r.changes.map((c) => `  ${c}`)];
}

function convergence(s: StatusDocument): string {
  if (s.converged) return 'converged: yes';
  const r = s.lastReconcile;
  if (r === undefined) return 'converged: no (no reconcile has ended yet)';
  if (!r.ok) return 'converged: no (the last reconcile failed)';
  return `converged: no (${r.remaining} change${r.remaining === 1 ? '' : 's'} still needed)`;
}

/** Readable text for `lvslab status`, without a final newline (the CLI's `ctx.out` adds it). */
export function renderStatus(status: StatusDocument, options: RenderOptions = {}): string {
  const { now } = options;
  const lines = [
    `lab ${status.lab}, node ${status.node} (${status.role}), lvslabd pid ${status.pid}, started ${ago(status.startedAt, now)}`,
    convergence(status),
    ...reconcileLines(status.lastReconcile, now),
  ];
  if (status.reloadProblems !== undefined && status.reloadProblems.length > 0) {
    lines.push('reload refused, the previous lab stays in force:', ...status.reloadProblems.map((p) => `  ${p}`));
  }
  if (status.virtualServers.length === 0) lines.push('', 'no virtual servers on this node');
  for (const vs of status.virtualServers) {
    lines.push('', `${vs.name} ${vs.vip}:${vs.port}/${vs.protocol} ${vs.scheduler}`);
    if (vs.realServers.length === 0) lines.push('  (no real servers)');
    else lines.push(...table([HEADER, ...vs.realServers.map((rs) => realServerRow(rs, now))]).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}
