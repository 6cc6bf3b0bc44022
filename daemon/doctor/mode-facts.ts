/**
 * Reading a lab's DR and TUN real servers for `lvslab doctor`: each one's devices and addresses (one
 * `ip -j -d addr show`), the ARP and reverse-path sysctls of its lab device and ipip devices (one
 * `sysctl`), and the director's route to each DR real server. What cannot be read becomes a note. The
 * impure edge of mode-diagnose.ts.
 */
import type { LabConfig } from '../config/types.js';
import { parseDevices, type Device } from '../kernel/ip/index.js';
import type { Runner } from '../kernel/runner.js';
import { sysctlAdapter } from '../kernel/sysctl/index.js';
import type { LabNodeAccess } from '../lab/node-access.js';
import { directorOf, findNode, receiversOf } from '../plan/plan.js';
import { parseRouteGet } from '../verify/read.js';
import type { ModeFacts, ModeRealServerFacts } from './mode-types.js';
import { errorText } from '../kernel/tool-error.js';

/** The lab's DR and TUN virtual servers by real server node: how each is reached and the VIPs it must hold. */
export function directRealServers(lab: LabConfig): Map<string, { forwarding: Set<'dr' | 'tun'>; vips: Set<string> }> {
  const byNode = new Map<string, { forwarding: Set<'dr' | 'tun'>; vips: Set<string> }>();
  for (const vs of lab.virtualServers) {
    if (vs.forwarding === 'nat') continue;
    for (const rs of receiversOf(vs)) {
      const entry = byNode.get(rs.node) ?? { forwarding: new Set(), vips: new Set() };
      entry.forwarding.add(vs.forwarding);
      entry.vips.add(vs.vip);
      byNode.set(rs.node, entry);
    }
  }
  return byNode;
}

const sysctlKeys = (labDevice: string | undefined, ipip: readonly Device[]): string[] => [
  'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce', 'net.ipv4.conf.all.rp_filter',
  ...(labDevice === undefined ? [] : [`net.ipv4.conf.${labDevice}.arp_ignore`, `net.ipv4.conf.${labDevice}.arp_announce`]),
  ...ipip.map((d) => `net.ipv4.conf.${d.name}.rp_filter`),
];

async function realServerFacts(runner: Runner, node: string, ip: string, want: { forwarding: Set<'dr' | 'tun'>; vips: Set<string> },
  notes: string[]): Promise<ModeRealServerFacts> {
  const base = { node, ip, forwarding: [...want.forwarding].sort(), vips: [...want.vips] };
  let devices: Device[];
  try {
    const { stdout } = await runner.run(['ip', '-j', '-d', 'addr', 'show']);
    devices = parseDevices(stdout.trim() === '' ? [] : JSON.parse(stdout));
  } catch (e) {
    notes.push(`devices of ${node} not read: ${errorText(e)}`);
    return base;
  }
  const labDevice = devices.find((d) => d.ipv4.includes(ip))?.name;
  const ipip = devices.filter((d) => d.kind === 'ipip');
  const facts = {
    ...base,
    addresses: Object.fromEntries(devices.filter((d) => d.ipv4.length > 0).map((d) => [d.name, d.ipv4])),
    ...(labDevice === undefined ? {} : { labDevice }),
    ipipDevices: ipip.map((d) => ({ name: d.name, up: d.up, ...(d.ipipLocal === undefined ? {} : { local: d.ipipLocal }), ...(d.mtu === undefined ? {} : { mtu: d.mtu }) })),
  };
  try {
    return { ...facts, sysctls: Object.fromEntries(await sysctlAdapter(runner).observe(sysctlKeys(labDevice, ipip))) };
  } catch (e) {
    notes.push(`sysctls of ${node} not read: ${errorText(e)}`);
    return facts;
  }
}

/** The facts of the lab's DR and TUN real servers; undefined when it has none. */
export async function gatherModeFacts(lab: LabConfig, access: LabNodeAccess): Promise<ModeFacts | undefined> {
  const wanted = directRealServers(lab);
  if (wanted.size === 0) return undefined;
  const director = directorOf(lab);
  const notes: string[] = [];
  const realServers: ModeRealServerFacts[] = [];
  const directorRoutes: Record<string, { via?: string; dev?: string }> = {};
  for (const [node, want] of wanted) {
    const ip = findNode(lab, node).ip;
    if (access.placeOf(node) === 'remote') notes.push(`${node} is another machine: its devices and sysctls are not read from here`);
    else realServers.push(await realServerFacts(access.runnerFor(node), node, ip, want, notes));
    if (!want.forwarding.has('dr')) continue;
    if (access.placeOf(director.name) === 'remote') continue;
    try {
      const route = parseRouteGet((await access.runnerFor(director.name).run(['ip', '-j', 'route', 'get', ip])).stdout);
      if (route !== undefined) directorRoutes[node] = route;
    } catch (e) {
      notes.push(`the route of ${director.name} to ${node} not read: ${errorText(e)}`);
    }
  }
  if (access.placeOf(director.name) === 'remote') notes.push(`${director.name} is another machine: its routes to the DR real servers are not read from here`);
  return { director: { name: director.name, ip: director.ip }, realServers, directorRoutes, notes };
}
