/**
 * The director's IPVS timeouts against the lab's `ipvsTimeouts` → what differs, in words (pure). Used
 * by `lvslab verify` and `lvslab doctor`: a wrong timeout breaks no request, it changes how long IPVS
 * keeps an idle connection (and sends its packets to the same real server), so only a reading shows it.
 */
import type { IpvsTimeoutsConfig } from '../config/types.js';
import { IPVS_TIMEOUT_NAMES, ipvsTimeoutsDiffering, type IpvsTimeouts } from '../kernel/types.js';
import type { Cause } from './types.js';

/** The cause when the director holds other timeouts than the lab sets; undefined when they agree. */
export function ipvsTimeoutsCause(wanted: IpvsTimeoutsConfig, seen: IpvsTimeouts, director: string): Cause | undefined {
  const differing = ipvsTimeoutsDiffering(wanted, seen);
  if (differing.length === 0) return undefined;
  const what = differing.map((f) => `${IPVS_TIMEOUT_NAMES[f]} ${seen[f]}s where the lab sets ${wanted[f]}s`).join(', ');
  return {
    code: 'ipvs-timeouts',
    message: `the director ${director} holds other IPVS timeouts than the lab's ipvsTimeouts (${what}), so IPVS forgets idle connections at other times than the lab says (lvslabd writes the lab's values back on its next run).`,
    evidence: `ipvsadm -L --timeout on ${director}: Timeout (tcp tcpfin udp): ${seen.tcp} ${seen.tcpFin} ${seen.udp}`,
  };
}
