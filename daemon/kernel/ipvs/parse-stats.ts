/**
 * `ipvsadm -L -n --stats --exact` → the traffic counters of each virtual service and of each of its
 * real servers since they were added. Pure. `lvslab trace` diffs two of them to see which service
 * took a request and which real server it chose. Without --exact ipvsadm rounds to K/M/G: refused.
 */
import type { Protocol } from '../../config/types.js';
import { textLines } from '../batch.js';
import { parseHostPort } from './address.js';

/**
 * The kernel sums IPVS's per-CPU counters into what `--stats` shows only in its rate estimator, which
 * runs every 2 s: a reading can miss up to this much of the latest traffic (seen in the micro-VM: +0
 * connections right after a request IPVS did forward).
 */
export const IPVS_ESTIMATOR_MS = 2000;

export interface IpvsCounters {
  /** Connections scheduled. */
  readonly conns: number;
  /** Packets and bytes client → real server ("in") and back ("out"). */
  readonly inPkts: number;
  readonly outPkts: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

export interface IpvsRealStats {
  readonly address: string;
  readonly port: number;
  readonly counters: IpvsCounters;
}

export interface IpvsServiceStats {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
  readonly counters: IpvsCounters;
  readonly reals: readonly IpvsRealStats[];
}

const HEADERS = [/^IP Virtual Server version /, /^Prot LocalAddress:Port /, /^\s+-> RemoteAddress:Port\s*$/];
const COUNTS = String.raw`\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$`;
/** "TCP  10.10.0.1:8410                      4       22       19     1488     1412" */
const SERVICE = new RegExp(String.raw`^(TCP|UDP|SCTP|FWM)\s+(\S+)${COUNTS}`);
/** "  -> 192.168.113.98:8080                 2       11       10      744      732" */
const REAL = new RegExp(String.raw`^\s+->\s+(\S+)${COUNTS}`);
const PROTOCOLS: Readonly<Record<string, Protocol>> = { TCP: 'tcp', UDP: 'udp' };

const fail = (line: string, why: string): never => {
  throw new Error(`ipvsadm -L -n --stats --exact: ${why} in line: ${line}`);
};

/** The five count columns, the last five groups of a SERVICE or REAL match. */
function counters(match: RegExpExecArray, line: string): IpvsCounters {
  const values = match.slice(-5).map((v) => (/^\d+$/.test(v) ? Number(v) : fail(line, `count ${v} is not exact (run with --exact)`)));
  const [conns = 0, inPkts = 0, outPkts = 0, inBytes = 0, outBytes = 0] = values;
  return { conns, inPkts, outPkts, inBytes, outBytes };
}

interface Draft extends Omit<IpvsServiceStats, 'reals'> { readonly reals: IpvsRealStats[] }

/** Services of kinds lvslab never makes (SCTP, FWM) are skipped with their real servers. */
export function parseIpvsStats(text: string): IpvsServiceStats[] {
  const out: Draft[] = [];
  /** The current service; null after a skipped kind. */
  let service: Draft | null | undefined;
  for (const line of textLines(text)) {
    if (HEADERS.some((h) => h.test(line))) continue;
    const svc = SERVICE.exec(line);
    if (svc !== null) {
      const protocol = PROTOCOLS[svc[1] ?? ''];
      service = null;
      if (protocol === undefined) continue;
      const at = parseHostPort(svc[2] ?? '') ?? fail(line, 'bad service address');
      service = { protocol, ...at, counters: counters(svc, line), reals: [] };
      out.push(service);
      continue;
    }
    const real = REAL.exec(line) ?? fail(line, 'unknown line');
    if (service === undefined) return fail(line, 'real server before its service');
    if (service === null) continue;
    const at = parseHostPort(real[1] ?? '') ?? fail(line, 'bad real server address');
    service.reals.push({ ...at, counters: counters(real, line) });
  }
  return out;
}
