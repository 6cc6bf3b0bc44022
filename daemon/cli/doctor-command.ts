/** `lvslab doctor [LAB] [--json]`: what works and what does not in a kube-proxy-mode lab, and why. */
import { diagnoseKube, renderDoctor } from '../doctor/kube-diagnose.js';
import { gatherKubeFacts } from '../doctor/kube-facts.js';
import { EXIT, resolveLab, upLabAccess, type CliContext } from './context.js';

export async function doctorCommand(ctx: CliContext, labPath: string | undefined, json: boolean): Promise<number> {
  // a lab file with problems (a node port outside the range, …) is refused here, each problem named
  const { lab } = await resolveLab(labPath, false);
  if (lab.services.length === 0) {
    ctx.out(`lab ${lab.lab} has no services: doctor reads kube-proxy-mode labs; \`lvslab verify\` diagnoses virtual servers`);
    return EXIT.ok;
  }
  const report = diagnoseKube(lab.lab, await gatherKubeFacts(lab, await upLabAccess(lab, ctx.log)));
  ctx.out(json ? JSON.stringify(report, null, 2) : renderDoctor(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}
