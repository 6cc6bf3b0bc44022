/**
 * The path of one request through the director: the rules whose counters moved, in the order the
 * packet walked them, with IPVS where it acts and our conntrack entry last; plus what else moved. Pure.
 */
import type { ParsedTable } from '../kernel/iptables/parse.js';
import type { IptablesTable } from '../kernel/types.js';
import { conntrackStep } from './conntrack-step.js';
import { movedRules } from './counters.js';
import { explainRule } from './explain.js';
import { hookOrder } from './hooks.js';
import { ipvsStep, type StepDraft } from './ipvs-step.js';
import { packetExcluded } from './packet-match.js';
import { noiseSummary, ruleNoise, type RuleNoise } from './noise.js';
import type { PacketFields } from './set-match.js';
import type { OtherMove, Trace, TraceInput } from './types.js';
import { walkMoved, type Excluded } from './walk.js';

function userChains(tables: readonly ParsedTable[]): (table: IptablesTable) => ReadonlySet<string> {
  const byTable = new Map(tables.map((t) => [t.name, new Set(t.chains.filter((c) => !c.builtin).map((c) => c.name))]));
  return (table) => byTable.get(table) ?? new Set();
}

/** The request as the client sent it: its source is known from our conntrack entry only. */
function packetOf(input: TraceInput): PacketFields {
  const o = input.flow?.original;
  const sport = o?.sport ?? input.request.sourcePort;
  return {
    protocol: input.to.protocol, dst: input.to.address, dport: input.to.port,
    ...(o === undefined ? {} : { src: o.src }), ...(sport === undefined ? {} : { sport }),
  };
}

/** Where our packet is still as the client sent it: nat's first hooks, before IPVS or NAT. */
const AS_SENT: ReadonlySet<string> = new Set(['PREROUTING', 'OUTPUT']);

export function buildTrace(input: TraceInput): Trace {
  const packet = packetOf(input);
  const excluded: Excluded = (rule, root) =>
    (root.table === 'nat' && AS_SENT.has(root.chain) ? packetExcluded(rule.rule, packet, input.sets) : undefined);
  const walk = walkMoved(movedRules(input.before, input.after), hookOrder(input.from.origin), excluded);
  const chainsOf = userChains(input.after);
  const noises: RuleNoise[] = [];
  const drafts: StepDraft[] = walk.items.map((item) => {
    if (item.kind === 'ipvs') return ipvsStep(input, item);
    const { table, chain, rule, target, packets, bytes } = item.rule;
    const noise = ruleNoise(item, input.flow);
    noises.push(noise);
    const explanation = explainRule(rule, { table, userChains: chainsOf(table), sets: input.sets, packet });
    return {
      kind: 'rule', table, chain, rule, ...(target === undefined ? {} : { target }), depth: item.depth,
      packets, bytes, explanation, notes: [...item.notes, ...noise.notes],
    };
  });
  drafts.push(conntrackStep(input));
  const otherMoves: OtherMove[] = walk.unreached.map(({ rule: r, reason }) => ({
    table: r.table, chain: r.chain, index: r.index, rule: r.rule, packets: r.packets, bytes: r.bytes, reason,
  }));
  const { request, from, to } = input;
  return {
    request: {
      from: from.node, origin: from.origin, to, ok: request.ok,
      ...(request.answer === undefined ? {} : { answer: request.answer }),
      ...(request.error === undefined ? {} : { error: request.error }),
      ...(packet.sport === undefined ? {} : { sourcePort: packet.sport }),
    },
    steps: drafts.map((d, i) => ({ n: i + 1, ...d })),
    otherMoves,
    noise: noiseSummary(noises, otherMoves, input.flow),
  };
}
