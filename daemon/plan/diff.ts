/**
 * diff: desired vs observed state of one node → the minimal ordered list of changes (pure).
 * Everything is a set difference by identity key; an object present on both sides changes only when
 * a field that matters differs. A converged node gives [].
 */
import { ofKind, type Change } from '../kernel/changes.js';
import { sameIpSetDefinition, sameIpSetEntries } from '../kernel/ipset/parse.js';
import {
  addressKey, chainKey, ipvsTimeoutsDiffering, jumpKey, linkKindOf, realServerKey, routeKey, virtualServiceKey,
  type IpSet, type KernelState, type Observed, type RealServer, type VirtualService,
} from '../kernel/types.js';

export function diff(desired: KernelState, observed: Observed): Change[] {
  const links = diffLinks(desired, observed);
  // a replaced link takes its addresses with it: the desired ones are added again, none deleted
  const replaced = new Set(ofKind(links, 'link-replace').map((c) => c.link.name));
  const addresses = replaced.size === 0 ? observed.addresses : observed.addresses.filter((a) => !replaced.has(a.dev));
  return [
    ...diffSysctls(desired, observed),
    ...links,
    ...setDiff(desired.addresses, addresses, addressKey).map(
      ([kind, address]): Change => (kind === 'add' ? { kind: 'address-add', address } : { kind: 'address-del', address }),
    ),
    ...setDiff(desired.routes, observed.routes, routeKey).map(
      ([kind, route]): Change => (kind === 'add' ? { kind: 'route-add', route } : { kind: 'route-del', route }),
    ),
    ...diffIpsets(desired.ipsets, observed.ipsets),
    ...diffChains(desired, observed),
    ...setDiff(desired.jumps, observed.jumps, jumpKey).map(
      ([kind, jump]): Change => (kind === 'add' ? { kind: 'jump-add', jump } : { kind: 'jump-del', jump }),
    ),
    ...diffIpvs(desired.ipvs, observed.ipvs),
    ...diffIpvsTimeouts(desired, observed),
  ];
}

/** Both sides paired by key: only in `want`, only in `have`, and in both (the last `have` of a key). */
interface Matched<T> {
  readonly added: T[];
  readonly removed: T[];
  readonly both: [T, T][];
}

/**
 * Pure and linear, each item's key computed once: it runs for every virtual service's real servers on
 * every run, where at 10,000 services making key strings, maps and sets for lists of two was most of a
 * converged run's diff. Lists that short are searched instead of indexed (the same result).
 */
function match<T>(want: readonly T[], have: readonly T[], key: (t: T) => string): Matched<T> {
  const haveKeys = have.map(key);
  const wantKeys = want.map(key);
  const short = have.length <= SHORT && want.length <= SHORT;
  const byKey = short ? undefined : new Map(haveKeys.map((k, i) => [k, have[i] as T]));
  const wanted = short ? undefined : new Set(wantKeys);
  const added: T[] = [];
  const both: [T, T][] = [];
  want.forEach((w, i) => {
    const k = wantKeys[i] as string;
    const h = byKey === undefined ? have[haveKeys.lastIndexOf(k)] : byKey.get(k);
    if (h === undefined) added.push(w);
    else both.push([w, h]);
  });
  const isWanted = (k: string): boolean => (wanted === undefined ? wantKeys.includes(k) : wanted.has(k));
  return { added, removed: have.filter((_, i) => !isWanted(haveKeys[i] as string)), both };
}

/** Up to this many on both sides, a list is searched rather than indexed. */
const SHORT = 8;

/** Items only in `want` ('add') and only in `have` ('del'), by key. */
function setDiff<T>(want: readonly T[], have: readonly T[], key: (t: T) => string): ['add' | 'del', T][] {
  return addsAndDels(match(want, have, key));
}

const addsAndDels = <T>({ added, removed }: Matched<T>): ['add' | 'del', T][] => [
  ...removed.map((h): ['del', T] => ['del', h]),
  ...added.map((w): ['add', T] => ['add', w]),
];

function diffSysctls(desired: KernelState, observed: Observed): Change[] {
  return desired.sysctls
    .filter((s) => observed.sysctls.get(s.key) !== s.value)
    .map((sysctl) => ({ kind: 'sysctl-set', sysctl, from: observed.sysctls.get(sysctl.key) }));
}

function diffLinks(desired: KernelState, observed: Observed): Change[] {
  const changes: Change[] = [];
  const links = match(desired.links, observed.links, (l) => l.name);
  for (const [kind, link] of addsAndDels(links)) {
    changes.push(kind === 'add' ? { kind: 'link-add', link } : { kind: 'link-del', link });
    if (kind === 'add' && link.up) changes.push({ kind: 'link-set', link });
  }
  for (const [want, have] of links.both) {
    if (linkKindOf(want) !== linkKindOf(have)) {
      changes.push({ kind: 'link-replace', link: want, from: have });
      if (want.up) changes.push({ kind: 'link-set', link: want });
    } else if (want.up !== have.up) changes.push({ kind: 'link-set', link: want });
  }
  return changes;
}

/**
 * A set whose members or definition changed is replaced by swap (atomic for the rules matching it).
 * The kernel swaps sets of the same family and match dimensions, so hash:ip ↔ hash:net (the blocklist
 * types) swap fine; a change of dimensions would change the matching rule too, and swap refuses it
 * with "The sets cannot be swapped: their type does not match", which the result reports.
 */
function diffIpsets(want: readonly IpSet[], have: readonly IpSet[]): Change[] {
  const sets = match(want, have, (s) => s.name);
  const changes: Change[] = addsAndDels(sets).map(
    ([kind, set]): Change => (kind === 'add' ? { kind: 'ipset-create', set } : { kind: 'ipset-destroy', set }),
  );
  for (const [w, h] of sets.both) {
    if (!sameIpSetDefinition(w, h) || !sameIpSetEntries(w, h)) changes.push({ kind: 'ipset-update', set: w, from: h });
  }
  return changes;
}

function diffChains(desired: KernelState, observed: Observed): Change[] {
  const chains = match(desired.chains, observed.chains, chainKey);
  const changes: Change[] = addsAndDels(chains).map(
    ([kind, chain]): Change => (kind === 'add' ? { kind: 'chain-write', chain } : { kind: 'chain-delete', chain }),
  );
  for (const [w, h] of chains.both) {
    const same = w.rules.length === h.rules.length && w.rules.every((r, i) => r === h.rules[i]);
    if (!same) changes.push({ kind: 'chain-write', chain: w, from: h });
  }
  return changes;
}

const sameService = (a: VirtualService, b: VirtualService): boolean =>
  a.scheduler === b.scheduler && a.persistence === b.persistence;
const sameReal = (a: RealServer, b: RealServer): boolean => a.forwarding === b.forwarding && a.weight === b.weight;

/**
 * The same real servers in the same order: the kernel lists them in the order they were added, which is
 * the plan's, so on a converged node this answers for nearly every service without pairing them by key.
 */
const inStep = (want: readonly RealServer[], have: readonly RealServer[]): boolean =>
  want.length === have.length && want.every((w, i) => {
    const h = have[i];
    return h !== undefined && w.address === h.address && w.port === h.port && sameReal(w, h);
  });

function diffIpvs(want: readonly VirtualService[], have: readonly VirtualService[]): Change[] {
  const changes: Change[] = [];
  const services = match(want, have, virtualServiceKey);
  for (const [kind, service] of addsAndDels(services)) {
    if (kind === 'del') changes.push({ kind: 'vs-del', service });
    else {
      changes.push({ kind: 'vs-add', service });
      for (const real of service.realServers) changes.push({ kind: 'rs-add', service, real });
    }
  }
  for (const [w, h] of services.both) {
    if (!sameService(w, h)) changes.push({ kind: 'vs-edit', service: w, from: h });
    if (inStep(w.realServers, h.realServers)) continue;
    const reals = match(w.realServers, h.realServers, realServerKey);
    for (const [kind, real] of addsAndDels(reals)) {
      changes.push(kind === 'add' ? { kind: 'rs-add', service: w, real } : { kind: 'rs-del', service: w, real });
    }
    for (const [wr, hr] of reals.both) {
      if (!sameReal(wr, hr)) changes.push({ kind: 'rs-edit', service: w, real: wr, from: hr });
    }
  }
  return changes;
}

/**
 * The timeouts the plan names, where the node holds others; without them in the plan, the node's own
 * (the ledger's record) written back where they differ.
 */
function diffIpvsTimeouts(desired: KernelState, observed: Observed): Change[] {
  const from = observed.ipvsTimeouts;
  const host = observed.hostIpvsTimeouts;
  if (desired.ipvsTimeouts !== undefined) {
    return ipvsTimeoutsDiffering(desired.ipvsTimeouts, from).length === 0 ? [] : [{ kind: 'ipvs-timeouts-set', timeouts: desired.ipvsTimeouts, from }];
  }
  return host === undefined || ipvsTimeoutsDiffering(host, from).length === 0 ? [] : [{ kind: 'ipvs-timeouts-set', timeouts: host, from, restore: true }];
}
