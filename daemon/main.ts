#!/usr/bin/env node
/**
 * lvslabd --config LAB.yaml --node NAME [--state-file PATH] [--listen HOST:PORT|off]
 *
 * The status API listens where --listen says, else where LVSLAB_LISTEN says, else at the node's `api`
 * in the lab file (default 127.0.0.1:9410). It is bound once, at start: a reload does not move it.
 *
 * Makes this host (or network namespace) hold its node's part of the lab and keeps it so: reconcile
 * at start, then on the lab's schedule (drift repair), on health transitions and on SIGHUP (reload; a
 * bad file keeps the last good lab). SIGTERM stops without touching kernel state: traffic keeps
 * flowing. Read-only status on HTTP (default 127.0.0.1:9410): /healthz /metrics /v1/state /v1/conntrack.
 */
import { Command, CommanderError } from 'commander';
import { startStatusServer, type StatusServer } from './api/server.js';
import { listenProblem, parseListen } from './config/listen.js';
import { createRunner } from './kernel/runner.js';
import { findNode } from './plan/plan.js';
import { daemonLogger } from './log.js';
import { packageVersion } from './paths.js';
import { Metrics } from './metrics/metrics.js';
import { countingRunner } from './service/counting-runner.js';
import { readLab, startDaemon } from './service/daemon.js';
import { systemdNotifier } from './systemd/notify.js';

const program = new Command('lvslabd')
  .description('lvslab\'s daemon for one node of a lab: makes the node hold its part of the lab and keeps it so')
  .version(packageVersion, '-V, --version', 'print the version')
  .helpOption('-h, --help', 'show help')
  .requiredOption('--config <file>', 'the lab file')
  .requiredOption('--node <name>', 'this node\'s name in the lab')
  .option('--state-file <path>', 'where the state of the last run is written (default /run/lvslab/LAB/NODE.state.json)')
  .option('--listen <host:port|off>', 'the status API (default: LVSLAB_LISTEN, else the node\'s `api` in the lab file)')
  .showHelpAfterError('(lvslabd --help for usage)')
  .exitOverride();
try {
  program.parse();
} catch (e) {
  // help and version exit 0; a usage error (its message already on stderr) exits 2
  process.exit(e instanceof CommanderError && e.exitCode === 0 ? 0 : 2);
}
const values = program.opts<{ config: string; node: string; stateFile?: string; listen?: string }>();
const listenText = values.listen ?? (process.env.LVSLAB_LISTEN || undefined);
const listenSource = values.listen !== undefined ? '--listen' : 'LVSLAB_LISTEN';
const listenGiven = listenText === undefined ? undefined : parseListen(listenText);
if (listenText !== undefined && listenGiven === undefined) {
  process.stderr.write(`lvslabd: ${listenSource}: ${JSON.stringify(listenText)} ${listenProblem(listenText) ?? ''}\n`);
  process.exit(2);
}
const first = await readLab(values.config, values.node);
if (!first.lab) {
  process.stderr.write(`${first.problems.join('\n')}\n`);
  process.exit(2);
}
const listen = listenGiven ?? findNode(first.lab, values.node).api;

const log = daemonLogger({ node: values.node });
const metrics = new Metrics({ version: packageVersion });
const notifier = systemdNotifier(log);
const daemon = await startDaemon(first.lab, {
  configPath: values.config,
  nodeName: values.node,
  statePath: values.stateFile ?? `/run/lvslab/${first.lab.lab}/${values.node}.state.json`,
  runner: countingRunner(createRunner({ log }), metrics),
  log,
  notifier,
  metrics,
});
const watchdogMs = notifier.startWatchdog();

let api: StatusServer | undefined;
if (listen !== 'off') {
  const source = { state: () => daemon.status(), conntrack: () => daemon.conntrack(), healthy: () => daemon.healthy() };
  api = await startStatusServer({ host: listen.host, port: listen.port, metrics, source, log, hostNames: [values.node] });
}

process.on('SIGHUP', () => void daemon.reload().catch((err: unknown) => log.error({ err }, 'reload failed')));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    log.info({ signal }, 'stopping; kernel state is left as it is');
    void Promise.all([daemon.stop(), api?.close()]).finally(() => process.exit(0));
  });
}

log.info({ version: packageVersion, lab: first.lab.lab, config: values.config, schedule: first.lab.reconcileSchedule, api: api?.address ?? 'off', watchdogMs }, 'lvslabd started');
await daemon.trigger();

