/** iptables through iptables-save / iptables-restore --noflush, one batch per table. */
import type { Change } from '../changes.js';
import type { Runner } from '../runner.js';
import type { Chain, IptablesTable, JumpRule } from '../types.js';
import { explainAtLine, runBatch } from '../batch.js';
import { ownedFromTables, parseIptablesSave, type ParsedTable } from './parse.js';
import { renderIptablesRestore, tableOf } from './render.js';

export interface IptablesAdapter {
  /** Owned chains and the jumps into them in these tables, from one `iptables-save` of all tables. */
  observe(prefix: string, tables: readonly IptablesTable[]): Promise<{ chains: Chain[]; jumps: JumpRule[] }>;
  /** One `iptables-restore --noflush` per table with changes; returns the batch lines sent (0: nothing ran). */
  apply(changes: readonly Change[]): Promise<number>;
}

// iptables-restore says "Error occurred at line: N" (N counts from the batch's first line).
const explain = explainAtLine(/Error occurred at line: (\d+)/);

export function iptablesAdapter(runner: Runner): IptablesAdapter {
  return {
    async observe(prefix, tables) {
      // One process for every table: under emulation each spawn costs tens of milliseconds.
      const { stdout } = await runner.run(['iptables-save']);
      return ownedFromTables(parseIptablesSave(stdout).filter((t) => tables.includes(t.name)), prefix);
    },
    async apply(changes) {
      const tables = [...new Set(changes.map(tableOf).filter((t) => t !== undefined))];
      let lines = 0;
      for (const table of tables) {
        lines += await runBatch(runner, ['iptables-restore', '--noflush', '-w', '10'], renderIptablesRestore(table, changes), explain);
      }
      return lines;
    },
  };
}

/** One `iptables-save -c` of every table, parsed with per-rule counters (for tracing: all tables at one instant). */
export async function observeCounters(runner: Runner): Promise<ParsedTable[]> {
  const { stdout } = await runner.run(['iptables-save', '-c']);
  return parseIptablesSave(stdout);
}
