/** `lvslab plan|apply|status|cleanup --node NAME`: one node, once, without the daemon. */
import { nodeKernel } from '../kernel/node-kernel.js';
import { createRunner } from '../kernel/runner.js';
import { existingNamespaces, nodeRunner, stateFile } from '../lab/namespace-lab.js';
import { netnsName } from '../plan/names.js';
import { findNode } from '../plan/plan.js';
import { reconcile, summarize } from '../reconcile/reconcile.js';
import { readState } from '../reconcile/state-file.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';

export type NodeCommand = 'plan' | 'apply' | 'status' | 'cleanup';

export async function nodeCommand(ctx: CliContext, command: NodeCommand, labPath: string | undefined, node: string | undefined, json: boolean): Promise<number> {
  if (!node) throw new CliError(`lvslab ${command} needs --node NAME`, EXIT.badInput);
  const { lab } = await resolveLab(labPath, false);
  try {
    findNode(lab, node);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.badInput);
  }
  const present = await existingNamespaces(createRunner({ log: ctx.log }));
  const runner = present.has(netnsName(lab, node)) ? nodeRunner(lab, node, ctx.log) : createRunner({ log: ctx.log });
  const dryRun = command === 'plan' || command === 'status';
  const result = await reconcile(lab, node, nodeKernel(runner, lab), { dryRun, cleanup: command === 'cleanup' });
  const daemon = command === 'status' ? await readState(stateFile(lab.lab, node)) : undefined;
  if (json) {
    ctx.out(JSON.stringify(command === 'status' ? { node, result, daemon: daemon ?? null } : result, null, 2));
  } else {
    ctx.out(summarize(result, dryRun).replace('changes planned', command === 'status' ? 'differences from the lab' : 'changes planned'));
    for (const line of result.changes) ctx.out(`  ${line}`);
    if (command === 'status') {
      ctx.out(daemon
        ? `daemon: pid ${daemon.pid}, ${daemon.runs} runs, ${daemon.converged ? 'converged' : 'not converged'} at ${daemon.updatedAt}` +
          (daemon.lastChange ? `; last change at ${daemon.lastChange.at}: ${daemon.lastChange.changes.length} changes` : '')
        : 'daemon: no state file (not running here)');
    }
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
