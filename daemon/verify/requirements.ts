/**
 * What DR and TUN need of the real servers, each with the failure it shows without it and the doctor
 * code that names it: the article's comparison of the modes, as verify prints it for each virtual
 * server of those modes. Pure.
 */
import type { Forwarding } from '../config/types.js';

const ARP = 'the VIP on every real server on a device that does not answer ARP for it (arp_ignore=1, arp_announce=2) — without it a router that asks who has the VIP can get a real server\'s MAC and bypass the director (doctor: vip-missing, rs-answers-arp, rs-announces-vip)';

const NEEDS: Readonly<Record<Exclude<Forwarding, 'nat'>, readonly string[]>> = {
  dr: [
    ARP,
    'every real server on the director\'s segment — the director only readdresses the frame, so a real server behind a router never gets it (doctor: off-segment)',
    'the virtual server\'s port on the real servers — the packet reaches them unchanged',
  ],
  tun: [
    'the ipip module and an ipip device up on every real server — without them the director\'s IP-in-IP packets (protocol 4) are dropped (doctor: ipip-not-loaded, no-tunnel-device)',
    'reverse-path filtering not strict on that device — the decapsulated packet comes from the client, whose route leaves by another device, and rp_filter=1 drops it (doctor: rp-filter-strict)',
    '20 bytes of MTU — the outer header makes a client\'s full-size packet too big for the path: IPVS answers "fragmentation needed" and the client must send less (doctor: tunnel-mtu)',
    ARP,
  ],
};

export const requirementsOf = (forwarding: Forwarding): { forwarding: 'dr' | 'tun'; needs: readonly string[] } | undefined =>
  (forwarding === 'nat' ? undefined : { forwarding, needs: NEEDS[forwarding] });
