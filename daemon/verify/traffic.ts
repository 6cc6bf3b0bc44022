/**
 * Which packets of verify's probes crossed the director, measured: IPVS's counters on the director
 * before and after all the probes (packets client → real server, and back, per virtual server), and the
 * packets each TUN real server's ipip device received (what it decapsulated). NAT: as many back as in
 * (every reply is un-DNATed by the director); DR and TUN: none back (the real servers answer the client
 * themselves). Read once per verify, not per virtual server. `readCounters` is impure; the rest pure.
 */
import type { LabConfig, VirtualServerConfig } from '../config/types.js';
import { parseRxPackets } from '../kernel/ip/index.js';
import { IPVS_ESTIMATOR_MS, ipvsAdapter, type IpvsServiceStats } from '../kernel/ipvs/index.js';
import { directorOf, findNode } from '../plan/plan.js';
import type { NodeAccess } from './facts.js';
import type { Traffic, VerifyReport } from './types.js';
import { errorText } from '../kernel/tool-error.js';

/** A reading of IPVS's counters is complete for packets at least this long before it (the estimator's period and a bit). */
export const IPVS_STATS_LAG_MS = IPVS_ESTIMATOR_MS + 100;

export interface Counters {
  /** IPVS's services by "protocol VIP:port", indexed once per reading (a 10,000-service lab costs no n²). */
  readonly ipvs: ReadonlyMap<string, IpvsServiceStats>;
  /** TUN real server node → packets its lab interface (lvslab's ipip device) received. */
  readonly received: ReadonlyMap<string, number>;
}

/** The TUN real servers of the lab's TCP virtual servers. */
const tunnelled = (lab: LabConfig): string[] =>
  [...new Set(lab.virtualServers.filter((vs) => vs.forwarding === 'tun' && vs.protocol === 'tcp').flatMap((vs) => vs.realServers.map((r) => r.node)))];

/** The counters now; undefined (and a note) when the director's cannot be read from here (a remote director: none). */
export async function readCounters(lab: LabConfig, access: NodeAccess, notes: string[]): Promise<Counters | undefined> {
  const director = directorOf(lab).name;
  if (access.placeOf?.(director) === 'remote') return undefined;
  try {
    const stats = await ipvsAdapter(access.runnerFor(director)).stats(new Set(lab.virtualServers.map((vs) => vs.vip)));
    const ipvs = new Map(stats.map((st) => [serviceKey(st.protocol, st.address, st.port), st]));
    const received = new Map<string, number>();
    for (const node of tunnelled(lab)) {
      if (access.placeOf?.(node) === 'remote') continue;
      const { stdout } = await access.runnerFor(node).run(['ip', '-s', '-j', 'link', 'show', 'dev', lab.interface]);
      const rx = parseRxPackets(stdout.trim() === '' ? [] : JSON.parse(stdout), lab.interface);
      if (rx !== undefined) received.set(node, rx);
    }
    return { ipvs, received };
  } catch (e) {
    notes.push(`traffic counters not read: ${errorText(e)}`);
    return undefined;
  }
}

const serviceKey = (protocol: string, address: string, port: number): string => `${protocol} ${address}:${port}`;
const serviceOf = (c: Counters, vs: VirtualServerConfig): IpvsServiceStats | undefined => c.ipvs.get(serviceKey(vs.protocol, vs.vip, vs.port));

/** One virtual server's packets over the probes, per real server node. */
export function trafficOf(lab: LabConfig, vs: VirtualServerConfig, before: Counters, after: Counters): Traffic | undefined {
  const [was, is] = [serviceOf(before, vs), serviceOf(after, vs)];
  if (is === undefined) return undefined;
  const inPkts = is.counters.inPkts - (was?.counters.inPkts ?? 0);
  const outPkts = is.counters.outPkts - (was?.counters.outPkts ?? 0);
  const realServers: Record<string, { sent: number }> = {};
  for (const rs of vs.realServers) {
    const ip = findNode(lab, rs.node).ip;
    const sent = (s: IpvsServiceStats | undefined) => s?.reals.find((r) => r.address === ip && r.port === rs.port)?.counters.inPkts;
    const now = sent(is);
    if (now !== undefined) realServers[rs.node] = { sent: now - (sent(was) ?? 0) };
  }
  const crossed = `the director passed ${inPkts} packets client → real servers and ${outPkts} back`;
  const why = vs.forwarding === 'nat'
    ? (outPkts > 0 ? 'every reply crosses it to be un-DNATed' : 'no reply crossed it: with NAT the replies must come back through it')
    : (outPkts === 0 ? 'the real servers answer the client directly' : `replies crossed it, which ${vs.forwarding} never makes them do`);
  return { inPkts, outPkts, realServers, text: `${crossed}: ${why}` };
}

/**
 * Each TUN real server: the packets IPVS sent it over all the probes (every TUN virtual server) and the
 * packets its ipip device received. Equal when every encapsulated packet was taken in.
 */
export function tunnelsOf(lab: LabConfig, reports: VerifyReport['virtualServers'], before: Counters, after: Counters): NonNullable<VerifyReport['tunnels']> {
  // reports[i] is lab.virtualServers[i]'s (runVerify keeps the order)
  const tun = reports.filter((_r, i) => lab.virtualServers[i]?.forwarding === 'tun');
  const tunnels: Record<string, { sent: number; decapsulated: number }> = {};
  for (const [node, rx] of after.received) {
    const sent = tun.reduce((n, r) => n + (r.traffic?.realServers[node]?.sent ?? 0), 0);
    tunnels[node] = { sent, decapsulated: rx - (before.received.get(node) ?? 0) };
  }
  return tunnels;
}
