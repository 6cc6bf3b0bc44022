/**
 * The validated lab definition: what `loadLab()` returns after every check has passed.
 * Plain readonly data; nothing here touches the kernel.
 */
export type Role = 'director' | 'real-server' | 'client';
export type Protocol = 'tcp' | 'udp';
export type Forwarding = 'nat' | 'dr' | 'tun';

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export interface NodeConfig {
  readonly name: string;
  readonly role: Role;
  /** The node's address as written, with its prefix length: "192.168.113.101/24". */
  readonly address: string;
  /** The address alone: "192.168.113.101". */
  readonly ip: string;
  readonly prefixLength: number;
}

export interface RealServerConfig {
  readonly node: string;
  readonly port: number;
  readonly weight: number;
}

export interface VirtualServerConfig {
  readonly name: string;
  readonly vip: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly scheduler: Scheduler;
  readonly forwarding: Forwarding;
  /** Masquerade traffic toward the real servers (needed when their gateway is not the director). */
  readonly snat: boolean;
  /** IPVS persistence timeout in seconds (ipvsadm -p), absent when the service is not persistent. */
  readonly persistence?: number;
  readonly realServers: readonly RealServerConfig[];
}

export type BlocklistType = 'hash:ip' | 'hash:net';

export interface BlocklistConfig {
  readonly name: string;
  readonly type: BlocklistType;
  readonly entries: readonly string[];
  readonly match: 'src' | 'dst';
  readonly protocol?: Protocol;
  readonly port?: number;
}

export interface LabConfig {
  readonly lab: string;
  /** Prefix of every ipset and iptables chain the lab owns, e.g. "LVSLAB-". */
  readonly prefix: string;
  /** The dummy link that holds the VIPs on the director. */
  readonly interface: string;
  /** The packet mark that asks for masquerade (a single bit, kube-proxy uses 0x4000). */
  readonly masqueradeMark: number;
  /** node-cron expression of the daemon's periodic reconcile (drift repair). */
  readonly reconcileSchedule: string;
  /** Nodes in the order of the file. */
  readonly nodes: readonly NodeConfig[];
  readonly virtualServers: readonly VirtualServerConfig[];
  readonly blocklists: readonly BlocklistConfig[];
}

/** One problem found in a lab file: where, what was there, and why it is wrong. */
export interface ConfigProblem {
  readonly path: string;
  readonly value: string;
  readonly reason: string;
}
