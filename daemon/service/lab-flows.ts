/**
 * The lab's conntrack flows on one node, for GET /v1/conntrack: the flows whose original destination
 * is one of the lab's endpoints — its IPVS services (VIPs, cluster IPs, node ports on the director)
 * and, on a real server, its own backends — never the node's other flows (SSH, DNS peers, ...).
 * conntrack filters by address (`conntrack -L -d ADDRESS`, one run per address) while the lab has few
 * addresses; past ADDRESS_QUERY_LIMIT one `conntrack -L` of the whole table is cheaper than a process a
 * VIP. The ports are sorted out here; at most FLOW_LIMIT rows are returned, and the reply says how many
 * more matched.
 */
import type { LabConfig, Protocol } from '../config/types.js';
import type { ConntrackAdapter, ConntrackFilter, ConntrackFlow } from '../kernel/conntrack/index.js';
import { directorOf, findNode, planNode } from '../plan/plan.js';

/** Rows in one reply: enough to see a lab's traffic, small enough to serialize at once (~0.4 MB). */
export const FLOW_LIMIT = 1_000;

/** Addresses read one `conntrack -L -d` each; a lab with more is read with one `conntrack -L`. */
export const ADDRESS_QUERY_LIMIT = 8;

/** Where the lab's traffic goes to: a flow whose original destination is one of these is the lab's. */
export interface Endpoint {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
}

/** GET /v1/conntrack. */
export interface LabFlows {
  /** The first `limit` matching flows, in conntrack's order. */
  readonly flows: readonly ConntrackFlow[];
  /** Matching flows in all. */
  readonly total: number;
  /** Matching flows left out of `flows` (total - flows.length). */
  readonly omitted: number;
  readonly limit: number;
}

const keyOf = (e: Endpoint): string => `${e.protocol} ${e.address}:${e.port}`;

/** The lab's endpoints as seen from `nodeName`: the director's IPVS services, and this node's backends. */
export function labEndpoints(lab: LabConfig, nodeName: string): Endpoint[] {
  const node = findNode(lab, nodeName);
  const services = planNode(lab, directorOf(lab).name).desired.ipvs;
  const backends = planNode(lab, nodeName).backends.map((b) => ({ protocol: b.protocol, address: node.ip, port: b.port }));
  const all = [...services.map(({ protocol, address, port }) => ({ protocol, address, port })), ...backends];
  return [...new Map(all.map((e) => [keyOf(e), e])).values()];
}

/**
 * One conntrack filter per address, with -p when every endpoint at that address has one protocol; or,
 * past ADDRESS_QUERY_LIMIT addresses, one filter for the whole table (-p when the lab has one protocol).
 */
export function flowQueries(endpoints: readonly Endpoint[]): ConntrackFilter[] {
  const protocols = new Map<string, Set<Protocol>>();
  for (const e of endpoints) protocols.set(e.address, (protocols.get(e.address) ?? new Set()).add(e.protocol));
  if (protocols.size > ADDRESS_QUERY_LIMIT) {
    const all = new Set(endpoints.map((e) => e.protocol));
    return [all.size === 1 ? { protocol: [...all][0]! } : {}];
  }
  return [...protocols].map(([dst, set]) => (set.size === 1 ? { dst, protocol: [...set][0]! } : { dst }));
}

/** The lab's flows, read with flowQueries' conntrack runs, at most `limit` of them. */
export async function labFlows(conntrack: Pick<ConntrackAdapter, 'list'>, endpoints: readonly Endpoint[], limit = FLOW_LIMIT): Promise<LabFlows> {
  const wanted = new Set(endpoints.map(keyOf));
  const flows: ConntrackFlow[] = [];
  let total = 0;
  for (const query of flowQueries(endpoints)) {
    for (const flow of await conntrack.list(query)) {
      const { protocol, original } = flow;
      if (original.dport === undefined || !wanted.has(`${protocol} ${original.dst}:${original.dport}`)) continue;
      total += 1;
      if (flows.length < limit) flows.push(flow);
    }
  }
  return { flows, total, omitted: total - flows.length, limit };
}
