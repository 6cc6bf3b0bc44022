/**
 * Kernel objects as plain readonly records. Each kind has an identity key; equality is decided by
 * `same*` functions over the fields that matter, never by comparing tool output as text.
 */
import { IPVS_TIMEOUT_KEYS, type Forwarding, type Protocol } from '../config/types.js';

export interface RealServer {
  readonly address: string;
  readonly port: number;
  readonly forwarding: Forwarding;
  readonly weight: number;
}

export interface VirtualService {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
  readonly scheduler: string;
  /** Persistence timeout in seconds; absent when not persistent. */
  readonly persistence?: number;
  readonly realServers: readonly RealServer[];
}

export type IptablesTable = 'filter' | 'nat' | 'mangle' | 'raw';

/** A user-defined chain that lvslab owns entirely. Rules are in iptables-save's normal form without "-A CHAIN ". */
export interface Chain {
  readonly table: IptablesTable;
  readonly name: string;
  readonly rules: readonly string[];
}

/** A rule in a built-in chain that jumps to an owned chain (normal form without "-A CHAIN "). */
export interface JumpRule {
  readonly table: IptablesTable;
  readonly chain: string;
  readonly rule: string;
}

export interface IpSet {
  readonly name: string;
  /** e.g. "hash:ip", "hash:ip,port", "bitmap:port". */
  readonly type: string;
  /** Create options that matter, as `ipset save` prints them ("family" → "inet", "range" → "0-65535"). */
  readonly options: Readonly<Record<string, string>>;
  /** Members as `ipset save` prints them: "10.0.0.1", "10.108.113.237,tcp:80", "30080". */
  readonly entries: readonly string[];
}

export interface Sysctl {
  readonly key: string;
  readonly value: string;
}

/** A link lvslab owns (the VIP holder): a dummy, or an ipip tunnel device on a TUN real server. */
export interface Link {
  readonly name: string;
  readonly up: boolean;
  /**
   * An ipip device that decapsulates what is sent to this local address (IPVS tunneling; `ip link add
   * NAME type ipip local ADDR`, remote any) instead of a dummy. lvslab's own device, never tunl0,
   * which other software (Calico's IPIP mode) may hold.
   */
  readonly ipipLocal?: string;
}

/** What kind of device a link is: "dummy", or "ipip local ADDR". */
export const linkKindOf = (l: Pick<Link, 'ipipLocal'>): string => (l.ipipLocal === undefined ? 'dummy' : `ipip local ${l.ipipLocal}`);

/** An address on an owned link, as "10.10.0.1/32". */
export interface Address {
  readonly dev: string;
  readonly cidr: string;
}

/** A route lvslab owns (marked with its route protocol number). */
export interface Route {
  readonly dst: string;
  readonly via: string;
}

/**
 * IPVS's connection timeouts in seconds, as `ipvsadm -L --timeout` prints them and `ipvsadm --set TCP
 * TCPFIN UDP` writes them: established TCP, TCP after a FIN, UDP. Per network namespace.
 */
export interface IpvsTimeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/** Everything lvslab owns on one node: what the plan wants, or what observation found. */
export interface KernelState {
  readonly sysctls: readonly Sysctl[];
  readonly links: readonly Link[];
  readonly addresses: readonly Address[];
  readonly routes: readonly Route[];
  readonly ipsets: readonly IpSet[];
  readonly chains: readonly Chain[];
  readonly jumps: readonly JumpRule[];
  readonly ipvs: readonly VirtualService[];
  /**
   * The IPVS timeouts the lab sets (only those it names; a key left out is not touched), or observation's
   * reading of all three. Absent from a plan: lvslab leaves the node's timeouts alone.
   */
  readonly ipvsTimeouts?: Partial<IpvsTimeouts>;
}

/**
 * What observation found: the owned state, with sysctls as a map (only the keys the plan asked about),
 * the IPVS timeouts when the plan names them or the ledger holds the node's own, and those.
 */
export interface Observed extends Omit<KernelState, 'sysctls'> {
  readonly sysctls: ReadonlyMap<string, string>;
  /** The node's timeouts before lvslab first took charge of them (the ledger's record, ownership.ts). */
  readonly hostIpvsTimeouts?: IpvsTimeouts;
}

export const emptyState: KernelState = {
  sysctls: [], links: [], addresses: [], routes: [], ipsets: [], chains: [], jumps: [], ipvs: [],
};

/** The route protocol number that marks lvslab's routes (`ip route show proto 241`). */
export const LVSLAB_ROUTE_PROTO = 241;

export const virtualServiceKey = (s: Pick<VirtualService, 'protocol' | 'address' | 'port'>): string =>
  `${s.protocol}:${s.address}:${s.port}`;
export const realServerKey = (r: Pick<RealServer, 'address' | 'port'>): string => `${r.address}:${r.port}`;
export const chainKey = (c: Pick<Chain, 'table' | 'name'>): string => `${c.table}/${c.name}`;
export const jumpKey = (j: JumpRule): string => `${j.table}/${j.chain}/${j.rule}`;
/** In the order ipvsadm prints and reads them. */
export const IPVS_TIMEOUT_FIELDS: readonly (keyof IpvsTimeouts)[] = IPVS_TIMEOUT_KEYS;
/** As ipvsadm names them ("Timeout (tcp tcpfin udp)"). */
export const IPVS_TIMEOUT_NAMES: Readonly<Record<keyof IpvsTimeouts, string>> = { tcp: 'tcp', tcpFin: 'tcpfin', udp: 'udp' };
/** The fields of `want` that `have` holds otherwise (all of them when `have` is unknown). */
export const ipvsTimeoutsDiffering = (want: Partial<IpvsTimeouts>, have: Partial<IpvsTimeouts> | undefined): (keyof IpvsTimeouts)[] =>
  IPVS_TIMEOUT_FIELDS.filter((f) => want[f] !== undefined && want[f] !== have?.[f]);

export const addressKey = (a: Address): string => `${a.dev}/${a.cidr}`;
export const routeKey = (r: Route): string => `${r.dst} via ${r.via}`;
