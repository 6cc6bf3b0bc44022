/** `lvslab drill failover`: the HA lab's master taken away under load, measured (lab/ha-drill.ts). */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderDrill, type DrillWay } from '../ha/drill-report.js';
import { runDrillAgent, type DrillAgentOptions } from '../ha/drill-agent.js';
import { createRunner } from '../kernel/runner.js';
import { namespaceSite, sshSite, type DrillSite } from '../lab/drill-sites.js';
import { drillFailover } from '../lab/ha-drill.js';
import { existingNamespaces } from '../lab/namespace-lab.js';
import { labNamespaces } from '../lab/topology.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';
import { progress } from './progress.js';
import { bringUp, inMicroVmWithoutIpvs } from './up-down.js';

export interface DrillFlags {
  readonly way: DrillWay;
  readonly held: number;
  readonly everyMs: number;
  readonly json: boolean;
  /** An ssh_config whose hosts are the nodes (`vagrant ssh-config`): the lab is on machines of their own. */
  readonly sshConfig?: string;
}

/**
 * With --ssh-config the lab is on machines of their own (the Vagrant lab, driven from the host), which
 * the drill reaches over ssh. Otherwise it is the one-box lab: where this kernel has no IPVS the drill
 * runs inside the micro-VM, which starts without the lab; there (and wherever the lab is not up) it
 * brings the lab up first, as `up` would, and says so.
 */
export async function drillCommand(ctx: CliContext, labPath: string | undefined, flags: DrillFlags): Promise<number> {
  const { lab, path } = await resolveLab(labPath, false);
  if (lab.ha === undefined) throw new CliError(`lab ${lab.lab} has one director: a failover drill needs two and an ha key (like labs/ha.yaml)`, EXIT.badInput);
  const shown = progress(process.stderr);
  const say = (line: string) => shown.around(() => (flags.json ? ctx.err : ctx.out)(line));
  let site: DrillSite;
  if (flags.sshConfig !== undefined) {
    await access(flags.sshConfig).catch(() => { throw new CliError(`--ssh-config ${flags.sshConfig}: no such file (vagrant ssh-config > FILE writes one)`, EXIT.badInput); });
    site = await sshSite(lab, ctx.log, resolve(flags.sshConfig));
  } else {
    const runner = createRunner({ log: ctx.log });
    const forwarded = ['drill', 'failover', resolve(path), '--by', flags.way, '--held', String(flags.held), '--every', String(flags.everyMs), ...(flags.json ? ['--json'] : [])];
    const inVm = await inMicroVmWithoutIpvs(ctx, runner, forwarded, 900_000, say, shown);
    if (inVm !== undefined) return inVm;
    const present = await existingNamespaces(runner);
    if (!labNamespaces(lab).every((ns) => present.has(ns))) {
      say(`lab ${lab.lab} is not up here: bringing it up first`);
      await bringUp(ctx, lab, path, runner, 300, say, shown);
    }
    site = await namespaceSite(lab, ctx.log);
  }
  try {
    const report = await drillFailover(lab, site, ctx.log, { way: flags.way, held: flags.held, everyMs: flags.everyMs }, (line) => say(`drill: ${line}`));
    ctx.out(flags.json ? JSON.stringify(report, null, 2) : renderDrill(report));
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await site.close();
  }
}

/** The hidden `lvslab drill-agent`, which the drill runs in the client's namespace: its result is one JSON line. */
export async function drillAgentCommand(ctx: CliContext, options: DrillAgentOptions): Promise<number> {
  ctx.out(JSON.stringify(await runDrillAgent(options)));
  return EXIT.ok;
}
