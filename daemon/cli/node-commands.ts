/** `lvslab plan|apply|status|cleanup --node NAME`: one node, once, without the daemon. */
import { reachAt } from '../config/listen.js';
import { formatHostPort } from '../kernel/ipvs/address.js';
import { nodeKernel, ownershipOf } from '../kernel/node-kernel.js';
import { labNodeAccess } from '../lab/node-access.js';
import { realServerId } from '../plan/keys.js';
import { findNode } from '../plan/plan.js';
import type { HealthView } from '../plan/real-servers.js';
import { reconcile, summarize, type ReconcileResult } from '../reconcile/reconcile.js';
import type { Runner } from '../kernel/runner.js';
import type { StatusDocument } from '../api/state-document.js';
import { renderStatus } from './status-view.js';
import { holdingLine, readHolding } from '../ha/holders.js';
import { nodeStatusDocument, type DaemonAnswer } from './json-documents.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';

export type NodeCommand = 'plan' | 'apply' | 'status' | 'cleanup';

export async function nodeCommand(ctx: CliContext, command: NodeCommand, labPath: string | undefined, node: string | undefined, json: boolean, apiFlag?: string): Promise<number> {
  if (!node) throw new CliError(`lvslab ${command} needs --node NAME`, EXIT.badInput);
  const { lab } = await resolveLab(labPath, false);
  let nodeConfig;
  try {
    nodeConfig = findNode(lab, node);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.badInput);
  }
  const access = await labNodeAccess(lab, ctx.log);
  if (access.placeOf(node) === 'remote') {
    throw new CliError(`node ${node} (${nodeConfig.ip}) is another machine; run \`lvslab ${command} --node ${node}\` on it`, EXIT.badInput);
  }
  const runner = access.runnerFor(node);
  const own = nodeConfig.api === 'off' ? undefined : formatHostPort(reachAt(nodeConfig.api, nodeConfig.ip, 'the node')!, nodeConfig.api.port);
  const api = apiFlag ?? own;
  const dryRun = command === 'plan' || command === 'status';
  // where it reads and writes, first: a namespace, this machine as the node, or this machine itself
  if (!json) ctx.out(`${node}: ${access.describePlace(node)}`);
  if (!json && lab.ha !== undefined && nodeConfig.role === 'director') ctx.out(holdingLine(lab, await readHolding(lab, node, runner)));
  const daemon = command !== 'status' ? undefined : api === undefined ? { error: `its status API is off (nodes.${node}.api)` } : await daemonStatus(runner, api);
  // status: the differences as the daemon sees its real servers (a dry run here has no health checks:
  // a server its checks took down would show as a weight to write back)
  const health = daemon !== undefined && 'document' in daemon ? healthFromState(daemon.document) : undefined;
  const result = await reconcile(lab, node, nodeKernel(runner, ownershipOf(lab, node)), {
    dryRun, cleanup: command === 'cleanup', ...(health === undefined ? {} : { health: () => health }),
  });
  if (json) {
    // status: the differences and the daemon's answer; plan, apply, cleanup: the run's result
    ctx.out(JSON.stringify(daemon === undefined ? result : nodeStatusDocument(node, result, daemon), null, 2));
  } else {
    if (daemon && 'document' in daemon) ctx.out(renderStatus(daemon.document, { now: new Date() }));
    else if (daemon) ctx.out(`daemon: ${daemon.error}`);
    // a failed run is a failure: on stderr, as every other one
    (result.ok ? ctx.out : ctx.err)(summarize(result, dryRun).replace('changes planned', command === 'status' ? 'differences from the lab' : 'changes planned'));
    for (const line of result.changes) ctx.out(`  ${line}`);
  }
  return result.ok && (command !== 'status' || statusHolds(result, daemon)) ? EXIT.ok : EXIT.failed;
}

/** status passes when the node is what the lab asks for (no difference) and its daemon says so too. */
export const statusHolds = (differences: Pick<ReconcileResult, 'ok' | 'changes'>, daemon: DaemonAnswer | undefined): boolean =>
  differences.ok && differences.changes.length === 0 && daemonSaysConverged(daemon);

/** The health verdicts of the daemon's /v1/state, keyed as the planner keys them. */
export function healthFromState(doc: StatusDocument): HealthView {
  return new Map(doc.virtualServers.flatMap((vs) => vs.realServers.flatMap((r) => (r.healthy === undefined ? [] : [
    [realServerId({ protocol: vs.protocol, address: vs.vip, port: vs.port }, r), { healthy: r.healthy }] as const,
  ]))));
}

/**
 * status fails unless the node's daemon answers and says its node is what the lab asks for: its last
 * run converged (with its health checks' view, which a dry run here does not have) and no reload of
 * the lab file was refused (it then keeps the last good lab, not the file's).
 */
export function daemonSaysConverged(daemon: DaemonAnswer | undefined): boolean {
  return daemon !== undefined && 'document' in daemon && daemon.document.converged && (daemon.document.reloadProblems ?? []).length === 0;
}

/** The daemon's /v1/state, read inside the node (its API listens on the node's own loopback). */
async function daemonStatus(runner: Runner, api: string): Promise<DaemonAnswer> {
  try {
    const { stdout } = await runner.run(['curl', '-sS', '--fail', '--max-time', '5', `http://${api}/v1/state`], { timeoutMs: 30_000 });
    return { document: JSON.parse(stdout) as StatusDocument };
  } catch (e) {
    return { error: `not reachable at ${api} (${(e as Error).message.split('\n')[0]})` };
  }
}
