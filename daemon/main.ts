#!/usr/bin/env node
/**
 * lvslabd --config LAB.yaml --node NAME [--state-file PATH]
 *
 * Makes this host (or network namespace) hold its node's part of the lab and keeps it so: reconcile
 * at start, then on the lab's schedule (drift repair) and on SIGHUP (reload; a bad file keeps the last
 * good lab). SIGTERM stops without touching kernel state: traffic keeps flowing.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { parseArgs } from 'node:util';
import { formatProblems, loadLab } from './config/load.js';
import type { LabConfig } from './config/types.js';
import { startBackends, type RunningBackends } from './backend/backends.js';
import { nodeKernel } from './kernel/node-kernel.js';
import { createRunner } from './kernel/runner.js';
import { daemonLogger } from './log.js';
import { findNode, planNode } from './plan/plan.js';
import { reconcile, summarize, type ReconcileResult } from './reconcile/reconcile.js';
import { singleFlight } from './reconcile/single-flight.js';
import { writeState, type DaemonState } from './reconcile/state-file.js';

const { values } = parseArgs({
  options: { config: { type: 'string' }, node: { type: 'string' }, 'state-file': { type: 'string' } },
});
if (!values.config || !values.node) {
  process.stderr.write('usage: lvslabd --config LAB.yaml --node NAME [--state-file PATH]\n');
  process.exit(2);
}
const configPath = values.config;
const nodeName = values.node;
const log = daemonLogger({ node: nodeName });

async function loadOrProblems(): Promise<{ lab?: LabConfig; problems: string[] }> {
  const loaded = await loadLab(configPath);
  if (!loaded.ok) return { problems: formatProblems(configPath, loaded.problems).split('\n') };
  try {
    findNode(loaded.lab, nodeName);
  } catch (e) {
    return { problems: [(e as Error).message] };
  }
  return { lab: loaded.lab, problems: [] };
}

const first = await loadOrProblems();
if (!first.lab) {
  process.stderr.write(`${first.problems.join('\n')}\n`);
  process.exit(2);
}
let lab: LabConfig = first.lab;
const statePath = values['state-file'] ?? `/run/lvslab/${lab.lab}/${nodeName}.state.json`;
const runner = createRunner({ log });
let state: DaemonState = { lab: lab.lab, node: nodeName, pid: process.pid, runs: 0, converged: false, updatedAt: new Date().toISOString() };
let backends: RunningBackends = await startBackends(nodeName, planNode(lab, nodeName).backends, log);

const flight = singleFlight(async (): Promise<ReconcileResult> => {
  const result = await reconcile(lab, nodeName, nodeKernel(runner, lab));
  const converged = result.ok && (result.changes.length === 0 || result.remaining === 0);
  const now = new Date().toISOString();
  state = {
    ...state,
    runs: state.runs + 1,
    converged,
    last: result,
    ...(result.changes.length > 0 ? { lastChange: { ...result, at: now } } : {}),
    updatedAt: now,
  };
  await writeState(statePath, state);
  const fields = { changes: result.changes.length, remaining: result.remaining, durationMs: result.durationMs, steps: result.steps };
  if (!result.ok) log.error({ ...fields, error: result.error }, summarize(result));
  else if (result.changes.length > 0) log.info({ ...fields, applied: result.changes }, summarize(result));
  else log.debug(fields, summarize(result));
  return result;
});

let task: ScheduledTask = cron.schedule(lab.reconcileSchedule, () => void flight.trigger(), { noOverlap: true, name: 'reconcile' });

async function reload(): Promise<void> {
  const next = await loadOrProblems();
  if (!next.lab) {
    for (const p of next.problems) log.error({ problem: p }, 'reload refused: the last good lab stays in force');
    state = { ...state, reloadProblems: next.problems };
    await writeState(statePath, state);
    return;
  }
  const previous = lab;
  lab = next.lab;
  const { reloadProblems: _dropped, ...rest } = state;
  state = rest;
  if (previous.reconcileSchedule !== lab.reconcileSchedule) {
    await task.stop();
    task = cron.schedule(lab.reconcileSchedule, () => void flight.trigger(), { noOverlap: true, name: 'reconcile' });
  }
  const wanted = planNode(lab, nodeName).backends;
  if (JSON.stringify(wanted) !== JSON.stringify(backends.listening)) {
    await backends.close();
    backends = await startBackends(nodeName, wanted, log);
  }
  log.info({ config: configPath }, 'reloaded');
  await flight.trigger();
}

process.on('SIGHUP', () => void reload().catch((e: unknown) => log.error({ err: e }, 'reload failed')));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    log.info({ signal }, 'stopping; kernel state is left as it is');
    void Promise.all([task.stop(), backends.close()]).finally(() => process.exit(0));
  });
}

log.info({ lab: lab.lab, config: configPath, schedule: lab.reconcileSchedule }, 'lvslabd started');
await flight.trigger();
