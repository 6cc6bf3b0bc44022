/**
 * The one-box lab's wiring (pure): one network namespace per node, each with an eth0 veth'd onto a
 * bridge that lives in its own "switch" namespace, so the host's own network is never touched.
 * Returned as `ip -batch` texts: one for the host, one per namespace.
 */
import type { LabConfig } from '../config/types.js';
import { netnsName, switchNetns } from '../plan/names.js';

export interface TopologyBatches {
  /** Run as `ip -batch -` in the current namespace. */
  readonly host: string;
  /** Run as `ip -n NS -batch -`, in this order. */
  readonly perNamespace: readonly { readonly netns: string; readonly batch: string }[];
}

/** Each node's link on the lab network, inside its namespace. */
export const NODE_LINK = 'eth0';

export const labNamespaces = (lab: LabConfig): string[] => [switchNetns(lab), ...lab.nodes.map((n) => netnsName(lab, n.name))];

/** The switch-side end of node i's veth: "<lab>-v<i>" (at most 15 characters, the kernel's limit). */
const switchPort = (lab: LabConfig, index: number): string => `${lab.lab}-v${index}`;

export function topologyBatches(lab: LabConfig): TopologyBatches {
  const sw = switchNetns(lab);
  const host = [
    ...labNamespaces(lab).map((ns) => `netns add ${ns}`),
    ...lab.nodes.map((n, i) => `link add ${switchPort(lab, i)} netns ${sw} type veth peer name ${NODE_LINK} netns ${netnsName(lab, n.name)}`),
  ];
  const switchBatch = [
    'link set lo up',
    'link add br0 type bridge',
    'link set br0 up',
    ...lab.nodes.map((_, i) => `link set ${switchPort(lab, i)} master br0 up`),
  ];
  const nodes = lab.nodes.map((n) => ({
    netns: netnsName(lab, n.name),
    batch: lines(['link set lo up', `address add ${n.address} dev ${NODE_LINK}`, `link set ${NODE_LINK} up`]),
  }));
  return { host: lines(host), perNamespace: [{ netns: sw, batch: lines(switchBatch) }, ...nodes] };
}

const lines = (l: readonly string[]): string => `${l.join('\n')}\n`;

/** Where `ip netns exec` finds a namespace's own resolv.conf (it bind-mounts it over /etc/resolv.conf). */
export const netnsResolvConfPath = (netns: string): string => `/etc/netns/${netns}/resolv.conf`;
/** The first line of every resolv.conf lvslab writes: `down` removes only files that start with it. */
export const RESOLV_CONF_MARK = '# lvslab:';

/**
 * With services, each client's resolver asks the director (its service DNS), with the search path
 * and ndots kubelet gives a pod of namespace "default". Pure: paths and texts.
 */
export function resolvConfs(lab: LabConfig): { path: string; text: string }[] {
  if (lab.services.length === 0) return [];
  const director = lab.nodes.find((n) => n.role === 'director');
  if (director === undefined) return [];
  const domain = lab.serviceMode.clusterDomain;
  const text = [
    `${RESOLV_CONF_MARK}${lab.lab} service DNS, answered by the director ${director.name}`,
    `nameserver ${director.ip}`,
    `search default.svc.${domain} svc.${domain} ${domain}`,
    'options ndots:5 timeout:1 attempts:2',
    '',
  ].join('\n');
  return lab.nodes.filter((n) => n.role === 'client').map((n) => ({ path: netnsResolvConfPath(netnsName(lab, n.name)), text }));
}
