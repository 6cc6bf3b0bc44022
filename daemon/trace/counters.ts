/** Two `iptables-save -c` snapshots → every rule whose packet counter moved between them. Pure. */
import { jumpTarget, type Counter, type ParsedChain, type ParsedTable } from '../kernel/iptables/parse.js';
import type { IptablesTable } from '../kernel/types.js';

export interface MovedRule {
  readonly table: IptablesTable;
  readonly chain: string;
  /** 0-based position in the chain (iptables numbers rules from 1). */
  readonly index: number;
  /** The rule without "-A CHAIN ". */
  readonly rule: string;
  readonly target?: string;
  readonly packets: number;
  readonly bytes: number;
}

function countersOf(table: IptablesTable, chain: ParsedChain): readonly Counter[] {
  const counters = chain.counters ?? [];
  if (counters.length !== chain.rules.length) {
    throw new Error(`iptables snapshot without counters (${table} ${chain.name}): take it with iptables-save -c`);
  }
  return counters;
}

/**
 * A rule is found again by its text and its occurrence among equal rules of the chain, so rules
 * inserted or deleted between the snapshots do not shift the others. A rule new in `after`, or whose
 * counter went down (zeroed), counts from 0.
 */
function beforeCounters(table: IptablesTable, chain: ParsedChain | undefined): Map<string, Counter> {
  const out = new Map<string, Counter>();
  if (chain === undefined) return out;
  const counters = countersOf(table, chain);
  const seen = new Map<string, number>();
  chain.rules.forEach((rule, i) => {
    const k = seen.get(rule) ?? 0;
    seen.set(rule, k + 1);
    const counter = counters[i];
    if (counter !== undefined) out.set(`${k} ${rule}`, counter);
  });
  return out;
}

function movedInChain(table: IptablesTable, chain: ParsedChain, old: ParsedChain | undefined): MovedRule[] {
  const counters = countersOf(table, chain);
  const previous = beforeCounters(table, old);
  const seen = new Map<string, number>();
  const moved: MovedRule[] = [];
  chain.rules.forEach((rule, index) => {
    const k = seen.get(rule) ?? 0;
    seen.set(rule, k + 1);
    const now = counters[index] ?? { packets: 0, bytes: 0 };
    const was = previous.get(`${k} ${rule}`);
    const base = was === undefined || was.packets > now.packets || was.bytes > now.bytes ? { packets: 0, bytes: 0 } : was;
    const packets = now.packets - base.packets;
    if (packets <= 0) return;
    const target = jumpTarget(rule);
    moved.push({ table, chain: chain.name, index, rule, ...(target === undefined ? {} : { target }), packets, bytes: now.bytes - base.bytes });
  });
  return moved;
}

/** In the order of `after`: table by table, chain by chain, rule by rule. */
export function movedRules(before: readonly ParsedTable[], after: readonly ParsedTable[]): MovedRule[] {
  return after.flatMap((table) => {
    const old = before.find((t) => t.name === table.name);
    return table.chains.flatMap((chain) => movedInChain(table.name, chain, old?.chains.find((c) => c.name === chain.name)));
  });
}
