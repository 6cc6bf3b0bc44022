/**
 * Facts of a kube-proxy-mode lab → findings (pure): what the client can and cannot reach by design,
 * and the faults that break services, each with the evidence read. Nothing is guessed from facts
 * that could not be read.
 */
import { ipvsTimeoutsCause } from '../verify/timeouts.js';
import type { DoctorReport, Finding, KubeFacts, Reach, ServiceFacts } from './kube-types.js';

const reachText = (r: Reach): string => (r.ok ? `answered "${r.detail}"` : `failed: ${r.detail}`);

function clusterIPFromOutside(f: KubeFacts, s: ServiceFacts): Finding[] {
  if (s.fromClient === undefined || s.fromClient.ok) return [];
  const how = s.fromClient.curlExit === 7
    ? 'the client has no route to it (curl exit 7): a cluster IP exists only on the director\'s dummy link kube-ipvs0'
    : 'even with a route via the director it cannot answer: kube-proxy marks for masquerade only the director\'s own requests to a cluster IP (KUBE-CLUSTER-IP src,dst) and node-port traffic, so the real server answers the client directly and the reply is dropped';
  const instead = s.nodePort === undefined ? 'reach it from a node of the cluster (the director)' : `use the node port ${f.director.ip}:${s.nodePort} from outside`;
  return [{
    code: 'cluster-ip-from-outside',
    kind: 'by-design',
    message: `${s.service} ${s.clusterIP}:${s.port} does not answer from the client ${f.client.name}, by design: ${how}; ${instead}.`,
    evidence: `curl ${s.clusterIP}:${s.port} from ${f.client.name} ${reachText(s.fromClient)}` +
      (s.fromDirector ? `; from ${f.director.name} it ${reachText(s.fromDirector)}` : ''),
  }];
}

const failedThroughIpvs = (s: ServiceFacts): string[] => [
  ...(s.fromDirector && !s.fromDirector.ok ? [`curl ${s.clusterIP}:${s.port} from the director ${reachText(s.fromDirector)}`] : []),
  ...(s.nodePortFromClient && !s.nodePortFromClient.ok ? [`curl of node port ${s.nodePort} from the client ${reachText(s.nodePortFromClient)}`] : []),
];

function vsConntrackOff(f: KubeFacts): Finding[] {
  if (f.directorSysctls['net.ipv4.vs.conntrack'] !== '0') return [];
  const failed = f.services.flatMap(failedThroughIpvs);
  return [{
    code: 'vs-conntrack-off',
    kind: 'problem',
    message: `net.ipv4.vs.conntrack is 0 on the director ${f.director.name}: IPVS keeps no conntrack entry for the connections it forwards, so KUBE-POSTROUTING's MASQUERADE never applies and the real servers answer the client's (or the cluster IP's) own address; kube-proxy sets it to 1 (so does lvslabd on its next run).`,
    evidence: `net.ipv4.vs.conntrack = 0 on ${f.director.name}${failed.length > 0 ? `; ${failed.join('; ')}` : ''}`,
  }];
}

const ipForwardOff = (f: KubeFacts): Finding[] =>
  f.directorSysctls['net.ipv4.ip_forward'] !== '0' ? [] : [{
    code: 'ip-forward-off',
    kind: 'problem',
    message: `IP forwarding is off on the director ${f.director.name}: the real servers' replies to node-port clients are not forwarded back (kube-proxy sets net.ipv4.ip_forward=1).`,
    evidence: `net.ipv4.ip_forward = 0 on ${f.director.name}`,
  }];

function nodePortsOutOfRange(f: KubeFacts): Finding[] {
  const { min, max } = f.nodePortRange;
  return (['tcp', 'udp'] as const).flatMap((p) =>
    (f.nodePortSets?.[p] ?? []).filter((port) => port < min || port > max).map((port): Finding => ({
      code: 'node-port-out-of-range',
      kind: 'problem',
      message: `node port ${p} ${port} on the director ${f.director.name} is outside the lab's range ${min}-${max}: no service of the lab has it, and a port outside the range may clash with a host service (kube-apiserver allocates node ports only inside --service-node-port-range).`,
      evidence: `${p === 'tcp' ? 'KUBE-NODE-PORT-TCP' : 'KUBE-NODE-PORT-UDP'} on ${f.director.name} holds ${port}`,
    })));
}

function endpointsDown(f: KubeFacts, s: ServiceFacts): Finding[] {
  const total = s.endpoints.length;
  return s.endpoints.filter((e) => e.reach !== undefined && !e.reach.ok).map((e) => ({
    code: 'endpoint-down',
    kind: 'problem',
    message: `endpoint ${e.endpoint} of ${s.service} does not answer the director ${f.director.name}, yet IPVS still sends it its share of new connections (it is 1 of ${total} endpoints): kube-proxy does not check endpoints, Kubernetes removes one only when its readiness probe fails.`,
    evidence: `curl from ${f.director.name} to ${e.endpoint.split(' ')[1] ?? e.endpoint} ${reachText(e.reach!)}`,
  }));
}

function ipvsTimeoutsWrong(f: KubeFacts): Finding[] {
  const cause = f.ipvsTimeouts && ipvsTimeoutsCause(f.ipvsTimeouts.wanted, f.ipvsTimeouts.seen, f.director.name);
  return cause ? [{ code: 'ipvs-timeouts', kind: 'problem', message: cause.message, evidence: cause.evidence }] : [];
}

/** A request through IPVS that failed while no finding explains it. */
function unexplained(f: KubeFacts, findings: readonly Finding[]): Finding[] {
  if (findings.some((x) => x.kind === 'problem')) return [];
  const failed = f.services.flatMap(failedThroughIpvs);
  return failed.length === 0 ? [] : [{
    code: 'unexplained',
    kind: 'problem',
    message: 'requests through IPVS failed and none of the known causes shows; run `lvslab trace` for the path one request takes.',
    evidence: failed.join('; '),
  }];
}

export function diagnoseKube(lab: string, facts: KubeFacts): DoctorReport {
  const known = [
    ...facts.services.flatMap((s) => clusterIPFromOutside(facts, s)),
    ...ipForwardOff(facts),
    ...vsConntrackOff(facts),
    ...nodePortsOutOfRange(facts),
    ...ipvsTimeoutsWrong(facts),
    ...facts.services.flatMap((s) => endpointsDown(facts, s)),
  ];
  const findings = [...known, ...unexplained(facts, known)];
  return { lab, findings, notes: facts.notes, ok: !findings.some((x) => x.kind === 'problem') };
}

export function renderDoctor(report: DoctorReport): string {
  const lines = [`lvslab doctor: lab ${report.lab}`];
  for (const f of report.findings) {
    lines.push(`  ${f.kind === 'problem' ? 'PROBLEM' : 'by design'} [${f.code}] ${f.message}`, `      evidence: ${f.evidence}`);
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  lines.push(report.ok ? 'doctor: OK (no problem found)' : `doctor: ${report.findings.filter((f) => f.kind === 'problem').length} problem(s)`);
  return lines.join('\n');
}
