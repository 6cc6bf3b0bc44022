/**
 * The --json documents of the commands that print more than one report: up (convergence, verify,
 * doctor), status (the node's differences and its daemon's /v1/state) and trace (the trace and what
 * trace did). verify, doctor and plan/apply/cleanup print their report as it is. docs/schemas/ holds
 * a JSON Schema of each document; test/unit/cli/json-schemas.test.ts holds them to these builders.
 */
import type { StatusDocument } from '../api/state-document.js';
import type { DoctorReport } from '../doctor/kube-types.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import type { TraceRun } from '../trace/run.js';
import type { Trace } from '../trace/types.js';
import type { VerifyReport } from '../verify/types.js';

/** `lvslab up --json` (docs/schemas/up.schema.json). */
export interface UpDocument {
  readonly lab: string;
  /** Node → the summary of its daemon's first run that converged. */
  readonly converged: Readonly<Record<string, string>>;
  /** From the start of `up` until every node converged. */
  readonly convergedMs: number;
  readonly verify: VerifyReport;
  /** Only for a lab with services. */
  readonly doctor?: DoctorReport;
}

export const upDocument = (lab: string, converged: Readonly<Record<string, string>>, convergedMs: number, verify: VerifyReport, doctor: DoctorReport | undefined): UpDocument =>
  ({ lab, converged, convergedMs, verify, ...(doctor ? { doctor } : {}) });

/** What the node's daemon said: its /v1/state, or why there is none. */
export type DaemonAnswer = { readonly document: StatusDocument } | { readonly error: string };

/** `lvslab status --json` (docs/schemas/status.schema.json). */
export interface NodeStatusDocument {
  readonly node: string;
  /** A dry run: how the node differs from the lab. */
  readonly differences: ReconcileResult;
  readonly daemon: DaemonAnswer;
}

export const nodeStatusDocument = (node: string, differences: ReconcileResult, daemon: DaemonAnswer): NodeStatusDocument =>
  ({ node, differences, daemon });

/** `lvslab trace --json` (docs/schemas/trace.schema.json): the trace, and what trace itself did to the director. */
export interface TraceDocument extends Trace {
  readonly notes: readonly string[];
}

export const traceDocument = (run: TraceRun): TraceDocument => ({ ...run.trace, notes: run.notes });
