/**
 * The director's health monitor: checks every real server of every virtual server that has a
 * healthCheck, each on its own timer, keeps their states (health/state.ts) and reports each
 * transition. Only the director checks; on any other node the monitor holds nothing.
 *
 * Timers: one setTimeout chain per real server, not node-cron. node-cron fires on wall-clock second
 * boundaries, so every check of the lab would start in the same instant; it cannot express
 * sub-second intervals ("500ms"); and a "*\/7 * * * * *" step restarts at each minute (…, 56 s, 0 s: a
 * 4 s gap). Each server keeps its own cadence from the moment it was added: the next check starts
 * `interval` after the last one started (at once if the check took longer), so checks of one real
 * server never overlap. After a failed check of a server that is still up, the next one comes after
 * `retryDelay` instead (keepalived's delay_before_retry): `fall` failures take fall-1 retry delays, not
 * fall-1 intervals.
 */
import type { LabConfig } from '../config/types.js';
import { httpCheck, tcpCheck } from './checks.js';
import { initialHealth, next, type CheckResult, type HealthState, type Transition } from './state.js';
import { healthTargets, targetLabel, type HealthTarget } from './targets.js';

export interface HealthEvent {
  readonly key: string;
  readonly virtualServer: string;
  readonly node: string;
  readonly ip: string;
  readonly port: number;
  readonly transition: Transition;
  /** One log line: "rs1 192.168.113.99:8080 (web) DOWN after 2 failures: connect ECONNREFUSED 192.168.113.99:8080". */
  readonly reason: string;
  readonly state: HealthState;
}

export type Checker = (target: HealthTarget) => Promise<CheckResult>;

export interface MonitorOptions {
  /** Called once per transition: the daemon logs the reason and triggers a reconcile. */
  readonly onTransition: (event: HealthEvent) => void;
  /** Called after each check of a real server still checked, with its result and duration (metrics). */
  readonly onCheck?: (target: HealthTarget, result: CheckResult, durationMs: number) => void;
  /** Called when onTransition throws (the checks go on). */
  readonly onError?: (error: unknown, event: HealthEvent) => void;
  /** Runs one check; default: tcpCheck / httpCheck by the target's type. */
  readonly check?: Checker;
  readonly now?: () => Date;
}

export interface HealthMonitor {
  /** The state of every checked real server, by realServerId. */
  snapshot(): ReadonlyMap<string, HealthState>;
  /** A reloaded lab: unchanged real servers keep their state, removed ones go, new ones start healthy. */
  update(lab: LabConfig): void;
  /** Stops every timer; checks under way finish on their own and are ignored. */
  stop(): void;
}

/** The check a target's config asks for. */
export const runCheck: Checker = (t) =>
  t.check.type === 'tcp' ? tcpCheck(t.ip, t.port, t.check.timeoutMs) : httpCheck(t.ip, t.port, t.check, t.check.timeoutMs);

interface Entry {
  target: HealthTarget;
  state: HealthState;
  timer?: NodeJS.Timeout;
  busy: boolean;
}

/** Milliseconds from the start of the check just settled to the start of the next one. */
export function nextCheckDelay(state: HealthState, check: { intervalMs: number; retryDelayMs: number }, elapsedMs: number): number {
  const retrying = state.healthy && state.failures > 0;
  return retrying ? elapsedMs + check.retryDelayMs : Math.max(elapsedMs, check.intervalMs);
}

export function startHealthMonitor(lab: LabConfig, nodeName: string, options: MonitorOptions): HealthMonitor {
  const check = options.check ?? runCheck;
  const now = options.now ?? (() => new Date());
  const entries = new Map<string, Entry>();
  let stopped = false;

  const report = (event: HealthEvent): void => {
    try {
      options.onTransition(event);
    } catch (error) {
      options.onError?.(error, event);
    }
  };

  const settle = (entry: Entry, result: CheckResult, startedAt: number): void => {
    entry.busy = false;
    if (stopped || entries.get(entry.target.key) !== entry) return;
    const { target } = entry;
    const elapsed = Date.now() - startedAt;
    options.onCheck?.(target, result, elapsed);
    const step = next(entry.state, result, { rise: target.check.rise, fall: target.check.fall, label: targetLabel(target), now: now().toISOString() });
    entry.state = step.state;
    entry.timer = setTimeout(() => tick(entry), nextCheckDelay(entry.state, target.check, elapsed) - elapsed);
    entry.timer.unref();
    if (step.transition === undefined) return;
    const { key, virtualServer, node, ip, port } = target;
    report({ key, virtualServer, node, ip, port, transition: step.transition, reason: step.reason ?? '', state: step.state });
  };

  const tick = (entry: Entry): void => {
    if (entry.busy || stopped) return;
    entry.busy = true;
    const startedAt = Date.now();
    check(entry.target).then(
      (result) => settle(entry, result, startedAt),
      (error: unknown) => settle(entry, { ok: false, error: error instanceof Error ? error.message : String(error) }, startedAt),
    );
  };

  /** Checks now (unless a check is under way: it schedules the next when it settles). */
  const schedule = (entry: Entry): void => {
    clearTimeout(entry.timer);
    tick(entry);
  };

  const sameCheck = (a: HealthTarget, b: HealthTarget): boolean => JSON.stringify(a) === JSON.stringify(b);

  const update = (reloaded: LabConfig): void => {
    if (stopped) return;
    const targets = new Map(healthTargets(reloaded, nodeName).map((t) => [t.key, t]));
    for (const [key, entry] of entries) {
      if (targets.has(key)) continue;
      clearTimeout(entry.timer);
      entries.delete(key);
    }
    for (const [key, target] of targets) {
      const entry = entries.get(key);
      if (entry === undefined) {
        const created: Entry = { target, state: initialHealth(now().toISOString()), busy: false };
        entries.set(key, created);
        schedule(created);
      } else if (!sameCheck(entry.target, target)) {
        entry.target = target;
        schedule(entry);
      }
    }
  };

  update(lab);
  return {
    snapshot: () => new Map([...entries].map(([key, e]) => [key, e.state])),
    update,
    stop() {
      stopped = true;
      for (const entry of entries.values()) clearTimeout(entry.timer);
    },
  };
}
