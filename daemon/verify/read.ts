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

/**
 * Is this virtual server masqueraded by the director's nat table? The rule in <prefix>SERVICES (entered
 * from PREROUTING) that sends what <prefix>SNAT holds to <prefix>MARK-MASQ, the set holding VIP,tcp:PORT
 * (`ipsetSave`: `ipset save <prefix>SNAT`, empty when there is no such set), the mark set by
 * <prefix>MARK-MASQ and a MASQUERADE in <prefix>POSTROUTING (entered from POSTROUTING) — or a hand-made
 * rule as in the article: `-A POSTROUTING -m ipvs --vaddr VIP/32 --vport PORT -j MASQUERADE`.
 */
export function snatRulesPresent(iptablesSave: string, ipsetSave: string, lab: LabConfig, vs: VirtualServerConfig): boolean {
  const nat = parseIptablesSave(iptablesSave).find((t) => t.name === 'nat');
  const rules = (chain: string): string[] => nat?.chains.find((c) => c.name === chain)?.rules ?? [];
  const names = chainNames(lab);
  const set = setNames(lab).snat;
  const jumpsTo = (from: string, to: string) => rules(from).some((r) => jumpTarget(r) === to);
  const hasMasquerade = (chain: string) => rules(chain).some((r) => jumpTarget(r) === 'MASQUERADE');
  const inSet = parseIpsetSave(ipsetSave).some((s) => s.name === set && s.entries.includes(snatEntry(vs)));
  const lvslab =
    inSet &&
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

/** Does `ipvsadm -S -n` list this virtual server? */
export function ipvsServiceListed(ipvsSave: string, vs: VirtualServerConfig): boolean {
  return parseIpvsSave(ipvsSave).some((s) => s.protocol === vs.protocol && s.address === vs.vip && s.port === vs.port);
}
