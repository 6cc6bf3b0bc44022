/** A flow filter → conntrack arguments. Pure. */

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
