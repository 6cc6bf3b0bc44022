/** `lvslab verify`: curl each VIP from the client, read conntrack, explain, diagnose. */
import type { LabConfig } from '../config/types.js';
import { renderReport } from '../verify/render.js';
import type { VerifyReport } from '../verify/types.js';
import { runVerify } from '../verify/verify.js';
import { CliError, EXIT, resolveLab, upLabAccess, type CliContext } from './context.js';
import type { LabAccessHere } from '../lab/node-access.js';
import { readHolders, withMasterFirst } from '../ha/holders.js';
import { NODE_LINK } from '../lab/topology.js';
import { progress, type Progress } from './progress.js';

export interface VerifyFlags {
  readonly requests: number;
  readonly json: boolean;
}

/** The verification of LAB where it is up here (a lab that is not is refused: context.ts upLabAccess). */
export async function verifyLab(ctx: CliContext, labAsWritten: LabConfig, requests: number, shown: Progress): Promise<VerifyReport> {
  const access = await upLabAccess(labAsWritten, ctx.log);
  const lab = await withTheMaster(labAsWritten, access);
  const client = lab.nodes.find((n) => n.role === 'client')?.name ?? 'the client';
  shown.step(`verifying: ${requests} request(s) to each of ${lab.virtualServers.length} virtual server(s) from ${client}, then the conntrack flows they left`);
  try {
    return await runVerify(lab, access, { requests });
  } finally {
    shown.done();
  }
}

/**
 * An HA lab as verify must see it: the director that holds the floating addresses now first (the one
 * whose IPVS and conntrack the client's requests cross). In the one-box lab it is read from the
 * directors' namespaces; refused when no single director holds them (verify would blame the wrong one).
 */
async function withTheMaster(lab: LabConfig, access: LabAccessHere): Promise<LabConfig> {
  if (lab.ha === undefined || access.presence !== 'namespaces') return lab;
  const holders = await readHolders(lab, (node) => access.runnerFor(node), NODE_LINK);
  if (!holders.ok) throw new CliError(`lab ${lab.lab}: keepalived's floating addresses are not on exactly one director: ${holders.reason}`, EXIT.failed);
  return withMasterFirst(lab, holders.master);
}

export async function verifyCommand(ctx: CliContext, labPath: string | undefined, flags: VerifyFlags): Promise<number> {
  const { lab } = await resolveLab(labPath, false);
  const report = await verifyLab(ctx, lab, flags.requests, progress(process.stderr));
  ctx.out(flags.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
