/** `lvslab verify`: curl each VIP from the client, read conntrack, explain, diagnose. */
import { renderReport } from '../verify/render.js';
import { runVerify } from '../verify/verify.js';
import { EXIT, resolveLab, upLabAccess, type CliContext } from './context.js';

export interface VerifyFlags {
  readonly requests: number;
  readonly json: boolean;
}

export async function verifyCommand(ctx: CliContext, labPath: string | undefined, flags: VerifyFlags): Promise<number> {
  const { lab } = await resolveLab(labPath, false);
  const access = await upLabAccess(lab, ctx.log);
  const report = await runVerify(lab, access, { requests: flags.requests });
  ctx.out(flags.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
