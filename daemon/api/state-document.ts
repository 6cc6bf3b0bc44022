/**
 * The /v1/state document: built by the daemon (service/status-document.ts), served by the status API,
 * shown by `lvslab status` (cli/status-view.ts). Types only, below all three.
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
