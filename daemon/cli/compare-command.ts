/**
 * `lvslab compare [NAT.yaml DR.yaml TUN.yaml]`: the same requests through a NAT, a DR and a TUN lab in
 * turn (labs/seed.yaml, labs/dr.yaml, labs/tun.yaml by default; inside the micro-VM when this kernel
 * has no IPVS), each lab brought up for it unless it already is (and taken down after), and the article's
 * comparison of the modes printed as what was measured.
 */
import { join, resolve } from 'node:path';
import { createRunner } from '../kernel/runner.js';
import { existingNamespaces } from '../lab/namespace-lab.js';
import { labNamespaces } from '../lab/topology.js';
import { packageRoot } from '../paths.js';
import { directorOf } from '../plan/plan.js';
import { clientOf } from '../verify/flows.js';
import { compareReport, renderCompare, type CompareEntry } from '../verify/compare.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';
import { progress } from './progress.js';
import { bringUp, downLab, inMicroVmWithoutIpvs } from './up-down.js';
import { verifyLab } from './verify-command.js';

export const COMPARE_LABS: readonly string[] = ['seed', 'dr', 'tun'].map((name) => join(packageRoot, 'labs', `${name}.yaml`));

export interface CompareFlags {
  readonly requests: number;
  readonly timeoutS: number;
  readonly json: boolean;
}

export async function compareCommand(ctx: CliContext, labPaths: readonly string[], flags: CompareFlags): Promise<number> {
  const paths = labPaths.length > 0 ? labPaths : COMPARE_LABS;
  const labs = [];
  for (const path of paths) {
    const resolved = await resolveLab(path, false);
    if (!resolved.lab.virtualServers.some((vs) => vs.protocol === 'tcp')) {
      throw new CliError(`${path}: lab ${resolved.lab.lab} has no TCP virtual server to compare`, EXIT.badInput);
    }
    labs.push(resolved);
  }
  const shown = progress(process.stderr);
  const say = (line: string) => shown.around(() => (flags.json ? ctx.err : ctx.out)(line));
  const runner = createRunner({ log: ctx.log });
  const args = ['compare', ...labs.map((l) => resolve(l.path)), '--requests', String(flags.requests), '--timeout', String(flags.timeoutS), ...(flags.json ? ['--json'] : [])];
  const inVm = await inMicroVmWithoutIpvs(ctx, runner, args, (labs.length * flags.timeoutS + 600) * 1000, say, shown);
  if (inVm !== undefined) return inVm;
  const entries: CompareEntry[] = [];
  for (const { lab, path } of labs) {
    const present = await existingNamespaces(runner);
    const wasUp = labNamespaces(lab).every((ns) => present.has(ns));
    if (!wasUp) {
      const { convergedMs } = await bringUp(ctx, lab, path, runner, flags.timeoutS, () => undefined, shown);
      say(`lab ${lab.lab} up (converged in ${convergedMs} ms)`);
    }
    try {
      const report = await verifyLab(ctx, lab, flags.requests, shown);
      const vs = lab.virtualServers.find((v) => v.protocol === 'tcp')!;
      entries.push({ forwarding: vs.forwarding, lab: lab.lab, directorIp: directorOf(lab).ip, clientIp: clientOf(lab).ip, report });
      say(`lab ${lab.lab} (${vs.forwarding}): ${report.ok ? 'verified' : 'verify FAILED'}`);
    } finally {
      if (!wasUp) {
        await downLab({ ...ctx, out: () => undefined }, lab, runner, shown);
        say(`lab ${lab.lab} down`);
      }
    }
  }
  const report = compareReport(entries, flags.requests);
  ctx.out(flags.json ? JSON.stringify({ ...report, verify: entries.map((e) => e.report) }, null, 2) : renderCompare(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
