/**
 * `ipvsadm -Ln --exact` → the connection counts of each real server (ActiveConn: ESTABLISHED TCP;
 * InActConn: every other entry, TIME_WAIT, FIN_WAIT, UDP, …). Pure. The drain reads them to know when a
 * real server at weight 0 has no connections left.
 */
import type { Protocol } from '../../config/types.js';
import { textLines } from '../batch.js';
import { parseHostPort } from './address.js';

export interface RealServerConnections {
  readonly service: { readonly protocol: Protocol; readonly address: string; readonly port: number };
  readonly real: { readonly address: string; readonly port: number };
  readonly weight: number;
  /** ActiveConn. */
  readonly active: number;
  /** InActConn. */
  readonly inactive: number;
}

const HEADERS = [/^IP Virtual Server version /, /^Prot LocalAddress:Port /, /^\s+-> RemoteAddress:Port /];
const SERVICE = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+\S+/;
/** "  -> 192.168.113.98:8080          Masq    0      2          2" */
const REAL = /^\s+->\s+(\S+)\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)$/;
const PROTOCOLS: Readonly<Record<string, Protocol>> = { TCP: 'tcp', UDP: 'udp' };

const fail = (line: string, why: string): never => {
  throw new Error(`ipvsadm -Ln: ${why} in line: ${line}`);
};

export function parseIpvsList(text: string): RealServerConnections[] {
  const out: RealServerConnections[] = [];
  /** The current service; null after a kind lvslab never makes (SCTP, FWM), whose reals are skipped. */
  let service: RealServerConnections['service'] | null | undefined;
  for (const line of textLines(text)) {
    if (HEADERS.some((h) => h.test(line))) continue;
    const svc = SERVICE.exec(line);
    if (svc !== null) {
      const protocol = PROTOCOLS[svc[1] ?? ''];
      const at = protocol === undefined ? undefined : (parseHostPort(svc[2] ?? '') ?? fail(line, 'bad service address'));
      service = protocol === undefined || at === undefined ? null : { protocol, ...at };
      continue;
    }
    const real = REAL.exec(line) ?? fail(line, 'unknown line');
    if (service === undefined) return fail(line, 'real server before its service');
    if (service === null) continue;
    const at = parseHostPort(real[1] ?? '') ?? fail(line, 'bad real server address');
    out.push({ service, real: at, weight: Number(real[2]), active: Number(real[3]), inactive: Number(real[4]) });
  }
  return out;
}
