/**
 * The lab's `ipvsTimeouts`: IPVS's connection timeouts on the director, as kube-proxy's
 * --ipvs-tcp-timeout, --ipvs-tcpfin-timeout and --ipvs-udp-timeout set them (`ipvsadm --set`). Each is a
 * duration of whole seconds; one left out is not touched, as kube-proxy leaves a flag of 0. Without the
 * key lvslab never reads nor writes the node's timeouts.
 */
import { formatDuration, parseDuration } from './duration.js';
import { IPVS_TIMEOUT_KEYS } from './types.js';
import { checked, say, strict } from './zod-helpers.js';

/**
 * The kernel keeps a timeout in jiffies and refuses more than INT_MAX / HZ seconds: 2147483 s (24 days
 * 20 h) at HZ=1000, the highest HZ; ipvsadm itself refuses more than 31 days.
 */
export const MAX_IPVS_TIMEOUT_S = 2_147_483;

const REASON =
  `must be a whole number of seconds written as a duration like "900s", "15m" or "2h", from 1s to ${formatDuration(MAX_IPVS_TIMEOUT_S * 1000)} ` +
  '(the kernel refuses more than INT_MAX jiffies; leave the key out to keep the node\'s own)';

const seconds = checked('a duration like "900s"', (text) => {
  const ms = parseDuration(text);
  return ms === undefined || ms % 1000 !== 0 || ms < 1000 || ms > MAX_IPVS_TIMEOUT_S * 1000 ? REASON : undefined;
}).transform((text) => (parseDuration(text) ?? 0) / 1000);

export const ipvsTimeoutsSchema = strict({
  /** Established TCP connections (ipvsadm's first --set value; kernel default 900 s). */
  tcp: seconds.optional(),
  /** TCP connections after a FIN (second value; default 120 s). */
  tcpFin: seconds.optional(),
  /** UDP flows (third value; default 300 s). */
  udp: seconds.optional(),
}).refine(
  (t) => IPVS_TIMEOUT_KEYS.some((k) => t[k] !== undefined),
  {
    ...say(`must set at least one of ${IPVS_TIMEOUT_KEYS.join(', ')} (leave ipvsTimeouts out to keep the node's own)`),
    // a mapping with a wrong key already has its problem: one per mistake
    when: (payload) => payload.issues.length === 0,
  },
);
