/**
 * One node's kernel as lvslab sees it: observe what it owns (ownership.ts: exact keys of the plan and
 * of the ledger), apply a change list in dependency order (sysctls, links/addresses/routes, sets
 * before the rules that match them, rules, IPVS, and sets destroyed only after the rules that
 * referenced them are gone), one batch per tool, with the ledger written ahead of the kernel.
 */
import type { Change } from './changes.js';
import type { Runner } from './runner.js';
import type { LabConfig } from '../config/types.js';
import { ipvsTimeoutsDiffering, type IptablesTable, type KernelState, type Observed } from './types.js';
import { ipAdapter } from './ip/index.js';
import { ipsetAdapter } from './ipset/index.js';
import { iptablesAdapter } from './iptables/index.js';
import { ipvsAdapter, type IpvsServiceStats, type IpvsTableMemo, type RealServerConnections } from './ipvs/index.js';
import { sysctlAdapter } from './sysctl/index.js';
import { conntrackAdapter, staleUdpFlows, type ConntrackFilter } from './conntrack/index.js';
import { fileLedger, type Ledger } from './ledger.js';
import { changeKeys, claimOwned, hostIpvsTimeoutsOf, ownedKey, ownedKeys, type Conflict } from './ownership.js';

export interface Ownership {
  /** The dummy link that holds owned addresses (VIPs): lvslab's only if it is a dummy it created. */
  readonly interface: string;
  /** What lvslab created on this node (ledger.ts). */
  readonly ledger: Ledger;
}

/** Where the ledger of `nodeName` of `lab` lives: beside the daemon's state file, on /run (gone with the kernel state at boot). */
export const ledgerPath = (lab: string, nodeName: string): string => `/run/lvslab/${lab}/${nodeName}.owned.json`;

/** What lvslab owns on `nodeName` of `lab`. */
export function ownershipOf(lab: LabConfig, nodeName: string): Ownership {
  return { interface: lab.interface, ledger: fileLedger(ledgerPath(lab.lab, nodeName)) };
}

/** What observe found: the owned objects, and the objects of others at keys the plan wants. */
export interface OwnedObserved extends Observed {
  readonly conflicts: readonly Conflict[];
}

export interface StepResult {
  readonly step: string;
  readonly lines: number;
  /** How long the step's tool runs took, in milliseconds. */
  readonly ms: number;
}

const TABLES: readonly IptablesTable[] = ['filter', 'nat'];

/** `ipvsMemo`: the IPVS table's last full read, for a caller that observes the node again and again (table-memo.ts). */
export function nodeKernel(runner: Runner, owned: Ownership, ipvsMemo?: IpvsTableMemo) {
  const ip = ipAdapter(runner);
  const sysctl = sysctlAdapter(runner);
  const ipset = ipsetAdapter(runner);
  const iptables = iptablesAdapter(runner);
  const ipvs = ipvsAdapter(runner, ipvsMemo);

  const conntrack = conntrackAdapter(runner);
  /** `conntrack -D` per removed UDP real server or service (conntrack has no batch); returns flows deleted. */
  const forgetStaleUdp = async (filters: readonly ConntrackFilter[]): Promise<number> => {
    let deleted = 0;
    for (const filter of filters) deleted += await conntrack.deleteFlows(filter);
    return deleted;
  };

  return {
    /**
     * Observe what lvslab owns: objects at the exact keys `desired` or `planned` (what the lab would
     * make: cleanup passes it with an empty `desired`) names or the ledger recorded; sysctls only for
     * the keys `desired` names. The ledger then records what `desired` names and was found (adopted)
     * and forgets keys whose object is gone. One tool after the other:
     * when they were read at once, four daemons on two emulated CPUs (the micro-VM, wrr lab every 2 s)
     * made bursts that probably starved verify's curl (one CI run: a 3 s timeout, verify 56 s, not 15 s).
     */
    async observe(desired: KernelState, planned: KernelState = desired): Promise<OwnedObserved> {
      const epoch = owned.ledger.epoch();
      const recorded = await owned.ledger.read();
      // each key list made once: at 10,000 services they are tens of thousands of strings a run
      const desiredKeys = ownedKeys(desired);
      const claim = new Set(recorded);
      for (const k of desiredKeys) claim.add(k);
      if (planned !== desired) for (const k of ownedKeys(planned)) claim.add(k);
      const { link, addresses, routes } = await ip.observe(owned.interface);
      const sysctls = desired.sysctls.length > 0 ? await sysctl.observe(desired.sysctls.map((s) => s.key)) : new Map<string, string>();
      // every set, chain and rule: the ledger may name objects of an older lab with another prefix
      const ipsets = await ipset.observe('');
      const { chains, jumps } = await iptables.observe('', TABLES);
      // A node that neither wants nor holds a virtual service does not need IPVS at all.
      const ipvsKnown = desired.ipvs.length > 0 || planned.ipvs.length > 0 || [...recorded].some((k) => k.startsWith('ipvs:'));
      const services = ipvsKnown ? await ipvs.observe(() => true) : [];
      const seen = { ...(link ? { link } : {}), addresses, routes, ipsets, chains, jumps, ipvs: services };
      const { owned: mine, conflicts } = claimOwned(seen, recorded, claim, desired);
      const timeouts = await observeTimeouts(desired, recorded);
      const present = ownedKeys(mine);
      const wanted = new Set(desiredKeys);
      const found = new Set([...present, ...timeouts.kept]);
      const adopted = [...present.filter((k) => wanted.has(k) && !recorded.has(k)), ...timeouts.adopted];
      await owned.ledger.settle(adopted, [...recorded].filter((k) => !found.has(k)), epoch);
      return { sysctls, ...mine, ...timeouts.observed, conflicts };
    },

    /** Connection counts of the real servers of the services at these virtual addresses (one ipvsadm run). */
    connections(vips: ReadonlySet<string>): Promise<RealServerConnections[]> {
      return ipvs.connections(vips);
    },

    /** Traffic counters of the services at these virtual addresses and of their real servers (one ipvsadm run). */
    stats(vips: ReadonlySet<string>): Promise<IpvsServiceStats[]> {
      return ipvs.stats(vips);
    },

    async loadModules(modules: readonly string[]): Promise<void> {
      for (const m of modules) await runner.run(['modprobe', m]);
    },

    /**
     * Apply in dependency order; stops at the first failing batch (later ones depend on it). The keys
     * of what it creates are in the ledger before the first batch; what it deletes leaves the ledger
     * after the last one succeeded.
     */
    async apply(changes: readonly Change[]): Promise<StepResult[]> {
      const { created, forgotten } = changeKeys(changes);
      return owned.ledger.around(created, forgotten, () => applyInOrder(changes));
    },
  };

  /**
   * IPVS timeouts are read only when the plan names them or the ledger holds the node's own (one
   * ipvsadm run less each period for every other lab). The first observation of a plan that names them
   * records the node's own (adopted); the record stays until they are written back (a restore change),
   * or is dropped here when the plan no longer names them and the node already has them.
   */
  async function observeTimeouts(desired: KernelState, recorded: ReadonlySet<string>) {
    const host = hostIpvsTimeoutsOf(recorded);
    if (desired.ipvsTimeouts === undefined && host === undefined) return { observed: {}, adopted: [], kept: [] };
    const current = await ipvs.timeouts();
    if (host === undefined) return { observed: { ipvsTimeouts: current }, adopted: [ownedKey.hostIpvsTimeouts(current)], kept: [] };
    const released = desired.ipvsTimeouts === undefined && ipvsTimeoutsDiffering(host.timeouts, current).length === 0;
    return { observed: { ipvsTimeouts: current, hostIpvsTimeouts: host.timeouts }, adopted: [], kept: released ? [] : [host.key] };
  }

  async function applyInOrder(changes: readonly Change[]): Promise<StepResult[]> {
    const staleUdp = staleUdpFlows(changes);
    // [step, its run, whether it is reported even when it wrote no line]: conntrack -D deleting nothing
    // (the kernel dropped the flows itself) still took its time
    const steps: [string, () => Promise<number>, boolean][] = [
      ['sysctl', () => sysctl.apply(changes.filter((c) => !onDevice(c))), false],
      ['ip', () => ip.apply(changes), false],
      ['sysctl-device', () => sysctl.apply(changes.filter(onDevice)), false],
      ['ipset', () => ipset.apply(changes, 'prepare'), false],
      ['iptables', () => iptables.apply(changes), false],
      ['ipvs', () => ipvs.apply(changes), false],
      ['ipvs-timeouts', () => ipvs.applyTimeouts(changes), false],
      ['conntrack', () => forgetStaleUdp(staleUdp), staleUdp.length > 0],
      ['ipset-destroy', () => ipset.apply(changes, 'destroy'), false],
    ];
    const results: StepResult[] = [];
    for (const [step, run, reported] of steps) {
      const started = performance.now();
      const lines = await run();
      if (lines > 0 || reported) results.push({ step, lines, ms: Math.round(performance.now() - started) });
    }
    return results;
  }
}

export type NodeKernel = ReturnType<typeof nodeKernel>;

/** A device's own key (net.ipv4.conf.lvslab0.rp_filter) exists once its link does: written after the ip step. */
const onDevice = (c: Change): boolean => c.kind === 'sysctl-set' && /^net\.ipv4\.conf\.(?!all\.|default\.)/.test(c.sysctl.key);
