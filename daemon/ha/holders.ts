/**
 * Who holds an HA lab's floating addresses (the floating address and the VIPs keepalived moves): read
 * from each director's lab link with `ip -j addr show`, and judged (pure): exactly one director must
 * hold all of them, and the other none.
 */
import type { LabConfig } from '../config/types.js';
import { parseAddresses } from '../kernel/ip/parse.js';
import type { Runner } from '../kernel/runner.js';
import { directorsOf } from './keepalived-conf.js';

/** The addresses keepalived floats, without prefix length: the floating address first, then each VIP once. */
export function floatingIps(lab: LabConfig): string[] {
  if (lab.ha === undefined) return [];
  return [lab.ha.floatingIp, ...new Set(lab.virtualServers.map((vs) => vs.vip))];
}

export interface DirectorHolding {
  readonly node: string;
  /** Which of floatingIps(lab) this director's lab link holds, in that order. */
  readonly holds: readonly string[];
}

export type Holders =
  | { readonly ok: true; readonly master: string; readonly holdings: readonly DirectorHolding[] }
  | { readonly ok: false; readonly reason: string; readonly holdings: readonly DirectorHolding[] };

export function judgeHolders(lab: LabConfig, holdings: readonly DirectorHolding[]): Holders {
  const wanted = floatingIps(lab);
  const holding = holdings.filter((h) => h.holds.length > 0);
  const list = (h: DirectorHolding) => `${h.node} holds ${h.holds.join(', ')}`;
  if (holding.length === 0) return { ok: false, reason: `no director holds ${wanted.join(', ')}`, holdings };
  if (holding.length > 1) return { ok: false, reason: `more than one director holds floating addresses: ${holding.map(list).join('; ')}`, holdings };
  const [master] = holding as [DirectorHolding];
  const missing = wanted.filter((ip) => !master.holds.includes(ip));
  if (missing.length > 0) return { ok: false, reason: `${list(master)} but not ${missing.join(', ')}`, holdings };
  return { ok: true, master: master.node, holdings };
}

/**
 * Reads one director: which floating addresses are on `link`, or on any of its links without one (a
 * machine whose lab link lvslab does not name: `lvslab status` on a node).
 */
export async function readHolding(lab: LabConfig, node: string, runner: Runner, link?: string): Promise<DirectorHolding> {
  const { stdout } = await runner.run(link === undefined ? ['ip', '-j', 'addr', 'show'] : ['ip', '-j', 'addr', 'show', 'dev', link]);
  const json = JSON.parse(stdout) as unknown;
  const links = link !== undefined ? [link] : Array.isArray(json) ? json.map((l: { ifname?: string }) => l.ifname ?? '') : [];
  const held = new Set(links.flatMap((dev) => parseAddresses(json, dev)).map((a) => a.cidr.slice(0, a.cidr.indexOf('/'))));
  return { node, holds: floatingIps(lab).filter((ip) => held.has(ip)) };
}

/** One line for `lvslab plan|status` on an HA director: what it holds of keepalived's addresses. */
export function holdingLine(lab: LabConfig, h: DirectorHolding): string {
  const all = floatingIps(lab);
  if (h.holds.length === all.length) return `ha: ${h.node} holds ${all.join(', ')}: it is master (keepalived's addresses; lvslab never adds or removes them)`;
  if (h.holds.length === 0) return `ha: ${h.node} holds none of ${all.join(', ')}: it is backup, or its keepalived is not running`;
  return `ha: ${h.node} holds ${h.holds.join(', ')} but not ${all.filter((ip) => !h.holds.includes(ip)).join(', ')}: keepalived is mid-transition, or something else moved them`;
}

/** Reads both directors and judges; `link` is the lab link's name, or each director's (machines may differ). */
export async function readHolders(lab: LabConfig, runnerOf: (node: string) => Runner, link: string | ((node: string) => string)): Promise<Holders> {
  const linkOf = typeof link === 'string' ? () => link : link;
  const holdings = await Promise.all(directorsOf(lab).map((d) => readHolding(lab, d.name, runnerOf(d.name), linkOf(d.name))));
  return judgeHolders(lab, holdings);
}

/**
 * The lab with `master` as its first director: verify, trace and the flows read "the director" as the
 * first one listed (plan.ts directorOf), which in an HA lab must be the one that holds the VIPs now.
 */
export function withMasterFirst(lab: LabConfig, master: string): LabConfig {
  const node = lab.nodes.find((n) => n.name === master && n.role === 'director');
  if (node === undefined) throw new Error(`${master} is not a director of lab ${lab.lab}`);
  return { ...lab, nodes: [node, ...lab.nodes.filter((n) => n !== node)] };
}
