/**
 * What `lvslab verify` finds: probes sent from the client, the conntrack flows they left on the client
 * and the director read the way the article reads them, and likely causes when something fails.
 * Plain data: the CLI prints it as JSON as is.
 */
import type { Protocol, Scheduler } from '../config/types.js';
import type { HaReport } from './ha.js';

/** One HTTP request from the client to a VIP. */
export interface Probe {
  readonly seq: number;
  readonly ok: boolean;
  /** The node name the backend answered (first line of the body). */
  readonly realServer?: string;
  /** The client's source port (`%{local_port}`), the key to its conntrack flows. */
  readonly localPort?: number;
  /**
   * The address the real server saw the connection come from (its backend's X-Lvslab-Peer header): the
   * client's own when nothing rewrote the source (DR, TUN, NAT without SNAT), the director's with SNAT.
   */
  readonly peer?: string;
  readonly httpCode?: number;
  readonly curlExit?: number;
  readonly error?: string;
}

/** One probe's connection as conntrack shows it, read as the article reads it. */
export interface FlowExplanation {
  readonly seq: number;
  /** CIP:sport */
  readonly client: string;
  /** VIP:vport */
  readonly virtual: string;
  /** RIP:rport IPVS sent the connection to (from the director's reply tuple). */
  readonly dnat?: string;
  /** The node that owns RIP. */
  readonly realServer?: string;
  /** "DIP:port" the real server saw as source, or the sentence saying there is no SNAT. */
  readonly snat: string;
  /** How the director forwarded it: the virtual server's forwarding (nat: DNAT; dr: MAC rewrite; tun: IP-in-IP). */
  readonly forwarding?: 'nat' | 'dr' | 'tun';
  /** The address the real server saw as the client (the probe's peer). */
  readonly realServerSaw?: string;
  /** Its conntrack entry on each node, as the tuples read: "C:p → V:vp, reply R:rp → D:dp [UNREPLIED] STATE". */
  readonly tuples?: { readonly onClient?: string; readonly onDirector?: string };
  /** The conntrack state (TCP), e.g. TIME_WAIT; from the director's flow, else the client's. */
  readonly state?: string;
  readonly seenOnClient: boolean;
  readonly seenOnDirector: boolean;
  /** One line: what happened to this connection. */
  readonly text: string;
}

export const NO_SNAT = 'no SNAT: the real server answers the client directly';

/** A likely cause of a failure: a stable code, one sentence, and what was read that shows it. */
export interface Cause {
  readonly code: string;
  readonly message: string;
  readonly evidence: string;
}

/** Which of the probes' packets crossed the director, from IPVS's counters (and TUN's ipip devices). */
export interface Traffic {
  /** Packets client → real servers, and back, IPVS counted over the probes. */
  readonly inPkts: number;
  readonly outPkts: number;
  /** Per real server node: the packets IPVS sent it. */
  readonly realServers: Readonly<Record<string, { readonly sent: number }>>;
  readonly text: string;
}

export interface VirtualServerReport {
  readonly name: string;
  readonly vip: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly scheduler: Scheduler;
  readonly requests: number;
  readonly succeeded: number;
  /** Answers per real server node name (every real server of the service listed, unknown answers too). */
  readonly distribution: Record<string, number>;
  readonly distributionOk: boolean;
  /** The rule the counts were held to, in words. */
  readonly distributionRule: string;
  readonly probes: readonly Probe[];
  readonly flows: readonly FlowExplanation[];
  /** Probes whose flow was found in the client's / director's conntrack table. */
  readonly clientFlowsMatched: number;
  readonly directorFlowsMatched: number;
  readonly causes: readonly Cause[];
  /** Which packets crossed the director (absent: its counters could not be read from here). */
  readonly traffic?: Traffic;
  /** DR and TUN: what the mode needs of the real servers, and the failure each would show without it. */
  readonly requirements?: { readonly forwarding: 'dr' | 'tun'; readonly needs: readonly string[] };
  /** What verify did not do or could not read (e.g. "udp: not probed by verify"). */
  readonly notes: readonly string[];
  readonly ok: boolean;
}

export interface VerifyReport {
  readonly lab: string;
  readonly client: string;
  readonly director: string;
  readonly ok: boolean;
  readonly virtualServers: readonly VirtualServerReport[];
  /**
   * TUN real server node → the packets IPVS sent it over the probes (all TUN virtual servers) and those
   * its ipip device decapsulated (absent: no TUN virtual server, or not read from here).
   */
  readonly tunnels?: Readonly<Record<string, { readonly sent: number; readonly decapsulated: number }>>;
  /** What is wrong on the director for the whole lab, not one service (its IPVS timeouts). */
  readonly causes: readonly Cause[];
  /** An HA lab's directors (ha.ts): who is master, the same IPVS on both, the sync daemons; absent when not read. */
  readonly ha?: HaReport;
  /** What verify could not read for those checks. */
  readonly notes: readonly string[];
  readonly durationMs: number;
}

/** What the impure part reads when a virtual server fails, as plain data for `diagnose`. */
export interface Facts {
  /** `ip -j route get VIP` on the client; 'none' when there is no route. */
  readonly clientRouteToVip?: { readonly via?: string; readonly dev?: string; readonly type?: string } | 'none';
  /** net.ipv4.ip_forward and net.ipv4.vs.conntrack on the director (undefined: not readable). */
  readonly directorSysctls: Readonly<Record<string, string | undefined>>;
  /**
   * The service's mark rule in <prefix>SERVICES, masquerade in <prefix>POSTROUTING, and their jumps
   * (or a hand-made `-m ipvs --vaddr` MASQUERADE). Undefined: the nat table could not be read.
   */
  readonly snatRulePresent: boolean | undefined;
  /** `ipvsadm -S -n` lists the service. Undefined: the IPVS table could not be read. */
  readonly ipvsServicePresent: boolean | undefined;
  /** Real server node → a curl from the director to RIP:port succeeded. */
  readonly realServerBackends: Readonly<Record<string, boolean>>;
  /** Real server node → why that curl failed (for the evidence). */
  readonly realServerBackendErrors?: Readonly<Record<string, string>>;
  /** Real server node → next hop toward the client (`ip route get CIP`): the gateway, or CIP when direct. */
  readonly realServerGateways: Readonly<Record<string, string | undefined>>;
  /**
   * When the director is another machine: each real server's health check verdict and weight, from
   * the director's status API (`source`: the URL read). Its backends cannot be curled from here.
   */
  readonly directorHealth?: {
    readonly source: string;
    readonly realServers: Readonly<Record<string, { readonly healthy?: boolean; readonly weight: number }>>;
  };
}
