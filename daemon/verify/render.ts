/** A verify report as a compact human text (the JSON output is the report object itself). Pure. */
import type { Probe, VerifyReport, VirtualServerReport } from './types.js';

export const MAX_FLOWS_SHOWN = 4;

/** How many problems a report holds: each cause, and a failing service with no cause found counts once. */
export const problemCount = (report: VerifyReport): number =>
  report.virtualServers.reduce((n, vs) => n + (vs.ok ? 0 : Math.max(1, vs.causes.length)), report.causes.length + (report.ha?.checks.filter((c) => !c.ok).length ?? 0));

function headline(vs: VirtualServerReport): string {
  const service = `${vs.name} ${vs.vip}:${vs.port}/${vs.protocol} ${vs.scheduler}`;
  if (vs.requests === 0) return `${service}: ${vs.distributionRule} –`;
  const counts = Object.entries(vs.distribution).map(([node, n]) => `${node} ${n}`).join(', ');
  return `${service}: ${vs.succeeded}/${vs.requests} answered — ${counts} (${vs.distributionRule}) ${vs.ok ? '✓' : '✗'}`;
}

/** Failed probes grouped by how they failed: "3 × curl exit 28 (timed out): curl: (28) ...". */
function failures(probes: readonly Probe[]): string[] {
  const groups = new Map<string, { count: number; first: string }>();
  for (const p of probes.filter((x) => !x.ok)) {
    const key = p.curlExit !== undefined && p.curlExit !== 0 ? `exit ${p.curlExit}` : (p.error ?? 'failed');
    const group = groups.get(key) ?? { count: 0, first: p.error ?? 'failed' };
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => `  failed: ${g.count} × ${g.first}`);
}

function flowLines(vs: VirtualServerReport): string[] {
  const shown = vs.flows.slice(0, MAX_FLOWS_SHOWN).map((f) => `  ${f.text}${f.state ? ` [${f.state}]` : ''}`);
  const more = vs.flows.length > MAX_FLOWS_SHOWN ? [`  … ${vs.flows.length - MAX_FLOWS_SHOWN} more flows`] : [];
  return [...shown, ...more];
}

function causeLines(vs: VirtualServerReport): string[] {
  if (vs.ok) return [];
  if (vs.causes.length === 0) return ['  ✗ no likely cause found in what was read'];
  return vs.causes.flatMap((c) => [`  ✗ likely cause: ${c.message} [${c.code}]`, `      evidence: ${c.evidence}`]);
}

function section(vs: VirtualServerReport, report: VerifyReport): string[] {
  if (vs.requests === 0) return [headline(vs)];
  const conntrack =
    `  conntrack: flows of ${vs.clientFlowsMatched}/${vs.requests} probes on ${report.client}, ` +
    `${vs.directorFlowsMatched}/${vs.requests} on ${report.director}`;
  return [
    headline(vs),
    ...failures(vs.probes),
    ...flowLines(vs),
    conntrack,
    ...(vs.traffic === undefined ? [] : [`  traffic: ${vs.traffic.text}`]),
    ...(vs.requirements?.needs ?? []).map((need) => `  ${vs.requirements!.forwarding} needs ${need}`),
    ...causeLines(vs),
    ...vs.notes.map((n) => `  note: ${n}`),
  ];
}

export function renderReport(report: VerifyReport): string {
  const problems = problemCount(report);
  return [
    `lvslab verify: lab ${report.lab}, client ${report.client} → director ${report.director} (${report.durationMs} ms)`,
    ...report.virtualServers.flatMap((vs) => section(vs, report)),
    ...Object.entries(report.tunnels ?? {}).map(([node, n]) => `tunnel: ${node}'s ipip device decapsulated ${n.decapsulated} packets; IPVS sent it ${n.sent}`),
    ...report.causes.flatMap((c) => [`director ${report.director}: ✗ ${c.message} [${c.code}]`, `      evidence: ${c.evidence}`]),
    ...(report.ha?.checks ?? []).map((c) => `ha: ${c.text} ${c.ok ? '✓' : '✗'}`),
    ...report.notes.map((n) => `director ${report.director}: note: ${n}`),
    report.ok ? 'verify: PASS' : `verify: FAIL (${problems} problem${problems === 1 ? '' : 's'})`,
  ].join('\n');
}
