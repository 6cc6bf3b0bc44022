/**
 * The chains one request meets on the director, in the order it meets them, and where IPVS acts.
 * Kernel facts (net/netfilter/ipvs/ip_vs_core.c, ip_vs_xmit.c):
 * - a remote client's request: PREROUTING, then LOCAL_IN, where IPVS (after filter INPUT) schedules
 *   it, DNATs it and sends it again through LOCAL_OUT and POSTROUTING (nat POSTROUTING masquerades it);
 *   the real server's replies, de-masqueraded, are forwarded to the client (FORWARD).
 * - the director's own request: IPVS takes it at LOCAL_OUT right after nat OUTPUT, before filter
 *   OUTPUT, and sends it again through LOCAL_OUT (raw and mangle OUTPUT see it twice; nat OUTPUT is
 *   done already), then POSTROUTING; the replies come in through PREROUTING and INPUT.
 * nat chains see only a connection's first packet, and only where its NAT is not yet decided.
 */
import type { IptablesTable } from '../kernel/types.js';
import type { Origin } from './types.js';

export interface HookChain {
  readonly kind: 'chain';
  readonly table: IptablesTable;
  readonly chain: string;
  /** How many times each packet of our flow can pass this chain (the noise bound's multiplier). */
  readonly visits: number;
}

export interface HookIpvs {
  readonly kind: 'ipvs';
  readonly hook: 'LOCAL_IN' | 'LOCAL_OUT';
}

export type HookEntry = HookChain | HookIpvs;

export const BUILTIN_CHAINS: ReadonlySet<string> = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

const chains = (spec: string, visits = 1): HookChain[] =>
  spec.split(' ').map((tc) => {
    const [table = '', chain = ''] = tc.split('/');
    return { kind: 'chain', table: table as IptablesTable, chain, visits };
  });

const REMOTE: readonly HookEntry[] = [
  ...chains('raw/PREROUTING mangle/PREROUTING nat/PREROUTING mangle/INPUT filter/INPUT'),
  { kind: 'ipvs', hook: 'LOCAL_IN' },
  ...chains('raw/OUTPUT mangle/OUTPUT filter/OUTPUT mangle/POSTROUTING nat/POSTROUTING'),
  ...chains('mangle/FORWARD filter/FORWARD'),
];

const LOCAL: readonly HookEntry[] = [
  ...chains('raw/OUTPUT mangle/OUTPUT', 2),
  ...chains('nat/OUTPUT'),
  { kind: 'ipvs', hook: 'LOCAL_OUT' },
  ...chains('filter/OUTPUT mangle/POSTROUTING nat/POSTROUTING'),
  ...chains('raw/PREROUTING mangle/PREROUTING mangle/INPUT filter/INPUT'),
];

export const hookOrder = (origin: Origin): readonly HookEntry[] => (origin === 'remote' ? REMOTE : LOCAL);
