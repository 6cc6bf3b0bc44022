/**
 * Drift: what a run changed on a node that the run before had left converged, when nothing but the
 * schedule asked for it. Then nothing of the lab's own explains the changes (a start, a reload and a
 * health transition do, and so does a drain that was under way): someone or something changed what
 * lvslab owns behind its back, and the run put it back. Pure.
 */
import type { ReconcileResult } from '../reconcile/reconcile.js';

/** Why a reconcile ran: anything but the schedule alone can explain the changes it made. */
export type RunCause = 'start' | 'schedule' | 'reload' | 'health';

type RunOutcome = Pick<ReconcileResult, 'ok' | 'superseded' | 'changes' | 'remaining' | 'draining'>;

export function driftRepairedBy(result: RunOutcome, before: RunOutcome | undefined, askedBy: readonly RunCause[]): boolean {
  const wrote = result.ok && result.superseded !== true && result.changes.length > 0;
  const wasConverged = before !== undefined && before.ok && before.superseded !== true && before.remaining === 0 && before.draining.length === 0;
  return wrote && wasConverged && askedBy.length > 0 && askedBy.every((cause) => cause === 'schedule');
}
