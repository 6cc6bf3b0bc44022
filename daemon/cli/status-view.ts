/** The /v1/state document (api/state-document.ts) as readable tables for `lvslab status`. Pure. */
import type { RealServerStatus, ReconcileSummary, StatusDocument } from '../api/state-document.js';

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
