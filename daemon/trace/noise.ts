/**
 * How much of a rule's count our request explains. nat rules count only a connection's first packet,
 * so our request adds exactly 1 to each nat rule it passed; filter/mangle/raw rules count every packet,
 * and only conntrack accounting (our flow's packets per direction) bounds our share. Pure.
 */
import type { ConntrackFlow } from '../kernel/conntrack/parse.js';
import { flowPackets } from './conntrack-step.js';
import type { WalkedRule } from './walk.js';
import type { OtherMove, TraceNoise } from './types.js';

export interface RuleNoise {
  readonly notes: readonly string[];
  /** nat: other new connections that passed the rule. */
  readonly otherConnections: number;
  /** filter/mangle/raw with accounting: packets certainly not ours. */
  readonly otherPackets: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function ruleNoise(item: WalkedRule, flow: ConntrackFlow | undefined): RuleNoise {
  const { table, packets } = item.rule;
  if (table === 'nat') {
    const others = packets - 1;
    const notes = others > 0 ? [`${plural(others, 'other new connection')} also passed here (nat counts a connection's first packet only)`] : [];
    return { notes, otherConnections: others, otherPackets: 0 };
  }
  const own = flowPackets(flow);
  if (own === undefined) {
    return { notes: ['count not attributable (no conntrack accounting)'], otherConnections: 0, otherPackets: 0 };
  }
  const bound = own.packets * item.visits;
  const others = packets - bound;
  const times = item.visits > 1 ? `, each passing here up to ${item.visits} times` : '';
  const notes = others > 0 ? [`at least ${plural(others, 'packet')} from other traffic (our flow has ${own.packets}${times})`] : [];
  return { notes, otherConnections: 0, otherPackets: Math.max(0, others) };
}

export function noiseSummary(rules: readonly RuleNoise[], otherMoves: readonly OtherMove[], flow: ConntrackFlow | undefined): TraceNoise {
  const accounting = flowPackets(flow) !== undefined;
  const otherNewConnections = Math.max(0, ...rules.map((r) => r.otherConnections));
  const noisyRules = rules.filter((r) => r.otherPackets > 0).length;
  const unattributed = !accounting && rules.some((r) => r.notes.some((n) => n.startsWith('count not attributable')));
  const summary = [
    ...(otherNewConnections > 0 ? [`up to ${plural(otherNewConnections, 'other new connection')} passed the same nat rules during the request`] : []),
    ...(noisyRules > 0 ? [`${plural(noisyRules, 'filter/mangle/raw rule')} moved by more packets than our flow has`] : []),
    ...(unattributed ? ['filter/mangle/raw counts could not be attributed: our conntrack entry has no packet counts (sysctl net.netfilter.nf_conntrack_acct=1 adds them)'] : []),
    ...(otherMoves.length > 0 ? [`${plural(otherMoves.length, 'rule')} moved for other reasons (listed apart)`] : []),
  ];
  return { otherNewConnections, accounting, noisyRules, otherMoves: otherMoves.length, summary };
}
