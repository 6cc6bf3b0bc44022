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

export const labNamespaces = (lab: LabConfig): string[] => [switchNetns(lab), ...lab.nodes.map((n) => netnsName(lab, n.name))];

/** The switch-side end of node i's veth: "<lab>-v<i>" (at most 15 characters, the kernel's limit). */
const switchPort = (lab: LabConfig, index: number): string => `${lab.lab}-v${index}`;

export function topologyBatches(lab: LabConfig): TopologyBatches {
  const sw = switchNetns(lab);
  const host = [
    ...labNamespaces(lab).map((ns) => `netns add ${ns}`),
    ...lab.nodes.map((n, i) => `link add ${switchPort(lab, i)} netns ${sw} type veth peer name eth0 netns ${netnsName(lab, n.name)}`),
  ];
  const switchBatch = [
    'link set lo up',
    'link add br0 type bridge',
    'link set br0 up',
    ...lab.nodes.map((_, i) => `link set ${switchPort(lab, i)} master br0 up`),
  ];
  const nodes = lab.nodes.map((n) => ({
    netns: netnsName(lab, n.name),
    batch: lines(['link set lo up', `address add ${n.address} dev eth0`, 'link set eth0 up']),
  }));
  return { host: lines(host), perNamespace: [{ netns: sw, batch: lines(switchBatch) }, ...nodes] };
}

const lines = (l: readonly string[]): string => `${l.join('\n')}\n`;
