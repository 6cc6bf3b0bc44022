/** `lvslab doctor [LAB] [--json]`: what works and what does not in a kube-proxy-mode lab, and why. */
import type { LabConfig } from '../config/types.js';
import { diagnoseKube, renderDoctor } from '../doctor/kube-diagnose.js';
import { gatherKubeFacts } from '../doctor/kube-facts.js';
import type { DoctorReport } from '../doctor/kube-types.js';
import { EXIT, resolveLab, upLabAccess, type CliContext } from './context.js';

/** The diagnosis of LAB's services where it is up here; undefined for a lab without services. */
export async function doctorLab(ctx: CliContext, lab: LabConfig): Promise<DoctorReport | undefined> {
  if (lab.services.length === 0) return undefined;
  return diagnoseKube(lab.lab, await gatherKubeFacts(lab, await upLabAccess(lab, ctx.log)));
}

export async function doctorCommand(ctx: CliContext, labPath: string | undefined, json: boolean): Promise<number> {
  // a lab file with problems (a node port outside the range, …) is refused here, each problem named
  const { lab } = await resolveLab(labPath, false);
  const report = await doctorLab(ctx, lab);
  if (report === undefined) {
    const note = `lab ${lab.lab} has no services: doctor reads kube-proxy-mode labs; \`lvslab verify\` diagnoses virtual servers`;
    // --json: still one document on stdout, the report of a lab with nothing to diagnose
    ctx.out(json ? JSON.stringify({ lab: lab.lab, findings: [], notes: [note], ok: true } satisfies DoctorReport, null, 2) : note);
    return EXIT.ok;
  }
  ctx.out(json ? JSON.stringify(report, null, 2) : renderDoctor(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
