/**
 * Reading the IPVS table whole is the costly part of a converged run: `ipvsadm -S -n` asks the kernel
 * for each service's real servers one netlink request at a time (10,000 services: 4.4-5.6 s in the
 * micro-VM), while `/proc/net/ip_vs` prints the same table in one pass (0.4-0.6 s). It shows every
 * field lvslab's model holds (protocol, address, port, scheduler, persistence, and each real server's
 * address, port, forwarding and weight) but not in ipvsadm's units (persistence in jiffies), so it is
 * not parsed: it is a fingerprint. A daemon keeps the services its last full read found with the
 * fingerprint taken just before that read; while /proc/net/ip_vs prints the same table, they are
 * what the kernel holds, and the full read is skipped. Pure, except for the memo the caller keeps.
 */
import { createHash } from 'node:crypto';
import type { VirtualService } from '../types.js';

/** The last full read of one node's table, kept by a long-lived caller (the daemon) across runs. */
export interface IpvsTableMemo {
  last?: { readonly fingerprint: string; readonly services: readonly VirtualService[] };
}

/**
 * The table as /proc/net/ip_vs prints it, without what traffic changes: each real server's line
 * "  -> C0A87163:1F90      Masq    1      0          0" keeps its address, forwarding and weight and
 * drops ActiveConn and InActConn; no line keeps its trailing blanks. The header (with the connection
 * table's size) is kept. One pass of one expression over the text, hashed whole: at 10,000 services a
 * line-by-line split made 30,000 strings a run.
 */
export function ipvsFingerprint(procText: string): string {
  return createHash('sha256').update(procText.replace(CONNECTION_COUNTS, '$1')).digest('hex');
}

/**
 * A real server's line with its two connection counts after the weight, kept up to the weight; or the
 * blanks that end any other line, dropped (the kernel pads its columns with spaces).
 */
const CONNECTION_COUNTS = /^( {2}-> \S+ +\S+ +\S+) +\d+ +\d+ *$| +$/gm;
