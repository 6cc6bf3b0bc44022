/**
 * One node's kernel as lvslab sees it: observe everything it owns, apply a change list in dependency
 * order (sysctls, links/addresses/routes, sets before the rules that match them, rules, IPVS, and sets
 * destroyed only after the rules that referenced them are gone). One batch per tool.
 */
import type { Change } from './changes.js';
import type { Runner } from './runner.js';
import type { IptablesTable, KernelState } from './types.js';
import type { Observed } from '../plan/diff.js';
import { ipAdapter } from './ip/index.js';
import { ipsetAdapter } from './ipset/index.js';
import { iptablesAdapter } from './iptables/index.js';
import { ipvsAdapter, type RealServerConnections } from './ipvs/index.js';
import { sysctlAdapter } from './sysctl/index.js';

export interface Ownership {
  /** Prefix of owned ipsets and chains. */
  readonly prefix: string;
  /** The dummy link that holds owned addresses (VIPs). */
  readonly interface: string;
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

  return {
    /** Observe what lvslab owns; sysctls only for the keys the plan names. */
    async observe(desired: KernelState): Promise<Observed> {
      const { link, addresses, routes } = await ip.observe(owned.interface);
      const sysctls = desired.sysctls.length > 0 ? await sysctl.observe(desired.sysctls.map((s) => s.key)) : new Map<string, string>();
      const ipsets = await ipset.observe(owned.prefix);
      const { chains, jumps } = await iptables.observe(owned.prefix, TABLES);
      const ownedVips = new Set([
        ...addresses.map((a) => a.cidr.replace(/\/\d+$/, '')),
        ...desired.ipvs.map((s) => s.address),
      ]);
      // A node that neither wants nor holds a virtual service does not need IPVS at all.
      const services = ownedVips.size > 0 ? await ipvs.observe(ownedVips) : [];
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
