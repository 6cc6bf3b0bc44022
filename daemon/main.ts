#!/usr/bin/env node
/**
 * lvslabd --config LAB.yaml --node NAME [--state-file PATH] [--listen HOST:PORT|off]
 *
 * Makes this host (or network namespace) hold its node's part of the lab and keeps it so: reconcile
 * at start, then on the lab's schedule (drift repair), on health transitions and on SIGHUP (reload; a
 * bad file keeps the last good lab). SIGTERM stops without touching kernel state: traffic keeps
 * flowing. Read-only status on HTTP (default 127.0.0.1:9410): /healthz /metrics /v1/state /v1/conntrack.
 */
import { parseArgs } from 'node:util';
import { startStatusServer, type StatusServer } from './api/server.js';
import { createRunner } from './kernel/runner.js';
import { daemonLogger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { countingRunner } from './service/counting-runner.js';
import { readLab, startDaemon } from './service/daemon.js';
import { systemdNotifier } from './systemd/notify.js';

const USAGE = 'usage: lvslabd --config LAB.yaml --node NAME [--state-file PATH] [--listen HOST:PORT|off]';
const { values } = parseArgs({
  options: {
    config: { type: 'string' }, node: { type: 'string' }, 'state-file': { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:9410' },
  },
});
const listen = parseListen(values.listen!);
if (!values.config || !values.node || listen === undefined) {
  process.stderr.write(`${USAGE}\n${listen === undefined ? `--listen: '${values.listen}' is not HOST:PORT or off\n` : ''}`);
  process.exit(2);
}
const first = await readLab(values.config, values.node);
if (!first.lab) {
  process.stderr.write(`${first.problems.join('\n')}\n`);
  process.exit(2);
}

const log = daemonLogger({ node: values.node });
const metrics = new Metrics();
const notifier = systemdNotifier(log);
const daemon = await startDaemon(first.lab, {
  configPath: values.config,
  nodeName: values.node,
  statePath: values['state-file'] ?? `/run/lvslab/${first.lab.lab}/${values.node}.state.json`,
  runner: countingRunner(createRunner({ log }), metrics),
  log,
  notifier,
  metrics,
});
const watchdogMs = notifier.startWatchdog();

let api: StatusServer | undefined;
if (listen !== 'off') {
  const source = { state: () => daemon.status(), conntrack: () => daemon.conntrack(), healthy: () => daemon.healthy() };
  api = await startStatusServer({ host: listen.host, port: listen.port, metrics, source, log });
}

process.on('SIGHUP', () => void daemon.reload().catch((err: unknown) => log.error({ err }, 'reload failed')));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    log.info({ signal }, 'stopping; kernel state is left as it is');
    void Promise.all([daemon.stop(), api?.close()]).finally(() => process.exit(0));
  });
}

log.info({ lab: first.lab.lab, config: values.config, schedule: first.lab.reconcileSchedule, api: api?.address ?? 'off', watchdogMs }, 'lvslabd started');
await daemon.trigger();

function parseListen(text: string): { host: string; port: number } | 'off' | undefined {
  if (text === 'off') return 'off';
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|localhost):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  return m && port <= 65535 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : undefined;
}
