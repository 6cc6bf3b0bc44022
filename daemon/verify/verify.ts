/**
 * `lvslab verify`: for each TCP virtual server, curl the VIP from the client `requests` times, read the
 * conntrack flows those requests left on the client and the director, explain them, check the
 * distribution against the scheduler, and when something is off read the facts and diagnose. The only
 * impure part of daemon/verify besides facts.ts.
 */
import type { LabConfig, VirtualServerConfig } from '../config/types.js';
import { conntrackAdapter, type ConntrackFlow } from '../kernel/conntrack/index.js';
import { ipvsAdapter } from '../kernel/ipvs/index.js';
import type { Runner } from '../kernel/runner.js';
import { directorOf, findNode } from '../plan/plan.js';
import { CURL_EXIT_CODES, curlArgv, parseCurl } from './curl.js';
import { diagnose } from './diagnose.js';
import { checkDistribution } from './distribution.js';
import { FactGatherer, ReadCache, type NodeAccess } from './facts.js';
import { clientOf, explainFlows } from './flows.js';
import { remoteConntrack } from './remote.js';
import { requirementsOf } from './requirements.js';
import { ipvsTimeoutsCause } from './timeouts.js';
import { IPVS_STATS_LAG_MS, readCounters, trafficOf, tunnelsOf } from './traffic.js';
import type { Cause, Probe, VerifyReport, VirtualServerReport } from './types.js';
import { errorText } from '../kernel/tool-error.js';
import { readHa } from './ha.js';
import { NODE_LINK } from '../lab/topology.js';
import { haFiles } from '../lab/ha-lab.js';

export interface VerifyOptions {
  readonly requests: number;
  /** curl --max-time of each probe, in seconds (default 3). */
  readonly timeoutS?: number;
  /** How long after the last probe IPVS's counters are read (default IPVS_STATS_LAG_MS; 0 for replayed nodes). */
  readonly statsLagMs?: number;
}

export const DEFAULT_TIMEOUT_S = 3;
export const UDP_NOTE = 'udp: not probed by verify';

async function probe(runner: Runner, vs: VirtualServerConfig, timeoutS: number, seq: number): Promise<Probe> {
  try {
    const argv = curlArgv(vs.vip, vs.port, timeoutS);
    const r = await runner.run(argv, { okExitCodes: CURL_EXIT_CODES, timeoutMs: (timeoutS + 20) * 1000 });
    return { seq, ...parseCurl(r.stdout, r.exitCode, r.stderr) };
  } catch (e) {
    return { seq, ok: false, error: errorText(e) };
  }
}

/**
 * This service's TCP flows on one node: `conntrack -L` where the node is reachable (here or its
 * namespace), its status API (read from the client) where it is another machine. A failed read is a
 * note, not a failed verify.
 */
async function flowsOn(lab: LabConfig, access: NodeAccess, node: string, vs: VirtualServerConfig, notes: string[]): Promise<ConntrackFlow[]> {
  const filter = { protocol: 'tcp', dst: vs.vip, dport: vs.port } as const;
  try {
    if (access.placeOf?.(node) === 'remote') return await remoteConntrack(access.runnerFor(clientOf(lab).name), findNode(lab, node), filter);
    return await conntrackAdapter(access.runnerFor(node)).list(filter);
  } catch (e) {
    notes.push(`conntrack on ${node} not read: ${errorText(e)}`);
    return [];
  }
}

function udpReport(vs: VirtualServerConfig): VirtualServerReport {
  return {
    name: vs.name, vip: vs.vip, port: vs.port, protocol: vs.protocol, scheduler: vs.scheduler,
    requests: 0, succeeded: 0, distribution: {}, distributionOk: true, distributionRule: UDP_NOTE,
    probes: [], flows: [], clientFlowsMatched: 0, directorFlowsMatched: 0, causes: [], notes: [UDP_NOTE], ok: true,
  };
}

async function verifyTcp(lab: LabConfig, access: NodeAccess, vs: VirtualServerConfig, options: VerifyOptions, reads: ReadCache,
  clock: { lastProbe: number }): Promise<VirtualServerReport> {
  const client = clientOf(lab).name;
  const director = directorOf(lab).name;
  const timeoutS = options.timeoutS ?? DEFAULT_TIMEOUT_S;
  const notes: string[] = [];
  const probes: Probe[] = [];
  for (let seq = 1; seq <= options.requests; seq++) probes.push(await probe(access.runnerFor(client), vs, timeoutS, seq));
  clock.lastProbe = performance.now();
  const requirements = requirementsOf(vs.forwarding);
  const clientFlows = await flowsOn(lab, access, client, vs, notes);
  const directorFlows = await flowsOn(lab, access, director, vs, notes);
  const explained = explainFlows(probes, clientFlows, directorFlows, lab, vs);
  const answers = probes.flatMap((p) => (p.ok && p.realServer !== undefined ? [p.realServer] : []));
  const dist = checkDistribution(vs, answers);
  const succeeded = probes.filter((p) => p.ok).length;
  const ok = succeeded === options.requests && dist.ok;
  let causes: VirtualServerReport['causes'] = [];
  if (!ok) {
    const gatherer = new FactGatherer(lab, access, reads);
    causes = diagnose(await gatherer.gather(vs), lab, vs);
    notes.push(...gatherer.notes);
  }
  return {
    name: vs.name, vip: vs.vip, port: vs.port, protocol: vs.protocol, scheduler: vs.scheduler,
    requests: options.requests, succeeded,
    distribution: dist.distribution, distributionOk: dist.ok, distributionRule: dist.rule,
    probes, ...explained, causes,
    ...(requirements === undefined ? {} : { requirements }),
    notes, ok,
  };
}

export async function runVerify(lab: LabConfig, access: NodeAccess, options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  if (!Number.isInteger(options.requests) || options.requests < 1) throw new Error(`verify: requests must be a whole number ≥ 1, got ${options.requests}`);
  const virtualServers: VirtualServerReport[] = [];
  // the diagnosis of every failing virtual server reads the director's tables once
  const reads = new ReadCache();
  const notes: string[] = [];
  const probed = lab.virtualServers.some((vs) => vs.protocol === 'tcp');
  // IPVS's counters once before all the probes and once after: which packets crossed the director
  const before = probed ? await readCounters(lab, access, notes) : undefined;
  const clock = { lastProbe: performance.now() };
  for (const vs of lab.virtualServers) {
    virtualServers.push(vs.protocol === 'tcp' ? await verifyTcp(lab, access, vs, options, reads, clock) : udpReport(vs));
  }
  let tunnels: VerifyReport['tunnels'];
  if (before !== undefined) {
    // the packets of the last probes reach ipvsadm's counters only with the estimator's next run
    const lag = (options.statsLagMs ?? IPVS_STATS_LAG_MS) - (performance.now() - clock.lastProbe);
    if (lag > 0) await new Promise((r) => setTimeout(r, lag));
    const after = await readCounters(lab, access, notes);
    if (after !== undefined) {
      virtualServers.forEach((report, i) => {
        const vs = lab.virtualServers[i]!;
        const traffic = vs.protocol === 'tcp' ? trafficOf(lab, vs, before, after) : undefined;
        if (traffic !== undefined) virtualServers[i] = { ...report, traffic };
      });
      if (after.received.size > 0) tunnels = tunnelsOf(lab, virtualServers, before, after);
    }
  }
  const causes = await directorCauses(lab, access, notes);
  const ha = lab.ha === undefined ? undefined : await readHa(lab, access, NODE_LINK, (node) => haFiles(lab.lab, node).conntrackd.conf, notes);
  return {
    lab: lab.lab,
    client: clientOf(lab).name,
    director: directorOf(lab).name,
    ok: virtualServers.every((v) => v.ok) && causes.length === 0 && (ha?.ok ?? true),
    virtualServers,
    ...(tunnels === undefined ? {} : { tunnels }),
    causes,
    ...(ha === undefined ? {} : { ha }),
    notes,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The director's IPVS timeouts against the lab's, when it sets them (one ipvsadm run); a failed read is a note. */
async function directorCauses(lab: LabConfig, access: NodeAccess, notes: string[]): Promise<Cause[]> {
  if (lab.ipvsTimeouts === undefined) return [];
  const director = directorOf(lab).name;
  try {
    const cause = ipvsTimeoutsCause(lab.ipvsTimeouts, await ipvsAdapter(access.runnerFor(director)).timeouts(), director);
    return cause === undefined ? [] : [cause];
  } catch (e) {
    notes.push(`IPVS timeouts on ${director} not read: ${errorText(e)}`);
    return [];
  }
}
