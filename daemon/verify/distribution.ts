/**
 * Do the answers follow the scheduler? rr: counts of the servers with weight > 0 differ by at most 1;
 * wrr: each count within ±1 of N·w/Σw; persistent services: one server answers a client; other
 * schedulers: only that every answer came from a real server of the service. Pure.
 */
import type { VirtualServerConfig } from '../config/types.js';

export interface DistributionCheck {
  /** Answers per real server node (all of the service's servers listed), then unknown answers. */
  readonly distribution: Record<string, number>;
  readonly ok: boolean;
  readonly rule: string;
}

interface Verdict { readonly ok: boolean; readonly rule: string }

/** Weight per real server node (a node listed twice, on two ports, adds up). */
function weightsOf(vs: VirtualServerConfig): Map<string, number> {
  const weights = new Map<string, number>();
  for (const rs of vs.realServers) weights.set(rs.node, (weights.get(rs.node) ?? 0) + rs.weight);
  return weights;
}

const zeroWeightRule = (idle: readonly string[], counts: Map<string, number>): Verdict => ({
  ok: idle.every((n) => (counts.get(n) ?? 0) === 0),
  rule: idle.length > 0 ? `, none from weight-0 ${idle.join(', ')}` : '',
});

function roundRobin(weights: Map<string, number>, counts: Map<string, number>): Verdict {
  const active = [...weights].filter(([, w]) => w > 0).map(([n]) => counts.get(n) ?? 0);
  const spread = active.length > 0 ? Math.max(...active) - Math.min(...active) : 0;
  const idle = zeroWeightRule([...weights].filter(([, w]) => w === 0).map(([n]) => n), counts);
  return { ok: spread <= 1 && idle.ok, rule: `rr: counts differ by at most 1${idle.rule}` };
}

const decimal = (x: number): string => String(Math.round(x * 10) / 10);

function weightedRoundRobin(weights: Map<string, number>, counts: Map<string, number>, answers: number): Verdict {
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const expected = [...weights].map(([node, w]) => ({ node, w, want: total > 0 ? (answers * w) / total : 0 }));
  const ok = expected.every(({ node, w, want }) => {
    const got = counts.get(node) ?? 0;
    return w === 0 ? got === 0 : Math.abs(got - want) <= 1;
  });
  const ratio = expected.map((e) => e.w).join(':');
  const wants = expected.map((e) => `${e.node} ${decimal(e.want)}`).join(', ');
  return { ok, rule: `wrr ${ratio} over ${answers} answers → ${wants} (±1)` };
}

function verdictFor(vs: VirtualServerConfig, weights: Map<string, number>, counts: Map<string, number>, answers: number): Verdict {
  if (vs.persistence !== undefined) {
    const answered = [...counts.values()].filter((c) => c > 0).length;
    return { ok: answered <= 1, rule: `persistent ${vs.persistence}s: one real server answers a client` };
  }
  if (vs.scheduler === 'rr') return roundRobin(weights, counts);
  if (vs.scheduler === 'wrr') return weightedRoundRobin(weights, counts, answers);
  return { ok: true, rule: `${vs.scheduler}: every answer came from a real server of the service` };
}

/** `answers`: the node names the successful probes got back. */
export function checkDistribution(vs: VirtualServerConfig, answers: readonly string[]): DistributionCheck {
  const weights = weightsOf(vs);
  const counts = new Map<string, number>([...weights.keys()].map((n) => [n, 0]));
  const unknown = new Map<string, number>();
  for (const a of answers) {
    const into = weights.has(a) ? counts : unknown;
    into.set(a, (into.get(a) ?? 0) + 1);
  }
  const verdict = verdictFor(vs, weights, counts, answers.length - [...unknown.values()].reduce((a, b) => a + b, 0));
  const strangers = [...unknown].map(([a, c]) => `${JSON.stringify(a)} ×${c}`).join(', ');
  return {
    distribution: Object.fromEntries([...counts, ...unknown]),
    ok: verdict.ok && unknown.size === 0,
    rule: unknown.size > 0 ? `${verdict.rule}; answers from no real server of ${vs.name}: ${strangers}` : verdict.rule,
  };
}
