/** `lvslab check [LAB.yaml] [--node NAME]`: validate a lab file (and that NAME is one of its nodes); touches nothing. */
import { findNode } from '../plan/plan.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';

export async function checkCommand(ctx: CliContext, labPath: string | undefined, node: string | undefined): Promise<number> {
  const { lab, path } = await resolveLab(labPath, false);
  if (node !== undefined) {
    try {
      findNode(lab, node);
    } catch (e) {
      throw new CliError(`${path}: ${(e as Error).message}`, EXIT.badInput);
    }
  }
  const nodes = lab.nodes.map((n) => `${n.name} ${n.role} ${n.address}`).join(', ');
  ctx.out(`${path}: lab ${lab.lab} is valid — ${lab.nodes.length} nodes (${nodes}), ${lab.virtualServers.length} virtual server(s), ${lab.services.length} service(s), ${lab.blocklists.length} blocklist(s)`);
  return EXIT.ok;
}
