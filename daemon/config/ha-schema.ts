/**
 * The lab file's `ha` key: two directors that keepalived's VRRP makes a master and a backup, and the
 * address on the lab network that floats with the master (the clients' route to the VIPs and the
 * source SNAT gives toward the real servers). Rules that need other keys (two directors, the address
 * on their segment, NAT only) live in ha-checks.ts.
 */
import * as z from 'zod';
import { cidrProblem } from './ipv4.js';
import { checked, duration, int, say, strict } from './zod-helpers.js';

export const HA_DEFAULTS = {
  virtualRouterId: 51,
  /** keepalived's advert_int default: the backup takes over 3 adverts (+ its skew) after the last one. */
  advertIntervalMs: 1000,
  /** No preemption: a recovered master stays backup, so one failure is one disruption. */
  preempt: false,
} as const;

/** VRRP version 3 counts the advert interval in centiseconds, 12 bits of them (RFC 5798). */
export const ADVERT_MIN_MS = 100;
export const ADVERT_MAX_MS = 40_950;

export const haSchema = strict({
  /** On the directors' segment, not a node's address nor a VIP (ha-checks.ts). */
  floatingAddress: checked('an IPv4 address with a prefix length like 192.168.113.110/24', cidrProblem),
  virtualRouterId: int(1, 255).default(HA_DEFAULTS.virtualRouterId),
  advertInterval: duration(ADVERT_MIN_MS, ADVERT_MAX_MS)
    .refine((ms) => ms % 10 === 0, say('must be a whole number of centiseconds (VRRP version 3 counts in 10ms), like 1s or 500ms'))
    .default(HA_DEFAULTS.advertIntervalMs),
  preempt: z.boolean(say('must be true or false')).default(HA_DEFAULTS.preempt),
});
