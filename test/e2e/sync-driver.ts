/**
 * Many syncs in one process: `node sync-driver.js LAB.yaml NODE SYNCS EVERY` runs SYNCS reconciles of
 * NODE through the real adapters, the real runner and the node's ledger, as the daemon's schedule does.
 * Run it inside the node's namespace (`ip netns exec NS node sync-driver.js ...`): a reconcile in a
 * fresh process per sync would cost a node start each under emulation. The second to last sync of
 * every EVERY runs a changed lab (its last virtual server removed, one more blocklist entry) and the
 * last one the lab again, so lvslab deletes and re-creates its own objects beside the neighbours'. Prints one JSON line:
 * the syncs, those that changed something, failures (with their errors), changes in syncs whose lab
 * was the same as the sync before (a converged node must have none), and the writing tool runs by tool.
 */
import pino from 'pino';
import { loadLab } from '../../daemon/config/load.js';
import type { LabConfig } from '../../daemon/config/types.js';
import { nodeKernel, ownershipOf } from '../../daemon/kernel/node-kernel.js';
import { createRunner, type Runner } from '../../daemon/kernel/runner.js';
import { reconcile } from '../../daemon/reconcile/reconcile.js';

const [labPath = '', node = '', syncsText = '100', everyText = '10'] = process.argv.slice(2);
const loaded = await loadLab(labPath);
if (!loaded.ok) throw new Error(`${labPath} does not load`);
const lab = loaded.lab;
const changed: LabConfig = {
  ...lab,
  virtualServers: lab.virtualServers.slice(0, -1),
  blocklists: lab.blocklists.map((b, i) => (i === 0 ? { ...b, entries: [...b.entries, '192.168.113.97'] } : b)),
};

const READS = /^(ip -j |ipvsadm -S|ipvsadm -Ln|ipset save|iptables-save|sysctl net\.)/;
const writes: Record<string, number> = {};
const real = createRunner({ log: pino({ level: process.env.LVSLAB_LOG_LEVEL ?? 'warn' }) });
const runner: Runner = {
  netns: real.netns,
  run(argv, options) {
    if (!READS.test(argv.join(' '))) writes[argv[0] ?? ''] = (writes[argv[0] ?? ''] ?? 0) + 1;
    return real.run(argv, options);
  },
};

const syncs = Number(syncsText);
const every = Number(everyText);
const out = { syncs: 0, changingSyncs: 0, changes: 0, failures: [] as string[], unexpectedChanges: [] as string[], writes, durationMs: 0 };
const started = performance.now();
let previous: LabConfig | undefined;
for (let i = 0; i < syncs; i++) {
  const current = i % every === every - 2 ? changed : lab; // each block of EVERY ends with the lab itself
  const result = await reconcile(current, node, nodeKernel(runner, ownershipOf(current, node)));
  out.syncs++;
  if (!result.ok) out.failures.push(`sync ${i}: ${result.error ?? ''}`);
  if (result.changes.length > 0) out.changingSyncs++;
  out.changes += result.changes.length;
  if (current === previous && result.changes.length > 0) out.unexpectedChanges.push(`sync ${i}: ${result.changes.join('; ')}`);
  previous = current;
}
out.durationMs = Math.round(performance.now() - started);
process.stdout.write(`${JSON.stringify(out)}\n`);
