/**
 * What `lvslab trace` reads (snapshots taken around one real request) and what it shows: plain data,
 * so `--json` is JSON.stringify(trace).
 */
import type { Protocol } from '../config/types.js';
import type { ConntrackFlow } from '../kernel/conntrack/parse.js';
import type { ParsedTable } from '../kernel/iptables/parse.js';
import type { IpvsServiceStats } from '../kernel/ipvs/parse-stats.js';
import type { IpSet, IptablesTable, VirtualService } from '../kernel/types.js';

/** 'remote': the request came from another node through the director; 'local': the director sent it. */
export type Origin = 'local' | 'remote';

export interface Destination {
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export interface RequestOutcome {
  readonly ok: boolean;
  /** What the server answered (e.g. its name). */
  readonly answer?: string;
  readonly error?: string;
  /** The client's source port, when known (it finds our conntrack entry). */
  readonly sourcePort?: number;
}

export interface TraceInput {
  readonly from: { readonly node: string; readonly origin: Origin };
  readonly to: Destination;
  /** The director's `iptables-save -c` before and after the request. */
  readonly before: readonly ParsedTable[];
  readonly after: readonly ParsedTable[];
  /** The director's `ipvsadm -L -n --stats --exact` before and after. */
  readonly ipvsBefore: readonly IpvsServiceStats[];
  readonly ipvsAfter: readonly IpvsServiceStats[];
  /** The director's `ipvsadm -S -n`, to name the scheduler; optional. */
  readonly ipvsServices?: readonly VirtualService[];
  /** The director's neighbours after the request (`ip -j neigh show`): IP → MAC, for DR's "MAC rewritten to". */
  readonly neighbours?: Readonly<Record<string, string>>;
  /** The director's `ipset save`. */
  readonly sets: readonly IpSet[];
  /** Our request's conntrack entry on the director, if found. */
  readonly flow?: ConntrackFlow;
  readonly request: RequestOutcome;
}

export type StepKind = 'rule' | 'ipvs' | 'conntrack';

export interface TraceStep {
  /** 1-based, in the order the packet met them. */
  readonly n: number;
  readonly kind: StepKind;
  readonly table?: IptablesTable;
  readonly chain?: string;
  /** The rule without "-A CHAIN ". */
  readonly rule?: string;
  /** The rule's -j/-g target. */
  readonly target?: string;
  /** 0 for a built-in chain's rule, +1 per jump into a user chain. */
  readonly depth: number;
  /** How much the counter moved (rule); packets client → server (ipvs); our flow's packets (conntrack, with accounting). */
  readonly packets?: number;
  readonly bytes?: number;
  readonly explanation: string;
  readonly notes: readonly string[];
}

/** A rule whose counter moved but which cannot be on our request's path. */
export interface OtherMove {
  readonly table: IptablesTable;
  readonly chain: string;
  readonly index: number;
  readonly rule: string;
  readonly packets: number;
  readonly bytes: number;
  readonly reason: string;
}

export interface TraceNoise {
  /** The most other new connections seen on one nat rule of the path (nat counts only first packets). */
  readonly otherNewConnections: number;
  /** Whether the flow carried per-direction packet counts, so filter/mangle/raw counts could be checked. */
  readonly accounting: boolean;
  /** Non-nat steps that moved by more packets than our flow has. */
  readonly noisyRules: number;
  readonly otherMoves: number;
  /** One line per kind of noise found; empty when every count is explained by our request. */
  readonly summary: readonly string[];
}

export interface Trace {
  readonly request: {
    readonly from: string;
    readonly origin: Origin;
    readonly to: Destination;
    readonly ok: boolean;
    readonly answer?: string;
    readonly error?: string;
    readonly sourcePort?: number;
  };
  readonly steps: readonly TraceStep[];
  readonly otherMoves: readonly OtherMove[];
  readonly noise: TraceNoise;
}
