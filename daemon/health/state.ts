/**
 * The health of one real server as a pure state machine, keepalived style: `fall` consecutive failed
 * checks take it down, `rise` consecutive good ones bring it back. Every real server starts healthy,
 * so a daemon restart never pulls traffic from a server that is fine; a broken one goes down after
 * `fall` checks.
 */

export interface HealthState {
  readonly healthy: boolean;
  /** Consecutive successful checks (0 after a failure). */
  readonly successes: number;
  /** Consecutive failed checks (0 after a success). */
  readonly failures: number;
  /** Why the last check failed; dropped when the server comes back up. */
  readonly lastError?: string;
  /** When the server entered its current state (ISO 8601): start or last transition. */
  readonly since: string;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly error?: string;
}

export interface StepOptions {
  readonly rise: number;
  readonly fall: number;
  /** Names the server in the reason: "rs1 192.168.113.99:8080". */
  readonly label?: string;
  /** The time of this check (ISO 8601), becomes `since` on a transition; default: now. */
  readonly now?: string;
}

export type Transition = 'up' | 'down';

export interface Step {
  readonly state: HealthState;
  readonly transition?: Transition;
  /** One log line for a transition: "rs1 192.168.113.99:8080 DOWN after 2 failures: connect ECONNREFUSED …". */
  readonly reason?: string;
}

export const initialHealth = (now: string): HealthState => ({ healthy: true, successes: 0, failures: 0, since: now });

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The state after one check result. */
export function next(state: HealthState, result: CheckResult, options: StepOptions): Step {
  const now = options.now ?? new Date().toISOString();
  const label = options.label ?? 'real server';
  if (result.ok) {
    const successes = state.successes + 1;
    if (!state.healthy && successes >= options.rise) {
      const up: HealthState = { healthy: true, successes, failures: 0, since: now };
      return { state: up, transition: 'up', reason: `${label} UP after ${count(successes, 'success', 'successes')}` };
    }
    // A healthy server forgets a lone failure; a down one keeps why it went down until it is up.
    const { lastError, ...rest } = state;
    const keep = !state.healthy && lastError !== undefined ? { lastError } : {};
    return { state: { ...rest, ...keep, successes, failures: 0 } };
  }
  const failures = state.failures + 1;
  const lastError = result.error ?? 'check failed';
  if (state.healthy && failures >= options.fall) {
    const down: HealthState = { healthy: false, successes: 0, failures, lastError, since: now };
    return { state: down, transition: 'down', reason: `${label} DOWN after ${count(failures, 'failure', 'failures')}: ${lastError}` };
  }
  return { state: { ...state, successes: 0, failures, lastError } };
}
