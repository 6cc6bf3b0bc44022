/**
 * Moved rules → the order the packet walked them: each chain of the hook order with its moved rules,
 * and after a moved jump into a user chain, that chain's moved rules one level deeper (depth-first).
 * A rule reached from two places is listed under each. A rule that `excluded` says our packet cannot
 * match is not walked, nor what only it reached. Moved rules never reached are returned apart, with
 * why. Pure.
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

/** Why our packet cannot match this moved rule, met from `root`; undefined when it could. */
export type Excluded = (rule: MovedRule, root: HookChain) => string | undefined;

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

interface WalkContext {
  readonly chains: Map<string, MovedRule[]>;
  readonly excluded: Excluded;
  /** Rules not walked because our packet cannot match them, with why. */
  readonly skipped: Map<string, string>;
  readonly out: WalkItem[];
}

function walkChain(ctx: WalkContext, root: HookChain, chain: string, stack: readonly string[]): void {
  const { chains, out } = ctx;
  const depth = stack.length;
  for (const rule of chains.get(chainKey(root.table, chain)) ?? []) {
    const why = ctx.excluded(rule, root);
    if (why !== undefined) {
      ctx.skipped.set(ruleKey(rule), why);
      continue;
    }
    const target = rule.target;
    const into = target !== undefined && chains.has(chainKey(root.table, target)) ? target : undefined;
    const loops = into !== undefined && (stack.includes(into) || into === chain);
    const tooDeep = into !== undefined && depth + 1 >= MAX_DEPTH;
    const notes = loops ? [`jumps back into ${into}, which is already being walked: not followed`]
      : tooDeep ? [`deeper than ${MAX_DEPTH} chains: ${into} not followed`] : [];
    out.push({ kind: 'rule', rule, depth, visits: root.visits, notes });
    if (into !== undefined && !loops && !tooDeep) walkChain(ctx, root, into, [...stack, chain]);
  }
}

function whyUnreached(rule: MovedRule, moved: readonly MovedRule[], skipped: ReadonlyMap<string, string>): string {
  const own = skipped.get(ruleKey(rule));
  if (own !== undefined) return own;
  if (BUILTIN_CHAINS.has(rule.chain)) return `${rule.table} ${rule.chain} is not on this request's path`;
  const callers = moved.filter((m) => m.table === rule.table && m.target === rule.chain);
  if (callers.length === 0) return `no rule that moved jumps to ${rule.table} ${rule.chain}`;
  const from = [...new Set(callers.map((c) => c.chain))].join(', ');
  if (callers.every((c) => skipped.has(ruleKey(c)))) return `${rule.table} ${rule.chain} was reached only from rules of ${from} that our request does not match`;
  return `${rule.table} ${rule.chain} was reached only from ${from}, not on this request's path`;
}

export function walkMoved(moved: readonly MovedRule[], order: readonly HookEntry[], excluded: Excluded = () => undefined): Walk {
  const ctx: WalkContext = { chains: byChain(moved), excluded, skipped: new Map(), out: [] };
  for (const entry of order) {
    if (entry.kind === 'ipvs') ctx.out.push(entry);
    else walkChain(ctx, entry, entry.chain, []);
  }
  const items = ctx.out;
  const reached = new Set(items.flatMap((i) => (i.kind === 'rule' ? [ruleKey(i.rule)] : [])));
  const unreached = moved.filter((r) => !reached.has(ruleKey(r))).map((rule) => ({ rule, reason: whyUnreached(rule, moved, ctx.skipped) }));
  return { items, unreached };
}
