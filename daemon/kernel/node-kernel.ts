/**
 * One node's kernel as lvslab sees it: observe everything it owns, apply a change list in dependency
 * order (sysctls, links/addresses/routes, sets before the rules that match them, rules, IPVS, and sets
 * destroyed only after the rules that referenced them are gone). One batch per tool.
 */
import type { Change } from './changes.js';
import type { Runner } from './runner.js';
import type { LabConfig } from '../config/types.js';
import type { IptablesTable, KernelState } from './types.js';
import type { Observed } from '../plan/diff.js';
import { kubeNames } from '../plan/kube.js';
import { ipAdapter } from './ip/index.js';
import { ipsetAdapter } from './ipset/index.js';
import { iptablesAdapter } from './iptables/index.js';
import { ipvsAdapter, type RealServerConnections } from './ipvs/index.js';
import { sysctlAdapter } from './sysctl/index.js';
import { conntrackAdapter, staleUdpFlows } from './conntrack/index.js';

export interface Ownership {
  /** Prefix of owned ipsets and chains. */
  readonly prefix: string;
  /** The dummy link that holds owned addresses (VIPs). */
  readonly interface: string;
  /**
   * The director's node ports: IPVS services on its own address with a port in this range are owned
   * while the lab has services or the node still holds the node port set (kube-proxy's NodePorts).
   */
  readonly nodePorts?: { readonly address: string; readonly min: number; readonly max: number };
}

/** What lvslab owns on `nodeName` of `lab`. */
export function ownershipOf(lab: LabConfig, nodeName: string): Ownership {
  const node = lab.nodes.find((n) => n.name === nodeName);
  const range = lab.serviceMode.nodePortRange;
  return {
    prefix: lab.prefix,
    interface: lab.interface,
    ...(node?.role === 'director' ? { nodePorts: { address: node.ip, min: range.min, max: range.max } } : {}),
  };
}

export interface StepResult {
  readonly step: string;
  readonly lines: number;
}

const TABLES: readonly IptablesTable[] = ['filter', 'nat'];

export function nodeKernel(runner: Runner, owned: Ownership) {
  const ip = ipAdapter(runner);
  const sysctl = sysctlAdapter(runner);
  const ipset = ipsetAdapter(runner);
  const iptables = iptablesAdapter(runner);
  const ipvs = ipvsAdapter(runner);

  const conntrack = conntrackAdapter(runner);
  /** `conntrack -D` per removed UDP real server or service (conntrack has no batch); returns flows deleted. */
  const forgetStaleUdp = async (changes: readonly Change[]): Promise<number> => {
    let deleted = 0;
    for (const filter of staleUdpFlows(changes)) deleted += await conntrack.deleteFlows(filter);
    return deleted;
  };

  return {
    /**
     * Observe what lvslab owns; sysctls only for the keys the plan names. One tool after the other: when
     * they were read at once, four daemons on two emulated CPUs (the micro-VM, wrr lab every 2 s) made
     * bursts that probably starved verify's curl (one CI run: a 3 s timeout, verify 56 s, not 15 s).
     */
    async observe(desired: KernelState): Promise<Observed> {
      const { link, addresses, routes } = await ip.observe(owned.interface);
      const sysctls = desired.sysctls.length > 0 ? await sysctl.observe(desired.sysctls.map((s) => s.key)) : new Map<string, string>();
      const ipsets = await ipset.observe(owned.prefix);
      const { chains, jumps } = await iptables.observe(owned.prefix, TABLES);
      const nodePorts = owned.nodePorts;
      const isNodePort = (s: { address: string; port: number }): boolean =>
        nodePorts !== undefined && s.address === nodePorts.address && s.port >= nodePorts.min && s.port <= nodePorts.max;
      const ownedVips = new Set([
        ...addresses.map((a) => a.cidr.replace(/\/\d+$/, '')),
        ...desired.ipvs.filter((s) => !isNodePort(s)).map((s) => s.address),
      ]);
      const kubeMode = desired.ipvs.some(isNodePort) || ipsets.some((s) => s.name === kubeNames(owned.prefix).nodePortSet('tcp'));
      const owns = (s: { address: string; port: number }): boolean => ownedVips.has(s.address) || (kubeMode && isNodePort(s));
      // A node that neither wants nor holds a virtual service does not need IPVS at all.
      const services = ownedVips.size > 0 || kubeMode ? await ipvs.observe(owns) : [];
      return { sysctls, links: link ? [link] : [], addresses, routes, ipsets, chains, jumps, ipvs: services };
    },

    /** Connection counts of the real servers of the services at these virtual addresses (one ipvsadm run). */
    connections(vips: ReadonlySet<string>): Promise<RealServerConnections[]> {
      return ipvs.connections(vips);
    },

    async loadModules(modules: readonly string[]): Promise<void> {
      for (const m of modules) await runner.run(['modprobe', m]);
    },

    /** Apply in dependency order; stops at the first failing batch (later ones depend on it). */
    async apply(changes: readonly Change[]): Promise<StepResult[]> {
      const steps: [string, () => Promise<number>][] = [
        ['sysctl', () => sysctl.apply(changes)],
        ['ip', () => ip.apply(changes)],
        ['ipset', () => ipset.apply(changes, 'prepare')],
        ['iptables', () => iptables.apply(changes)],
        ['ipvs', () => ipvs.apply(changes)],
        ['conntrack', () => forgetStaleUdp(changes)],
        ['ipset-destroy', () => ipset.apply(changes, 'destroy')],
      ];
      const results: StepResult[] = [];
      for (const [step, run] of steps) {
        const lines = await run();
        if (lines > 0) results.push({ step, lines });
      }
      return results;
    },
  };
}

export type NodeKernel = ReturnType<typeof nodeKernel>;
