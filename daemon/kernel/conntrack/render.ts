/** A flow filter → conntrack arguments, and the same filter applied to flows already parsed. Pure. */
import type { Change } from '../changes.js';
import type { ConntrackFlow } from './parse.js';

export interface ConntrackFilter {
  readonly protocol?: 'tcp' | 'udp';
  /** Original destination port; needs `protocol` (conntrack requires -p for --dport). */
  readonly dport?: number;
  /** Original destination address. */
  readonly dst?: string;
  /** Reply source address: the real server a flow was sent to (after IPVS's DNAT). */
  readonly replySrc?: string;
}

export function renderConntrackFilter(filter: ConntrackFilter = {}): string[] {
  if (filter.dport !== undefined && filter.protocol === undefined) throw new Error('conntrack filter: dport needs a protocol');
  return [
    ...(filter.protocol === undefined ? [] : ['-p', filter.protocol]),
    ...(filter.dport === undefined ? [] : ['--dport', String(filter.dport)]),
    ...(filter.dst === undefined ? [] : ['-d', filter.dst]),
    ...(filter.replySrc === undefined ? [] : ['--reply-src', filter.replySrc]),
  ];
}

/** Does `flow` pass `filter`, as `conntrack -L` with renderConntrackFilter(filter) would list it? */
export const flowMatches = (filter: ConntrackFilter) => (flow: ConntrackFlow): boolean =>
  (filter.protocol === undefined || flow.protocol === filter.protocol) &&
  (filter.dport === undefined || flow.original.dport === filter.dport) &&
  (filter.dst === undefined || flow.original.dst === filter.dst) &&
  (filter.replySrc === undefined || flow.reply.src === filter.replySrc);

/**
 * The UDP flows to forget after these changes, as kube-proxy clears them for stale endpoints: UDP has
 * no end, so a client that keeps sending would keep its conntrack entry toward a real server that is
 * gone. One filter per removed UDP real server (its reply source) and per removed UDP service.
 */
export function staleUdpFlows(changes: readonly Change[]): ConntrackFilter[] {
  return changes.flatMap((c): ConntrackFilter[] => {
    if ((c.kind !== 'rs-del' && c.kind !== 'vs-del') || c.service.protocol !== 'udp') return [];
    const service = { protocol: 'udp', dst: c.service.address, dport: c.service.port } as const;
    return [c.kind === 'rs-del' ? { ...service, replySrc: c.real.address } : service];
  });
}
