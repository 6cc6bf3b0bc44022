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

/**
 * Is the lab up here? `namespaces`: one or more of its node namespaces exist (the one-box lab); `node`:
 * this machine holds a node's address (a Vagrant VM); `absent`: neither, so every node would be this
 * machine itself, which is no node of the lab (a lab that was never brought up, or taken down).
 */
export type LabPresence = 'namespaces' | 'node' | 'absent';

export function labPresence(lab: LabConfig, namespaces: ReadonlySet<string>, localIps: ReadonlySet<string>): LabPresence {
  if (lab.nodes.some((n) => localIps.has(n.ip))) return 'node';
  return lab.nodes.some((n) => namespaces.has(netnsName(lab, n.name))) ? 'namespaces' : 'absent';
}

/** The message of a command that reads a lab's nodes (verify, doctor, trace) where the lab is absent. */
export const notUpHere = (lab: LabConfig): string =>
  `lab ${lab.lab} is not up here: no network namespace of it (${lab.nodes.map((n) => netnsName(lab, n.name)).join(', ')}) ` +
  `and none of its node addresses (${lab.nodes.map((n) => n.ip).join(', ')}) on this machine; \`lvslab up\` with its lab file builds it on this machine`;

export function placeNodes(lab: LabConfig, namespaces: ReadonlySet<string>, localIps: ReadonlySet<string>): ReadonlyMap<string, NodePlace> {
  const onANode = labPresence(lab, namespaces, localIps) === 'node';
  return new Map(
    lab.nodes.map((n): [string, NodePlace] => {
      if (onANode) return [n.name, localIps.has(n.ip) ? 'here' : 'remote'];
      return [n.name, namespaces.has(netnsName(lab, n.name)) ? 'namespace' : 'here'];
    }),
  );
}

interface JsonAddrLink { readonly ifname?: string; readonly addr_info?: readonly { readonly family?: string; readonly local?: string }[] }

const addrLinks = (json: string): JsonAddrLink[] => {
  const parsed: unknown = json.trim() === '' ? [] : JSON.parse(json);
  return Array.isArray(parsed) ? (parsed as JsonAddrLink[]) : [];
};
const ipv4s = (l: JsonAddrLink): string[] => (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => a.local!);

/** The IPv4 addresses of `ip -j addr show`. */
export function localIpv4s(json: string): Set<string> {
  return new Set(addrLinks(json).flatMap(ipv4s));
}

/** The link that holds IPv4 address `ip` in `ip -j addr show`, if one does. */
export function linkWithAddress(json: string, ip: string): string | undefined {
  return addrLinks(json).find((l) => ipv4s(l).includes(ip))?.ifname;
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

/** LabNodeAccess as this machine found it: with the lab's presence, and each node's place in words. */
export interface LabAccessHere extends LabNodeAccess {
  readonly presence: LabPresence;
  /** Where the node's commands run, for a person: "network namespace seed-ds", "this machine (…)". */
  describePlace(node: string): string;
}

export async function labNodeAccess(lab: LabConfig, log: Logger): Promise<LabAccessHere> {
  const host = createRunner({ log });
  const [namespaces, addresses] = await Promise.all([existingNamespaces(host), host.run(['ip', '-j', 'addr', 'show'])]);
  const localIps = localIpv4s(addresses.stdout);
  const presence = labPresence(lab, namespaces, localIps);
  const places = placeNodes(lab, namespaces, localIps);
  const placeOf = (node: string): NodePlace => {
    const place = places.get(node);
    if (place === undefined) throw new Error(`lab ${lab.lab} has no node ${JSON.stringify(node)}`);
    return place;
  };
  return {
    presence,
    placeOf,
    describePlace: (node) => describePlace(lab, node, placeOf(node), presence),
    runnerFor: (node) => {
      const place = placeOf(node);
      if (place === 'namespace') return nodeRunner(lab, node, log);
      if (place === 'here') return host;
      return remoteRunner(lab.nodes.find((n) => n.name === node)!);
    },
  };
}

/** Where NODE's commands run, in words (pure). */
export function describePlace(lab: LabConfig, node: string, place: NodePlace, presence: LabPresence): string {
  const config = lab.nodes.find((n) => n.name === node);
  if (place === 'namespace') return `network namespace ${netnsName(lab, node)}`;
  if (place === 'remote') return `another machine (${config?.ip ?? '?'})`;
  if (presence === 'node') return `this machine (it holds ${node}'s address ${config?.ip ?? '?'})`;
  const why = presence === 'absent' ? `lab ${lab.lab} is not up here` : `there is no namespace ${netnsName(lab, node)}`;
  return `this machine itself, which is not ${node}: ${why} and ${node}'s address ${config?.ip ?? '?'} is not here`;
}
