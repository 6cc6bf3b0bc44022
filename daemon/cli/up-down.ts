/** `lvslab up` and `lvslab down`: the one-box lab of network namespaces. */
import type { LabConfig } from '../config/types.js';
import { nodeKernel, ownershipOf } from '../kernel/node-kernel.js';
import { createRunner, runAttached, type Runner } from '../kernel/runner.js';
import { netnsName } from '../plan/names.js';
import { probeCapabilities } from '../kernel/capabilities.js';
import {
  buildTopology, existingNamespaces, nodeRunner, readRecord, removeTopology, startDaemons, startWaves, stopDaemons, waitConverged,
  writeRecord, type LabRecord,
} from '../lab/namespace-lab.js';
import { HA_PROGRAMS, onPath, startConntrackdOn, startKeepalived } from '../lab/ha-lab.js';
import { errorText } from '../kernel/tool-error.js';
import { CONNTRACKD_PORT } from '../ha/conntrackd-conf.js';
import { floatingIps, readHolders } from '../ha/holders.js';
import { NODE_LINK } from '../lab/topology.js';
import { labNamespaces } from '../lab/topology.js';
import { reconcile, summarize } from '../reconcile/reconcile.js';
import { microvmScript } from '../paths.js';
import { CliError, EXIT, resolveLab, type CliContext } from './context.js';
import { doctorLab } from './doctor-command.js';
import { renderDoctor } from '../doctor/kube-diagnose.js';
import { renderReport } from '../verify/render.js';
import { verifyLab, type VerifyFlags } from './verify-command.js';
import { progress, type Progress } from './progress.js';
import { upDocument } from './json-documents.js';
import { resolve } from 'node:path';

export interface UpFlags extends VerifyFlags {
  readonly timeoutS: number;
}

/**
 * With --json, stdout is one JSON document (the convergence of each node, the verification, the
 * doctor's diagnosis when the lab has services); the progress lines go to stderr.
 */
export async function upCommand(ctx: CliContext, labPath: string | undefined, flags: UpFlags): Promise<number> {
  const { lab, path } = await resolveLab(labPath, true);
  const shown = progress(process.stderr);
  const say = (line: string) => shown.around(() => (flags.json ? ctx.err : ctx.out)(line));
  const runner = createRunner({ log: ctx.log });
  const forwarded = ['up', resolve(path), '--requests', String(flags.requests), '--timeout', String(flags.timeoutS), ...(flags.json ? ['--json'] : [])];
  const inVm = await inMicroVmWithoutIpvs(ctx, runner, forwarded, (flags.timeoutS + 600) * 1000, say, shown);
  if (inVm !== undefined) return inVm;
  const { converged, convergedMs } = await bringUp(ctx, lab, path, runner, flags.timeoutS, say, shown);
  const verify = await verifyLab(ctx, lab, flags.requests, shown);
  if (!flags.json) ctx.out(renderReport(verify));
  // services, and DR/TUN real servers, are checked by doctor: what answers from where, what is missing, and why
  if (lab.services.length > 0) shown.step(`doctor: what each of ${lab.services.length} service(s) answers from each node, and why not`);
  else if (lab.virtualServers.some((vs) => vs.forwarding !== 'nat')) shown.step('doctor: what the DR/TUN real servers need and lack');
  const doctor = await doctorLab(ctx, lab).finally(() => shown.done());
  if (!flags.json && doctor) ctx.out(renderDoctor(doctor));
  if (flags.json) ctx.out(JSON.stringify(upDocument(lab.lab, converged, convergedMs, verify, doctor), null, 2));
  return verify.ok && (doctor?.ok ?? true) ? EXIT.ok : EXIT.failed;
}

/**
 * Where this kernel has no IPVS, runs `lvslab ARGS` inside the micro-VM (attached: its output is this
 * command's) and gives its exit code; undefined where it has IPVS (the caller runs here).
 */
export async function inMicroVmWithoutIpvs(ctx: CliContext, runner: Runner, args: readonly string[], timeoutMs: number,
  say: (line: string) => void, shown: Progress): Promise<number | undefined> {
  const caps = await probeCapabilities(runner);
  if (caps.ipvs) return undefined;
  if (caps.inMicroVm) throw new CliError(`no IPVS even inside the micro-VM (kernel ${caps.kernel})`);
  say(`This kernel (${caps.kernel}) has no IPVS: running inside the lvslab micro-VM (Debian's kernel, no network card); the lab ends with the VM.`);
  const argv = [microvmScript, '--', process.execPath, process.argv[1]!, ...args];
  // the boot is silent for seconds (software emulation): say so until the guest's lvslab speaks
  shown.step('booting the micro-VM');
  return runAttached(argv, timeoutMs, ctx.log, { onFirstOutput: () => shown.done() }).finally(() => shown.done());
}

/**
 * Builds LAB's namespaces (taking an earlier copy of it down first), starts a daemon per node and waits
 * until every one has converged; `say` gets the progress lines. Used by `up` and `compare`.
 */
export async function bringUp(ctx: CliContext, lab: LabConfig, path: string, runner: Runner, timeoutS: number,
  say: (line: string) => void, shown: Progress): Promise<{ converged: Record<string, string>; convergedMs: number }> {
  const started = performance.now();
  // an HA lab's programs, looked for before anything is built: a missing one must not leave half a lab
  if (lab.ha !== undefined) {
    try {
      for (const program of HA_PROGRAMS) onPath(program);
    } catch (e) {
      throw new CliError(`lab ${lab.lab} has two directors: ${errorText(e)}`);
    }
  }
  const present = await existingNamespaces(runner);
  if (labNamespaces(lab).some((ns) => present.has(ns))) {
    say(`lab ${lab.lab} is already up here: taking it down first`);
    await downLab({ ...ctx, out: say }, lab, runner, shown);
  }
  say(`lab ${lab.lab}: ${lab.nodes.length} nodes as network namespaces (${lab.nodes.map((n) => `${n.name} ${n.address}`).join(', ')})`);
  shown.step(`building the topology: ${lab.nodes.length + 1} network namespaces, a bridge, veth pairs`);
  await buildTopology(lab, runner);
  const converged: Record<string, string> = {};
  let record: LabRecord | undefined;
  for (const wave of startWaves(lab)) {
    const names = wave.map((n) => n.name);
    const after = record === undefined ? '' : `, now that the others have converged (${names.length > 1 ? 'their' : 'its'} health checks find the backends listening)`;
    shown.step(`starting lvslabd for ${names.join(', ')}`);
    record = await startDaemons(lab, path, ctx.log, wave, record);
    shown.done();
    say(`started lvslabd for ${names.join(', ')}${after}; waiting for convergence`);
    const waiting = () => `waiting for convergence: ${names.filter((n) => !(n in converged)).join(', ')}`;
    shown.step(waiting());
    const leftMs = Math.max(1, timeoutS * 1000 - (performance.now() - started));
    await waitConverged(record, leftMs, (s) => {
      const first = s.lastChange ?? s.last;
      converged[s.node] = first ? summarize(first) : `${s.node}: converged`;
      say(`  ${converged[s.node]}`);
      if (names.some((n) => !(n in converged))) shown.step(waiting());
    }, names).finally(() => shown.done());
  }
  if (lab.ha !== undefined && record !== undefined) await startHa(ctx, lab, record, say, shown);
  const convergedMs = Math.round(performance.now() - started);
  say(`lab ${lab.lab} converged in ${convergedMs} ms`);
  return { converged, convergedMs };
}

/**
 * An HA lab's keepalived, once both directors' daemons have converged (their track script then passes
 * from the start); waits until one director holds the floating addresses: both start as backup, and
 * the higher priority wins after 3 adverts of silence.
 */
async function startHa(ctx: CliContext, lab: LabConfig, record: LabRecord, say: (line: string) => void, shown: Progress): Promise<void> {
  const ha = lab.ha!;
  const directors = lab.nodes.filter((n) => n.role === 'director').map((n) => n.name);
  const runnerOf = (node: string) => nodeRunner(lab, node, ctx.log);
  // conntrackd first: keepalived's first notify (master) asks it to commit
  const conntrackd: Record<string, number> = {};
  for (const node of directors) {
    shown.step(`conntrackd on ${node}: waiting for it to answer`);
    conntrackd[node] = await startConntrackdOn(lab, node, ctx.log, runnerOf(node), 30_000).finally(() => shown.done());
    await writeRecord({ ...record, conntrackd });
  }
  say(`started conntrackd on ${directors.join(' and ')} (the lab's conntrack entries sent to the other director over UDP ${CONNTRACKD_PORT})`);
  say(`starting keepalived on ${directors.join(', then ')} (VRRP router ${ha.virtualRouterId}, an advert every ${ha.advertIntervalMs} ms, ${ha.preempt ? 'preempt' : 'no preemption'})`);
  shown.step(`keepalived on ${directors[0]}: waiting for it to hold the floating addresses`);
  const remember = (keepalived: Readonly<Record<string, number>>) => writeRecord({ ...record, conntrackd, keepalived });
  await startKeepalived(lab, ctx.log, runnerOf, 10 * ha.advertIntervalMs + 20_000, remember, (node, state) => {
    say(state === 'MASTER' ? `  ${node} is master: it holds ${floatingIps(lab).join(', ')}` : `  ${node} entered BACKUP`);
    if (state === 'MASTER') shown.step(`keepalived on ${directors[1]}: waiting for it to enter BACKUP`);
  }).finally(() => shown.done());
  const holders = await readHolders(lab, runnerOf, NODE_LINK);
  if (!holders.ok) throw new CliError(`keepalived: ${holders.reason}`);
  say(`  ${holders.master} holds the floating addresses, the other director none`);
}

/** Stop the daemons, remove what lvslab owns in each node, then delete the namespaces; `shown` says which step runs (ctx.out must keep clear of its line). */
export async function downLab(ctx: CliContext, lab: LabConfig, runner: Runner, shown: Progress): Promise<string[]> {
  const record = await readRecord(lab.lab);
  try {
    if (record) {
      const keepalived = Object.keys(record.keepalived ?? {});
      const conntrackd = Object.keys(record.conntrackd ?? {});
      shown.step(`stopping ${keepalived.length > 0 ? `keepalived for ${keepalived.join(', ')}, then ` : ''}${conntrackd.length > 0 ? `conntrackd for ${conntrackd.join(', ')}, then ` : ''}lvslabd for ${Object.keys(record.pids).join(', ')}`);
      await stopDaemons(record);
    }
    const present = await existingNamespaces(runner);
    for (const node of lab.nodes.filter((n) => present.has(netnsName(lab, n.name)))) {
      shown.step(`cleanup of ${node.name}: removing what lvslab made there`);
      const result = await reconcile(lab, node.name, nodeKernel(nodeRunner(lab, node.name, ctx.log), ownershipOf(lab, node.name)), { cleanup: true });
      ctx.out(`  cleanup ${summarize(result).replace('applied', 'removed')}`);
    }
    shown.step('removing the network namespaces and the bridge');
    return await removeTopology(lab, runner);
  } finally {
    shown.done();
  }
}

export async function downCommand(ctx: CliContext, labPath: string | undefined): Promise<number> {
  const { lab } = await resolveLab(labPath, false);
  const shown = progress(process.stderr);
  const removed = await downLab({ ...ctx, out: (line) => shown.around(() => ctx.out(line)) }, lab, createRunner({ log: ctx.log }), shown);
  ctx.out(removed.length > 0 ? `lab ${lab.lab} is down: removed ${removed.join(', ')}` : `lab ${lab.lab} was not up here`);
  return EXIT.ok;
}
