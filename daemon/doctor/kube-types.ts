/** What `lvslab doctor` reads of a kube-proxy-mode lab, and what it concludes. Plain data. */
import type { IpvsTimeoutsConfig } from '../config/types.js';
import type { IpvsTimeouts } from '../kernel/types.js';

/** One curl: exit 0 with the backend's name, or the failure as curl said it. */
export interface Reach {
  readonly ok: boolean;
  readonly curlExit: number;
  /** The backend's answer (its node name) when ok; curl's complaint otherwise. */
  readonly detail: string;
}

export interface ServiceFacts {
  /** "default/my-service". */
  readonly service: string;
  readonly protocol: 'tcp' | 'udp';
  readonly clusterIP: string;
  readonly port: number;
  readonly nodePort?: number;
  /** TCP services: a curl of the cluster IP from the client, and from the director. */
  readonly fromClient?: Reach;
  readonly fromDirector?: Reach;
  /** TCP NodePort services: a curl of the director's address and node port from the client. */
  readonly nodePortFromClient?: Reach;
  /** Each TCP endpoint ("rs1 192.168.113.99:8080"): a curl from the director straight to it. */
  readonly endpoints: readonly { readonly endpoint: string; readonly reach?: Reach }[];
}

export interface KubeFacts {
  readonly director: { readonly name: string; readonly ip: string };
  readonly client: { readonly name: string; readonly ip: string };
  /** net.ipv4.vs.conntrack and net.ipv4.ip_forward on the director (absent: not read). */
  readonly directorSysctls: Readonly<Record<string, string | undefined>>;
  /** The lab's ipvsTimeouts and the director's (absent: the lab sets none, or they could not be read). */
  readonly ipvsTimeouts?: { readonly wanted: IpvsTimeoutsConfig; readonly seen: IpvsTimeouts };
  /** Members of the node port sets on the director, by protocol (absent: not read). */
  readonly nodePortSets?: Readonly<Record<'tcp' | 'udp', readonly number[]>>;
  readonly nodePortRange: { readonly min: number; readonly max: number };
  readonly services: readonly ServiceFacts[];
  /** What could not be read, one line each. */
  readonly notes: readonly string[];
}

export type FindingCode =
  | 'cluster-ip-from-outside'
  | 'vs-conntrack-off'
  | 'ip-forward-off'
  | 'node-port-out-of-range'
  | 'endpoint-down'
  | 'ipvs-timeouts'
  | 'unexplained'
  // DR and TUN real servers (mode-diagnose.ts)
  | 'vip-missing'
  | 'rs-answers-arp'
  | 'rs-announces-vip'
  | 'ipip-not-loaded'
  | 'no-tunnel-device'
  | 'rp-filter-strict'
  | 'tunnel-mtu'
  | 'off-segment';

export interface Finding {
  readonly code: FindingCode;
  /** 'by-design': how Kubernetes (or the forwarding mode) works, not a fault; 'problem': something to fix. */
  readonly kind: 'by-design' | 'problem';
  readonly message: string;
  readonly evidence: string;
}

export interface DoctorReport {
  readonly lab: string;
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
  /** No finding of kind 'problem'. */
  readonly ok: boolean;
}
