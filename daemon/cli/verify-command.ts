/** `lvslab verify`: curl each VIP from the client, read conntrack, explain, diagnose. */
import { createRunner } from '../kernel/runner.js';
import { existingNamespaces, nodeRunner } from '../lab/namespace-lab.js';
import { netnsName } from '../plan/names.js';
import { renderReport } from '../verify/render.js';
import { runVerify } from '../verify/verify.js';
import { EXIT, resolveLab, type CliContext } from './context.js';

export interface VerifyFlags {
  readonly requests: number;
  readonly json: boolean;
}

export async function verifyCommand(ctx: CliContext, labPath: string | undefined, flags: VerifyFlags): Promise<number> {
  const { lab } = await resolveLab(labPath, false);
  const present = await existingNamespaces(createRunner({ log: ctx.log }));
  // In the one-box lab each node is a namespace; on real VMs every node is this host.
  const runnerFor = (node: string) =>
    present.has(netnsName(lab, node)) ? nodeRunner(lab, node, ctx.log) : createRunner({ log: ctx.log });
  const report = await runVerify(lab, { runnerFor }, { requests: flags.requests });
  ctx.out(flags.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
