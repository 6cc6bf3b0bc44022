/**
 * kube-proxy's state in one comparable shape, from the kernel's dumps (`iptables-save`, `ipset save`,
 * `ipvsadm -S -n`) or from a plan. Normalized: only the nat and filter tables; sets without `initval`
 * (random per run) and `bucketsize`, their members in any order; IPVS services and real servers sorted.
 * Rules keep their order: in a chain the order is what they mean.
 */
import { parseIptablesSave } from '../../daemon/kernel/iptables/index.js';
import { parseIpsetSave } from '../../daemon/kernel/ipset/index.js';
import { parseIpvsSave } from '../../daemon/kernel/ipvs/index.js';
import type { IpSet, KernelState, VirtualService } from '../../daemon/kernel/types.js';

export interface NormalDump {
  /** "nat/KUBE-SERVICES" → its rules in order (built-in chains too: "filter/INPUT"). */
  readonly chains: Readonly<Record<string, readonly string[]>>;
  readonly sets: Readonly<Record<string, { readonly type: string; readonly options: Readonly<Record<string, string>>; readonly entries: readonly string[] }>>;
  readonly ipvs: readonly string[];
}

const BUILTIN: Readonly<Record<'nat' | 'filter', readonly string[]>> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};
const VOLATILE = new Set(['initval', 'bucketsize']);

const sorted = (record: Record<string, unknown>): Record<string, never> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))) as Record<string, never>;

function normalSets(sets: readonly IpSet[]): NormalDump['sets'] {
  return sorted(Object.fromEntries(sets.map((s) => [s.name, {
    type: s.type,
    options: Object.fromEntries(Object.entries(s.options).filter(([k]) => !VOLATILE.has(k))),
    entries: [...s.entries].sort(),
  }])));
}

function normalIpvs(services: readonly VirtualService[]): string[] {
  return services.map((s) => {
    const reals = s.realServers.map((r) => `${r.address}:${r.port} ${r.forwarding} w${r.weight}`).sort();
    return `${s.protocol} ${s.address}:${s.port} ${s.scheduler}${s.persistence === undefined ? '' : ` persistent ${s.persistence}`} -> ${reals.join(', ')}`;
  }).sort();
}

/** The kernel's dumps → the normal shape. */
export function normalFromDumps(iptablesSave: string, ipsetSave: string, ipvsSave: string): NormalDump {
  const chains: Record<string, string[]> = {};
  for (const table of parseIptablesSave(iptablesSave).filter((t) => t.name === 'nat' || t.name === 'filter')) {
    for (const chain of table.chains) chains[`${table.name}/${chain.name}`] = [...chain.rules];
  }
  return { chains: sorted(chains), sets: normalSets(parseIpsetSave(ipsetSave)), ipvs: normalIpvs(parseIpvsSave(ipvsSave)) };
}

/** A plan (on an otherwise empty node) → the normal shape the kernel would show once it is applied. */
export function normalFromPlan(desired: KernelState): NormalDump {
  const chains: Record<string, string[]> = {};
  for (const [table, names] of Object.entries(BUILTIN)) for (const name of names) chains[`${table}/${name}`] = [];
  for (const jump of desired.jumps) (chains[`${jump.table}/${jump.chain}`] ??= []).push(jump.rule);
  for (const chain of desired.chains) chains[`${chain.table}/${chain.name}`] = [...chain.rules];
  return { chains: sorted(chains), sets: normalSets(desired.ipsets), ipvs: normalIpvs(desired.ipvs) };
}
