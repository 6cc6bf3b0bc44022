/** `lvslab verify`: curl each VIP from the client, read conntrack, explain, diagnose. */
import type { LabConfig } from '../config/types.js';
import { renderReport } from '../verify/render.js';
import type { VerifyReport } from '../verify/types.js';
import { runVerify } from '../verify/verify.js';
import { EXIT, resolveLab, upLabAsItRuns, type CliContext } from './context.js';
import { progress, type Progress } from './progress.js';

export interface VerifyFlags {
  readonly requests: number;
  readonly json: boolean;
}

/** The verification of LAB where it is up here (a lab that is not is refused: context.ts upLabAccess). */
export async function verifyLab(ctx: CliContext, labAsWritten: LabConfig, requests: number, shown: Progress): Promise<VerifyReport> {
  const { lab, access } = await upLabAsItRuns(labAsWritten, ctx.log);
  const client = lab.nodes.find((n) => n.role === 'client')?.name ?? 'the client';
  shown.step(`verifying: ${requests} request(s) to each of ${lab.virtualServers.length} virtual server(s) from ${client}, then the conntrack flows they left`);
  try {
    return await runVerify(lab, access, { requests });
  } finally {
    shown.done();
  }
}

export async function verifyCommand(ctx: CliContext, labPath: string | undefined, flags: VerifyFlags): Promise<number> {
  const { lab } = await resolveLab(labPath, false);
  const report = await verifyLab(ctx, lab, flags.requests, progress(process.stderr));
  ctx.out(flags.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
