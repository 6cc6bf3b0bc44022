/** A flow filter → conntrack arguments, and the same filter applied to flows already parsed. Pure. */
import type { ConntrackFlow } from './parse.js';

export interface ConntrackFilter {
  readonly protocol?: 'tcp' | 'udp';
  /** Original destination port; needs `protocol` (conntrack requires -p for --dport). */
  readonly dport?: number;
  /** Original destination address. */
  readonly dst?: string;
}

export function renderConntrackFilter(filter: ConntrackFilter = {}): string[] {
  if (filter.dport !== undefined && filter.protocol === undefined) throw new Error('conntrack filter: dport needs a protocol');
  return [
    ...(filter.protocol === undefined ? [] : ['-p', filter.protocol]),
    ...(filter.dport === undefined ? [] : ['--dport', String(filter.dport)]),
    ...(filter.dst === undefined ? [] : ['-d', filter.dst]),
  ];
}

/** Does `flow` pass `filter`, as `conntrack -L` with renderConntrackFilter(filter) would list it? */
export const flowMatches = (filter: ConntrackFilter) => (flow: ConntrackFlow): boolean =>
  (filter.protocol === undefined || flow.protocol === filter.protocol) &&
  (filter.dport === undefined || flow.original.dport === filter.dport) &&
  (filter.dst === undefined || flow.original.dst === filter.dst);
