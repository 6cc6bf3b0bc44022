/** `lvslab up` and `lvslab down`: the one-box lab of network namespaces. */
import type { LabConfig } from '../config/types.js';
import { nodeKernel, ownershipOf } from '../kernel/node-kernel.js';
import { createRunner, runAttached, type Runner } from '../kernel/runner.js';
import { netnsName } from '../plan/names.js';
import { probeCapabilities } from '../kernel/capabilities.js';
import {
  buildTopology, existingNamespaces, nodeRunner, readRecord, removeTopology, startDaemons, stopDaemons, waitConverged,
} from '../lab/namespace-lab.js';
import { labNamespaces } from '../lab/topology.js';
import { reconcile, summarize } from '../reconcile/reconcile.js';
import { microvmScript } from '../paths.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';
import { doctorCommand } from './doctor-command.js';
import { verifyCommand, type VerifyFlags } from './verify-command.js';
import { resolve } from 'node:path';

export interface UpFlags extends VerifyFlags {
  readonly timeoutS: number;
}

export async function upCommand(ctx: CliContext, labPath: string | undefined, flags: UpFlags): Promise<number> {
  const { lab, path } = await resolveLab(labPath, true);
  const runner = createRunner({ log: ctx.log });
  const caps = await probeCapabilities(runner);
  if (!caps.ipvs) {
    if (caps.inMicroVm) throw new CliError(`no IPVS even inside the micro-VM (kernel ${caps.kernel})`);
    ctx.out(`This kernel (${caps.kernel}) has no IPVS: running inside the lvslab micro-VM (Debian's kernel, no network card); the lab ends with the VM.`);
    const forwarded = ['--requests', String(flags.requests), '--timeout', String(flags.timeoutS), ...(flags.json ? ['--json'] : [])];
    const argv = [microvmScript, '--', process.execPath, process.argv[1]!, 'up', resolve(path), ...forwarded];
    return runAttached(argv, (flags.timeoutS + 600) * 1000, ctx.log);
  }
  const started = performance.now();
  const present = await existingNamespaces(runner);
  if (labNamespaces(lab).some((ns) => present.has(ns))) {
    ctx.out(`lab ${lab.lab} is already up here: taking it down first`);
    await downLab(ctx, lab, runner);
  }
  ctx.out(`lab ${lab.lab}: ${lab.nodes.length} nodes as network namespaces (${lab.nodes.map((n) => `${n.name} ${n.address}`).join(', ')})`);
  await buildTopology(lab, runner);
  const record = await startDaemons(lab, path, ctx.log);
  ctx.out(`started lvslabd for ${Object.keys(record.pids).join(', ')}; waiting for convergence`);
  await waitConverged(record, flags.timeoutS * 1000, (s) => {
    const first = s.lastChange ?? s.last;
    ctx.out(`  ${first ? summarize(first) : `${s.node}: converged`}`);
  });
  ctx.out(`lab ${lab.lab} converged in ${Math.round(performance.now() - started)} ms`);
  const verified = await verifyCommand(ctx, path, flags);
  // services are checked by doctor: what answers from where, and why not
  const doctored = lab.services.length > 0 ? await doctorCommand(ctx, path, flags.json) : EXIT.ok;
  return verified !== EXIT.ok ? verified : doctored;
}

/** Stop the daemons, remove what lvslab owns in each node, then delete the namespaces. */
async function downLab(ctx: CliContext, lab: LabConfig, runner: Runner): Promise<string[]> {
  const record = await readRecord(lab.lab);
  if (record) await stopDaemons(record);
  const present = await existingNamespaces(runner);
  for (const node of lab.nodes.filter((n) => present.has(netnsName(lab, n.name)))) {
    const result = await reconcile(lab, node.name, nodeKernel(nodeRunner(lab, node.name, ctx.log), ownershipOf(lab, node.name)), { cleanup: true });
    ctx.out(`  cleanup ${summarize(result).replace('applied', 'removed')}`);
  }
  return removeTopology(lab, runner);
}

export async function downCommand(ctx: CliContext, labPath: string | undefined): Promise<number> {
  const { lab } = await resolveLab(labPath, false);
  const removed = await downLab(ctx, lab, createRunner({ log: ctx.log }));
  ctx.out(removed.length > 0 ? `lab ${lab.lab} is down: removed ${removed.join(', ')}` : `lab ${lab.lab} was not up here`);
  return EXIT.ok;
}
