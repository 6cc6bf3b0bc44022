/**
 * `lvslab doctor [LAB] [--json]`: what works and what does not in a kube-proxy-mode lab, and what the
 * DR and TUN real servers lack, and why.
 */
import type { LabConfig } from '../config/types.js';
import { diagnoseKube, renderDoctor } from '../doctor/kube-diagnose.js';
import { gatherKubeFacts } from '../doctor/kube-facts.js';
import { diagnoseModes } from '../doctor/mode-diagnose.js';
import { directRealServers, gatherModeFacts } from '../doctor/mode-facts.js';
import type { DoctorReport } from '../doctor/kube-types.js';
import { EXIT, resolveLab, upLabAccess, type CliContext } from './context.js';

/** The diagnosis of LAB's services and DR/TUN real servers where it is up here; undefined for a lab with neither. */
export async function doctorLab(ctx: CliContext, lab: LabConfig): Promise<DoctorReport | undefined> {
  const direct = directRealServers(lab).size > 0;
  if (lab.services.length === 0 && !direct) return undefined;
  const access = await upLabAccess(lab, ctx.log);
  const kube = lab.services.length === 0 ? undefined : diagnoseKube(lab.lab, await gatherKubeFacts(lab, access));
  const modes = direct ? await gatherModeFacts(lab, access) : undefined;
  const findings = [...(kube?.findings ?? []), ...(modes === undefined ? [] : diagnoseModes(modes))];
  return { lab: lab.lab, findings, notes: [...(kube?.notes ?? []), ...(modes?.notes ?? [])], ok: !findings.some((f) => f.kind === 'problem') };
}

export async function doctorCommand(ctx: CliContext, labPath: string | undefined, json: boolean): Promise<number> {
  // a lab file with problems (a node port outside the range, …) is refused here, each problem named
  const { lab } = await resolveLab(labPath, false);
  const report = await doctorLab(ctx, lab);
  if (report === undefined) {
    const note = `lab ${lab.lab} has no services and no DR or TUN virtual server: doctor reads those; \`lvslab verify\` diagnoses NAT virtual servers`;
    // --json: still one document on stdout, the report of a lab with nothing to diagnose
    ctx.out(json ? JSON.stringify({ lab: lab.lab, findings: [], notes: [note], ok: true } satisfies DoctorReport, null, 2) : note);
    return EXIT.ok;
  }
  ctx.out(json ? JSON.stringify(report, null, 2) : renderDoctor(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
