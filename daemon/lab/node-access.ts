/**
 * Where each node of a lab is, seen from the machine a command runs on, and a runner for it:
 *   - on a machine that holds one of the lab's node addresses (a Vagrant VM, or a shell inside a node's
 *     namespace), that node is `here` and every other node is `remote`: another machine, read only
 *     through its lvslabd status API;
 *   - on the one-box host (no lab address here), a node whose namespace `<lab>-<node>` exists is in
 *     that `namespace`; any other node is `here` (a single machine playing it).
 * placeNodes is pure; labNodeAccess reads the namespaces and this machine's addresses.
 */
import type { Logger } from 'pino';
import type { LabConfig, NodeConfig } from '../config/types.js';
import { createRunner, type Runner } from '../kernel/runner.js';
import { netnsName } from '../plan/names.js';
import { existingNamespaces, nodeRunner } from './namespace-lab.js';

export type NodePlace = 'here' | 'namespace' | 'remote';

export function placeNodes(lab: LabConfig, namespaces: ReadonlySet<string>, localIps: ReadonlySet<string>): ReadonlyMap<string, NodePlace> {
  const onANode = lab.nodes.some((n) => localIps.has(n.ip));
  return new Map(
    lab.nodes.map((n): [string, NodePlace] => {
      if (onANode) return [n.name, localIps.has(n.ip) ? 'here' : 'remote'];
      return [n.name, namespaces.has(netnsName(lab, n.name)) ? 'namespace' : 'here'];
    }),
  );
}

interface JsonAddrLink { readonly addr_info?: readonly { readonly family?: string; readonly local?: string }[] }

/** The IPv4 addresses of `ip -j addr show`. */
export function localIpv4s(json: string): Set<string> {
  const parsed: unknown = json.trim() === '' ? [] : JSON.parse(json);
  const links = Array.isArray(parsed) ? (parsed as JsonAddrLink[]) : [];
  return new Set(links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => a.local!)));
}

/** Thrown by the runner of a remote node: lvslab never runs commands on another machine. */
export class RemoteNodeError extends Error {}

export function remoteRunner(node: NodeConfig): Runner {
  return {
    netns: undefined,
    run: async (argv) => {
      throw new RemoteNodeError(`${node.name} (${node.ip}) is another machine: \`${argv.join(' ')}\` is not run there (lvslab reads other nodes only through their status API)`);
    },
  };
}

export interface LabNodeAccess {
  placeOf(node: string): NodePlace;
  runnerFor(node: string): Runner;
}

export async function labNodeAccess(lab: LabConfig, log: Logger): Promise<LabNodeAccess> {
  const host = createRunner({ log });
  const [namespaces, addresses] = await Promise.all([existingNamespaces(host), host.run(['ip', '-j', 'addr', 'show'])]);
  const places = placeNodes(lab, namespaces, localIpv4s(addresses.stdout));
  const placeOf = (node: string): NodePlace => {
    const place = places.get(node);
    if (place === undefined) throw new Error(`lab ${lab.lab} has no node ${JSON.stringify(node)}`);
    return place;
  };
  return {
    placeOf,
    runnerFor: (node) => {
      const place = placeOf(node);
      if (place === 'namespace') return nodeRunner(lab, node, log);
      if (place === 'here') return host;
      return remoteRunner(lab.nodes.find((n) => n.name === node)!);
    },
  };
}
