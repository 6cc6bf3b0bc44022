/**
 * The validated lab definition: what `loadLab()` returns after every check has passed.
 * Plain readonly data; nothing here touches the kernel.
 */
import type { Listen } from './listen.js';

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
  /** Where this node's lvslabd serves its status API (default 127.0.0.1:9410). */
  readonly api: Listen;
}

export interface RealServerConfig {
  readonly node: string;
  readonly port: number;
  readonly weight: number;
}

export const HEALTH_CHECK_TYPES = ['tcp', 'http'] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];
/** What an unhealthy real server becomes: weight 0 (inhibit) or gone from the IPVS table (remove). */
export const ON_FAILURE = ['inhibit', 'remove'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

interface HealthCheckBase {
  /** Time between two checks of one real server, in milliseconds. */
  readonly intervalMs: number;
  /** After a failed check of a server still up, the next check comes this soon (keepalived's delay_before_retry). */
  readonly retryDelayMs: number;
  /** How long one check may take, in milliseconds (less than the interval). */
  readonly timeoutMs: number;
  /** Consecutive successes that bring a down real server back up. */
  readonly rise: number;
  /** Consecutive failures that take a real server down. */
  readonly fall: number;
  readonly onFailure: OnFailure;
}

/** A TCP connect to the real server's address and port. */
export interface TcpHealthCheck extends HealthCheckBase {
  readonly type: 'tcp';
}

/** An HTTP GET of `path` that must answer `expectStatus` (and contain `bodyContains`, when set). */
export interface HttpHealthCheck extends HealthCheckBase {
  readonly type: 'http';
  readonly path: string;
  readonly expectStatus: number;
  readonly bodyContains?: string;
}

export type HealthCheckConfig = TcpHealthCheck | HttpHealthCheck;

/** Where traffic goes while fewer real servers than the quorum are healthy. */
export interface SorryServerConfig {
  readonly node: string;
  readonly port: number;
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
  /** Absent: every real server is taken as healthy. */
  readonly healthCheck?: HealthCheckConfig;
  /** Fewest healthy real servers that may carry the traffic; below it the sorry server does. */
  readonly quorum?: number;
  readonly sorryServer?: SorryServerConfig;
}

export type BlocklistType = 'hash:ip' | 'hash:net';

export interface BlocklistConfig {
  readonly name: string;
  readonly type: BlocklistType;
  /** Unique, each as ipset prints it (canonicalNet): "10.0.0.1", "10.0.0.0/8", never "10.0.0.1/32" or "10.1.2.3/8". */
  readonly entries: readonly string[];
  readonly match: 'src' | 'dst';
  readonly protocol?: Protocol;
  readonly port?: number;
}

/** Graceful removal of real servers: how long one waits at weight 0 for its connections to end. */
export interface DrainConfig {
  readonly timeoutMs: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

export type ServiceType = 'ClusterIP' | 'NodePort';
/** Which of kubelet's iptables rules the director also gets: as kubelet < 1.28 wrote them, as newer ones do, or none. */
export type KubeletRules = 'legacy' | 'current' | 'none';

export interface EndpointConfig {
  readonly node: string;
  readonly port: number;
}

/** A kube-proxy-style service on the director (IPVS mode). */
export interface ServiceConfig {
  readonly name: string;
  readonly namespace: string;
  readonly type: ServiceType;
  readonly clusterIP: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly targetPort: number;
  /** NodePort services only. */
  readonly nodePort?: number;
  readonly scheduler: Scheduler;
  /** sessionAffinity ClientIP: IPVS persistence of this many seconds; absent for None. */
  readonly affinityTimeout?: number;
  readonly endpoints: readonly EndpointConfig[];
}

/** The lab-wide settings of the kube-proxy mode. */
export interface ServiceMode {
  readonly kubeletRules: KubeletRules;
  readonly nodePortRange: { readonly min: number; readonly max: number };
  /** Service names are <name>.<namespace>.svc.<clusterDomain>. */
  readonly clusterDomain: string;
}

export const DEFAULT_SERVICE_MODE: ServiceMode = {
  kubeletRules: 'current',
  nodePortRange: { min: 30000, max: 32767 },
  clusterDomain: 'cluster.local',
};

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
  /** The share of one core (1-100 %) the scheduled runs may take: a run that took C of CPU holds the next back by C × (100 / pct − 1). */
  readonly reconcileCpuPercent: number;
  /** Nodes in the order of the file. */
  readonly nodes: readonly NodeConfig[];
  readonly virtualServers: readonly VirtualServerConfig[];
  readonly blocklists: readonly BlocklistConfig[];
  /** kube-proxy-style services on the director (empty: the lab is LVS only). */
  readonly services: readonly ServiceConfig[];
  readonly serviceMode: ServiceMode;
  /** Absent when the file does not say: DEFAULT_DRAIN_TIMEOUT_MS applies (see drainTimeoutMs). */
  readonly drain?: DrainConfig;
  /** IPVS's connection timeouts the director gets; absent: lvslab leaves the node's own alone. */
  readonly ipvsTimeouts?: IpvsTimeoutsConfig;
  /** Two directors that keepalived makes master and backup; absent: the lab has one director. */
  readonly ha?: HaConfig;
}

/**
 * An HA pair of directors. keepalived (VRRP) holds the VIPs and the floating address on whichever
 * director is master; lvslab programs IPVS and the rules on both and never adds or removes those
 * addresses.
 */
export interface HaConfig {
  /** On the lab network, with its prefix length ("192.168.113.110/24"): the clients' route to the VIPs and SNAT's source. */
  readonly floatingAddress: string;
  readonly floatingIp: string;
  readonly virtualRouterId: number;
  readonly advertIntervalMs: number;
  /** Whether a recovered director with the higher priority takes master back (a second disruption). */
  readonly preempt: boolean;
}

/** IPVS's timeouts in the order ipvsadm prints and reads them: established TCP, TCP after a FIN, UDP. */
export const IPVS_TIMEOUT_KEYS = ['tcp', 'tcpFin', 'udp'] as const;

/** Seconds; a field left out is not touched (`ipvsadm --set` with 0 there). At least one is set. */
export type IpvsTimeoutsConfig = { readonly [K in (typeof IPVS_TIMEOUT_KEYS)[number]]?: number };

export const drainTimeoutMs = (lab: Pick<LabConfig, 'drain'>): number => lab.drain?.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;

/** One problem found in a lab file: where, what was there, and why it is wrong. */
export interface ConfigProblem {
  readonly path: string;
  readonly value: string;
  readonly reason: string;
}
