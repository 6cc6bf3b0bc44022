/**
 * Moved rules → the order the packet walked them: each chain of the hook order with its moved rules,
 * and after a moved jump into a user chain, that chain's moved rules one level deeper (depth-first).
 * A rule reached from two places is listed under each. Moved rules never reached are returned apart,
 * with why. Pure.
 */
import type { IptablesTable } from '../kernel/types.js';
import type { MovedRule } from './counters.js';
import { BUILTIN_CHAINS, type HookChain, type HookEntry, type HookIpvs } from './hooks.js';

export interface WalkedRule {
  readonly kind: 'rule';
  readonly rule: MovedRule;
  readonly depth: number;
  /** From the built-in chain it was reached from. */
  readonly visits: number;
  readonly notes: readonly string[];
}

export type WalkItem = WalkedRule | HookIpvs;

export interface Unreached {
  readonly rule: MovedRule;
  readonly reason: string;
}

export interface Walk {
  readonly items: readonly WalkItem[];
  readonly unreached: readonly Unreached[];
}

const MAX_DEPTH = 16;
const chainKey = (table: IptablesTable, chain: string): string => `${table} ${chain}`;
const ruleKey = (r: MovedRule): string => `${r.table} ${r.chain} ${r.index}`;

function byChain(moved: readonly MovedRule[]): Map<string, MovedRule[]> {
  const out = new Map<string, MovedRule[]>();
  for (const r of [...moved].sort((a, b) => a.index - b.index)) {
    const key = chainKey(r.table, r.chain);
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}

function walkChain(chains: Map<string, MovedRule[]>, root: HookChain, chain: string, stack: readonly string[], out: WalkItem[]): void {
  const depth = stack.length;
  for (const rule of chains.get(chainKey(root.table, chain)) ?? []) {
    const target = rule.target;
    const into = target !== undefined && chains.has(chainKey(root.table, target)) ? target : undefined;
    const loops = into !== undefined && (stack.includes(into) || into === chain);
    const tooDeep = into !== undefined && depth + 1 >= MAX_DEPTH;
    const notes = loops ? [`jumps back into ${into}, which is already being walked: not followed`]
      : tooDeep ? [`deeper than ${MAX_DEPTH} chains: ${into} not followed`] : [];
    out.push({ kind: 'rule', rule, depth, visits: root.visits, notes });
    if (into !== undefined && !loops && !tooDeep) walkChain(chains, root, into, [...stack, chain], out);
  }
}

function whyUnreached(rule: MovedRule, moved: readonly MovedRule[]): string {
  if (BUILTIN_CHAINS.has(rule.chain)) return `${rule.table} ${rule.chain} is not on this request's path`;
  const callers = moved.filter((m) => m.table === rule.table && m.target === rule.chain);
  if (callers.length === 0) return `no rule that moved jumps to ${rule.table} ${rule.chain}`;
  const from = [...new Set(callers.map((c) => c.chain))].join(', ');
  return `${rule.table} ${rule.chain} was reached only from ${from}, not on this request's path`;
}

export function walkMoved(moved: readonly MovedRule[], order: readonly HookEntry[]): Walk {
  const chains = byChain(moved);
  const items: WalkItem[] = [];
  for (const entry of order) {
    if (entry.kind === 'ipvs') items.push(entry);
    else walkChain(chains, entry, entry.chain, [], items);
  }
  const reached = new Set(items.flatMap((i) => (i.kind === 'rule' ? [ruleKey(i.rule)] : [])));
  const unreached = moved.filter((r) => !reached.has(ruleKey(r))).map((rule) => ({ rule, reason: whyUnreached(rule, moved) }));
  return { items, unreached };
}
