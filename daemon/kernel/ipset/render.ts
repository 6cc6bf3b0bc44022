/** Changes → an `ipset restore` batch, in two phases. Pure. */
import { ofKind, type Change } from '../changes.js';
import type { IpSet } from '../types.js';
import { joinLines } from '../batch.js';

/**
 * 'prepare' creates and refills sets (before the rules that match them are written); 'destroy'
 * removes sets (after the rules that referenced them are gone).
 */
export type IpsetPhase = 'prepare' | 'destroy';

/** ipset's longest set name (IPSET_MAXNAMELEN 32, with the terminating NUL). */
export const MAX_IPSET_NAME = 31;

/**
 * The temporary set an update fills before swapping it in: the name + ".t", cut to fit ipset's 31
 * characters (kube-proxy's KUBE-LOAD-BALANCER-SOURCE-CIDR has 30). No prefix, blocklist name or
 * kube-proxy set name holds a '.' (config/schema.ts PREFIX, BLOCKLIST_NAME; config/reserved.ts), so a
 * temporary set is never a set the lab names; it starts with the set's own name, so one a crash left
 * behind is still prefix-owned and the next run destroys it.
 */
export const tempSetName = (name: string): string => `${name.slice(0, MAX_IPSET_NAME - 2)}.t`;

const options = (set: IpSet): string =>
  Object.entries(set.options).map(([k, v]) => (v === '' ? ` ${k}` : ` ${k} ${v}`)).join('');
const createLine = (name: string, set: IpSet): string => `create ${name} ${set.type}${options(set)}`;
const addLines = (name: string, set: IpSet): string[] => set.entries.map((e) => `add ${name} ${e}`);

function prepareLines(change: Extract<Change, { kind: 'ipset-create' | 'ipset-update' }>): string[] {
  const { set } = change;
  if (change.kind === 'ipset-create') return [createLine(set.name, set), ...addLines(set.name, set)];
  const tmp = tempSetName(set.name);
  return [createLine(tmp, set), `flush ${tmp}`, ...addLines(tmp, set), `swap ${tmp} ${set.name}`, `destroy ${tmp}`];
}

export function renderIpsetRestore(changes: readonly Change[], phase: IpsetPhase): string {
  if (phase === 'destroy') return joinLines(ofKind(changes, 'ipset-destroy').map((c) => `destroy ${c.set.name}`));
  return joinLines(ofKind(changes, 'ipset-create', 'ipset-update').flatMap(prepareLines));
}
