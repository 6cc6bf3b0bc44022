/** `iptables-save [-c] -t TABLE` → tables, chains and rules; and the part of them lvslab owns. Pure. */
import type { Chain, IptablesTable, JumpRule } from '../types.js';
import { textLines } from '../batch.js';

export interface Counter { readonly packets: number; readonly bytes: number }

export interface ParsedChain {
  readonly name: string;
  readonly builtin: boolean;
  /** ACCEPT / DROP for a built-in chain; absent for a user chain ("-"). */
  readonly policy?: string;
  /** Rules without "-A CHAIN ", in order. */
  readonly rules: string[];
  /** With `iptables-save -c`: the counters of each rule, parallel to `rules`. */
  counters?: Counter[];
}

export interface ParsedTable {
  readonly name: IptablesTable;
  readonly chains: ParsedChain[];
}

const TABLES: readonly string[] = ['filter', 'nat', 'mangle', 'raw'] satisfies IptablesTable[];
const CHAIN_LINE = /^:(\S+) (\S+)/;
const RULE_LINE = /^(?:\[(\d+):(\d+)\] )?-A (\S+) (.*)$/;

const fail = (line: string, why: string): never => {
  throw new Error(`iptables-save: ${why} in line: ${line}`);
};

function addRule(table: ParsedTable, match: RegExpExecArray, line: string): void {
  const [, packets, bytes, chainName = '', rule = ''] = match;
  const chain = table.chains.find((c) => c.name === chainName) ?? fail(line, `rule in undeclared chain ${chainName}`);
  chain.rules.push(rule);
  if (packets !== undefined) (chain.counters ??= []).push({ packets: Number(packets), bytes: Number(bytes) });
}

function addChain(table: ParsedTable, match: RegExpExecArray): void {
  const [, name = '', policy = '-'] = match;
  const builtin = policy !== '-';
  table.chains.push({ name, builtin, ...(builtin ? { policy } : {}), rules: [] });
}

/** Tables other than filter/nat/mangle/raw (e.g. security) are skipped. */
export function parseIptablesSave(text: string): ParsedTable[] {
  const tables: ParsedTable[] = [];
  let table: ParsedTable | undefined;
  let skipping = false;
  for (const line of textLines(text)) {
    if (line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      skipping = !TABLES.includes(line.slice(1));
      table = skipping ? undefined : { name: line.slice(1) as IptablesTable, chains: [] };
      if (table) tables.push(table);
    } else if (line === 'COMMIT') table = undefined;
    else if (skipping) continue;
    else if (table === undefined) fail(line, 'line outside a table');
    else {
      const chain = CHAIN_LINE.exec(line);
      const rule = chain ? null : RULE_LINE.exec(line);
      if (chain) addChain(table, chain);
      else if (rule) addRule(table, rule, line);
      else fail(line, 'unknown line');
    }
  }
  return tables;
}

/** The target of "-j X" / "-g X", ignoring anything inside quoted strings (comments). */
export function jumpTarget(rule: string): string | undefined {
  const unquoted = rule.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return /(?:^|\s)-[jg] (\S+)/.exec(unquoted)?.[1];
}

/** Owned chains (name starts with prefix) and the built-in chains' rules that jump into one. */
export function ownedFromTables(tables: readonly ParsedTable[], prefix: string): { chains: Chain[]; jumps: JumpRule[] } {
  const chains: Chain[] = [];
  const jumps: JumpRule[] = [];
  for (const t of tables) {
    for (const c of t.chains) {
      if (!c.builtin && c.name.startsWith(prefix)) chains.push({ table: t.name, name: c.name, rules: [...c.rules] });
      if (!c.builtin) continue;
      for (const rule of c.rules) {
        if (jumpTarget(rule)?.startsWith(prefix)) jumps.push({ table: t.name, chain: c.name, rule });
      }
    }
  }
  return { chains, jumps };
}
