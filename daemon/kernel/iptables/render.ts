/** Changes → one `iptables-restore --noflush` batch for one table. Pure. */
import { ofKind, type Change } from '../changes.js';
import type { IptablesTable } from '../types.js';
import { joinLines } from '../batch.js';

/** The table an iptables change is for; undefined for other kinds of change. */
export function tableOf(change: Change): IptablesTable | undefined {
  switch (change.kind) {
    case 'chain-write':
    case 'chain-delete':
      return change.chain.table;
    case 'jump-add':
    case 'jump-del':
      return change.jump.table;
    default:
      return undefined;
  }
}

/**
 * `*table`, a declaration for every chain written or deleted (with --noflush, declaring a chain
 * flushes it), jump deletions, the written chains' rules, jump additions, chain deletions, COMMIT.
 * '' when no change concerns this table.
 */
export function renderIptablesRestore(table: IptablesTable, changes: readonly Change[]): string {
  const mine = changes.filter((c) => tableOf(c) === table);
  const body = [
    ...ofKind(mine, 'chain-write', 'chain-delete').map((c) => `:${c.chain.name} - [0:0]`),
    ...ofKind(mine, 'jump-del').map((c) => `-D ${c.jump.chain} ${c.jump.rule}`),
    ...ofKind(mine, 'chain-write').flatMap((c) => c.chain.rules.map((r) => `-A ${c.chain.name} ${r}`)),
    ...ofKind(mine, 'jump-add').map((c) => `-A ${c.jump.chain} ${c.jump.rule}`),
    ...ofKind(mine, 'chain-delete').map((c) => `-X ${c.chain.name}`),
  ];
  return body.length === 0 ? '' : joinLines([`*${table}`, ...body, 'COMMIT']);
}
