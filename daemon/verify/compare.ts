/**
 * `lvslab compare`: the article's comparison of the three forwarding modes ("三种模式对比"), as measured
 * facts from one verify of each lab: who rewrites what, whether the real server sees the client's own
 * address, which packets cross the director, and the conntrack tuples on the client and the director.
 * Pure: verify reports in, rows out.
 */
import type { Forwarding } from '../config/types.js';
import type { VerifyReport, VirtualServerReport } from './types.js';
import { NO_SNAT } from './types.js';

export interface CompareEntry {
  readonly forwarding: Forwarding;
  /** The lab's name and its director's address. */
  readonly lab: string;
  readonly directorIp: string;
  readonly clientIp: string;
  readonly report: VerifyReport;
}

export interface CompareRow {
  readonly title: string;
  /** One value per lab, in the entries' order. */
  readonly values: readonly string[];
}

export interface CompareReport {
  readonly requests: number;
  readonly labs: readonly { readonly forwarding: Forwarding; readonly lab: string; readonly ok: boolean }[];
  readonly rows: readonly CompareRow[];
  readonly ok: boolean;
}

/** The lab's first TCP virtual server: the one compared. */
export const comparedService = (report: VerifyReport): VirtualServerReport | undefined => report.virtualServers.find((v) => v.protocol === 'tcp');

const hostOf = (hostPort: string): string => hostPort.slice(0, hostPort.lastIndexOf(':'));

function rewrites(e: CompareEntry, vs: VirtualServerReport): string {
  if (e.forwarding === 'dr') return 'the frame\'s destination MAC only (to the real server\'s); the packet still says client → VIP';
  if (e.forwarding === 'tun') return `nothing inside: the packet (client → VIP) travels in an outer IP header ${e.directorIp} → real server`;
  const flow = vs.flows.find((f) => f.dnat !== undefined);
  if (flow === undefined) return 'not read (no conntrack entry on the director)';
  const snat = flow.snat === NO_SNAT ? 'no SNAT' : `source ${e.clientIp} → ${hostOf(flow.snat)} (SNAT)`;
  return `destination ${flow.virtual} → ${flow.dnat} (DNAT), ${snat}`;
}

function saw(e: CompareEntry, vs: VirtualServerReport): string {
  const peers = new Map<string, number>();
  for (const p of vs.probes) if (p.peer !== undefined) peers.set(p.peer, (peers.get(p.peer) ?? 0) + 1);
  if (peers.size === 0) return 'not read (no answer said it)';
  const who = (ip: string): string => (ip === e.clientIp ? 'the client itself' : ip === e.directorIp ? 'the director' : 'neither client nor director');
  return [...peers].map(([ip, n]) => `${ip} (${who(ip)}) in ${n}/${vs.requests}`).join(', ');
}

function replies(e: CompareEntry, vs: VirtualServerReport): string {
  if (e.forwarding !== 'nat') return 'real server → client, from the VIP (the director never sees them)';
  const snat = vs.flows.some((f) => f.dnat !== undefined && f.snat !== NO_SNAT);
  return snat ? 'real server → director (to its SNAT address), un-DNATed there → client' : 'real server → director (its gateway), un-DNATed there → client';
}

const traffic = (vs: VirtualServerReport): string =>
  vs.traffic === undefined ? 'not read (the director is another machine)' : `${vs.traffic.inPkts} in (client → real servers), ${vs.traffic.outPkts} out (back)`;

const NEEDS: Readonly<Record<Forwarding, string>> = {
  nat: 'the director as the real servers\' gateway, or SNAT (masquerade) with net.ipv4.vs.conntrack=1; the port may change',
  dr: 'the real servers on the director\'s segment, each holding the VIP without ARP for it; the same port',
  tun: 'ipip on the real servers, the VIP on the tunnel, rp_filter not strict, 20 bytes of MTU; the same port',
};

export function compareReport(entries: readonly CompareEntry[], requests: number): CompareReport {
  const services = entries.map((e) => comparedService(e.report));
  const each = (f: (e: CompareEntry, vs: VirtualServerReport) => string): string[] =>
    entries.map((e, i) => (services[i] === undefined ? 'no TCP virtual server' : f(e, services[i]!)));
  const firstTuple = (where: 'onClient' | 'onDirector') => (_e: CompareEntry, vs: VirtualServerReport): string =>
    vs.flows.find((f) => f.tuples?.[where] !== undefined)?.tuples?.[where] ?? 'no entry';
  const rows: CompareRow[] = [
    { title: 'answered', values: each((_e, vs) => `${vs.succeeded}/${vs.requests}: ${Object.entries(vs.distribution).map(([n, c]) => `${n} ${c}`).join(', ')}`) },
    { title: 'the director rewrites', values: each(rewrites) },
    { title: 'the real server saw the client as', values: each(saw) },
    { title: 'replies go', values: each(replies) },
    { title: 'packets through the director (IPVS)', values: each((_e, vs) => traffic(vs)) },
    { title: 'conntrack on the director', values: each(firstTuple('onDirector')) },
    { title: 'conntrack on the client', values: each(firstTuple('onClient')) },
    { title: 'needs', values: entries.map((e) => NEEDS[e.forwarding]) },
  ];
  const labs = entries.map((e) => ({ forwarding: e.forwarding, lab: e.lab, ok: e.report.ok }));
  return { requests, labs, rows, ok: labs.every((l) => l.ok) };
}

/** The comparison as text: a block per row, a line per mode. */
export function renderCompare(report: CompareReport): string {
  const names = report.labs.map((l) => `${l.forwarding} (${l.lab})`);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `lvslab compare: ${report.requests} request(s) through each of ${names.join(', ')}`,
    ...report.rows.flatMap((row) => [row.title, ...row.values.map((v, i) => `  ${names[i]!.padEnd(width)}  ${v}`)]),
    ...report.labs.filter((l) => !l.ok).map((l) => `✗ the ${l.forwarding} lab ${l.lab} did not verify: run \`lvslab verify\` on it for the causes`),
    report.ok ? 'compare: every lab verified' : 'compare: FAIL',
  ].join('\n');
}
