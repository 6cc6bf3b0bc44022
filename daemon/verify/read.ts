/** Tool output → the plain facts `diagnose` needs (ip route get, iptables-save -t nat, ipset save, ipvsadm -S -n). Pure. */
import type { LabConfig, VirtualServerConfig } from '../config/types.js';
import { jumpTarget, parseIptablesSave } from '../kernel/iptables/index.js';
import { parseIpvsSave } from '../kernel/ipvs/index.js';
import { parseIpsetSave } from '../kernel/ipset/index.js';
import { chainNames, setNames } from '../plan/names.js';
import { snatEntry } from '../plan/plan.js';

export interface RouteGet { readonly via?: string; readonly dev?: string; readonly type?: string }

interface JsonRouteGet { readonly dst?: string; readonly gateway?: string; readonly dev?: string; readonly type?: string }

function firstRoute(json: string): JsonRouteGet | undefined {
  const parsed: unknown = json.trim() === '' ? [] : JSON.parse(json);
  return Array.isArray(parsed) ? (parsed[0] as JsonRouteGet | undefined) : undefined;
}

/** `ip -j route get ADDR` → where the packet goes; undefined when the output holds no route. */
export function parseRouteGet(json: string): RouteGet | undefined {
  const r = firstRoute(json);
  if (r === undefined) return undefined;
  return { ...(r.gateway ? { via: r.gateway } : {}), ...(r.dev ? { dev: r.dev } : {}), ...(r.type ? { type: r.type } : {}) };
}

/** The next hop toward `dst`: its gateway, or `dst` itself when it is on-link. */
export function nextHop(json: string, dst: string): string | undefined {
  const r = firstRoute(json);
  return r === undefined ? undefined : (r.gateway ?? dst);
}

/** `ip route get` failing this way means "there is no route", not "could not ask". */
export const isNoRoute = (stderr: string): boolean => /unreachable|no route|prohibited/i.test(stderr);

/** `iptables-save -t nat` → each chain's rules, by chain name: read once for every virtual server. */
export function natChains(iptablesSave: string): ReadonlyMap<string, readonly string[]> {
  const nat = parseIptablesSave(iptablesSave).find((t) => t.name === 'nat');
  return new Map((nat?.chains ?? []).map((c) => [c.name, c.rules]));
}

/** `ipset save <prefix>SNAT` → its entries (VIP,tcp:PORT); none when the output is empty (no such set). */
export function snatSetEntries(ipsetSave: string, lab: LabConfig): ReadonlySet<string> {
  const set = setNames(lab).snat;
  return new Set(parseIpsetSave(ipsetSave).find((s) => s.name === set)?.entries ?? []);
}

/**
 * Is this virtual server masqueraded by the director's nat table? The rule in <prefix>SERVICES (entered
 * from PREROUTING) that sends what <prefix>SNAT holds to <prefix>MARK-MASQ, the set holding VIP,tcp:PORT
 * (`snatEntries`, from `snatSetEntries`), the mark set by <prefix>MARK-MASQ and a MASQUERADE in
 * <prefix>POSTROUTING (entered from POSTROUTING) — or a hand-made rule as in the article:
 * `-A POSTROUTING -m ipvs --vaddr VIP/32 --vport PORT -j MASQUERADE`. Costs the rules of those chains,
 * never the number of virtual servers.
 */
export function masqueraded(nat: ReadonlyMap<string, readonly string[]>, snatEntries: ReadonlySet<string>, lab: LabConfig, vs: VirtualServerConfig): boolean {
  const rules = (chain: string): readonly string[] => nat.get(chain) ?? [];
  const names = chainNames(lab);
  const set = setNames(lab).snat;
  const jumpsTo = (from: string, to: string) => rules(from).some((r) => jumpTarget(r) === to);
  // an HA lab SNATs to the floating address (plan.ts) where a one-director lab masquerades
  const hasMasquerade = (chain: string) => rules(chain).some((r) => jumpTarget(r) === 'MASQUERADE' || jumpTarget(r) === 'SNAT');
  const lvslab =
    snatEntries.has(snatEntry(vs)) &&
    rules(names.services).some((r) => r.includes(`--match-set ${set} dst,dst `) && jumpTarget(r) === names.markMasq) &&
    rules(names.markMasq).some((r) => jumpTarget(r) === 'MARK') &&
    hasMasquerade(names.postrouting) &&
    jumpsTo('PREROUTING', names.services) &&
    jumpsTo('POSTROUTING', names.postrouting);
  const byHand = rules('POSTROUTING').some(
    (r) => r.includes(`--vaddr ${vs.vip}/32`) && r.includes(`--vport ${vs.port}`) && jumpTarget(r) === 'MASQUERADE',
  );
  return lvslab || byHand;
}

const serviceKey = (protocol: string, address: string, port: number): string => `${protocol} ${address}:${port}`;

/** `ipvsadm -S -n` → the services it lists, read once for every virtual server. */
export function ipvsServiceKeys(ipvsSave: string): ReadonlySet<string> {
  return new Set(parseIpvsSave(ipvsSave).map((s) => serviceKey(s.protocol, s.address, s.port)));
}

/** Does the IPVS table (`ipvsServiceKeys`) hold this virtual server? */
export const ipvsServiceListed = (services: ReadonlySet<string>, vs: VirtualServerConfig): boolean =>
  services.has(serviceKey(vs.protocol, vs.vip, vs.port));
