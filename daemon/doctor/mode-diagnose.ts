/**
 * The facts of a lab's DR and TUN virtual servers → findings: what each mode needs of its real servers
 * and does not have. DR: the VIP held on a local device, no ARP answered or announced for it, the real
 * server on the director's segment. TUN: the ipip module, a device that decapsulates, the VIP, no strict
 * reverse-path filter, and (by design) the 20 bytes the outer header costs. Pure.
 */
import type { Finding } from './kube-types.js';
import type { ModeFacts, ModeRealServerFacts } from './mode-types.js';

/** The kernel applies the larger of conf/all and conf/DEV for arp_ignore, arp_announce and rp_filter. */
function effective(rs: ModeRealServerFacts, key: 'arp_ignore' | 'arp_announce' | 'rp_filter', dev: string): { value: number; text: string } | undefined {
  const all = rs.sysctls?.[`net.ipv4.conf.all.${key}`];
  const own = rs.sysctls?.[`net.ipv4.conf.${dev}.${key}`];
  if (all === undefined || own === undefined) return undefined;
  return { value: Math.max(Number(all), Number(own)), text: `${key}: all ${all}, ${dev} ${own}` };
}

const holderOf = (rs: ModeRealServerFacts, vip: string): string | undefined =>
  Object.entries(rs.addresses ?? {}).find(([, ips]) => ips.includes(vip))?.[0];

function vipFindings(rs: ModeRealServerFacts): Finding[] {
  if (rs.addresses === undefined) return [];
  const held = Object.entries(rs.addresses).map(([dev, ips]) => `${dev} ${ips.join(' ')}`).join('; ');
  return rs.vips.filter((vip) => holderOf(rs, vip) === undefined).map((vip) => ({
    code: 'vip-missing',
    kind: 'problem',
    message: `${rs.node} does not hold the VIP ${vip}: ${rs.forwarding.join('/').toUpperCase()} delivers the client's packet to ${vip} unchanged, and ${rs.node} drops a packet for an address it does not have.`,
    evidence: `ip -j addr show on ${rs.node}: ${vip} on no device (${held || 'no IPv4 address'})`,
  }));
}

function arpFindings(rs: ModeRealServerFacts): Finding[] {
  const dev = rs.labDevice;
  if (dev === undefined) return [];
  const out: Finding[] = [];
  const ignore = effective(rs, 'arp_ignore', dev);
  const announce = effective(rs, 'arp_announce', dev);
  for (const vip of rs.vips) {
    const holder = holderOf(rs, vip);
    if (holder === undefined) continue;
    if (holder === dev || (ignore !== undefined && ignore.value === 0)) {
      const why = holder === dev ? `the VIP is on ${dev} itself` : `it holds the VIP on ${holder} and answers for every local address (${ignore!.text})`;
      out.push({
        code: 'rs-answers-arp',
        kind: 'problem',
        message: `${rs.node} answers ARP for the VIP ${vip} on ${dev}: ${why}. A router or client on the segment that asks who has ${vip} may get ${rs.node}'s MAC and bypass the director (set net.ipv4.conf.all.arp_ignore=1, the VIP on another device).`,
        evidence: `${rs.node}: ${vip} on ${holder}; ${ignore?.text ?? 'arp_ignore not read'}`,
      });
    }
    if (announce !== undefined && announce.value < 2) {
      out.push({
        code: 'rs-announces-vip',
        kind: 'problem',
        message: `${rs.node} may use the VIP ${vip} as the sender of its own ARP requests on ${dev} (its replies leave from the VIP), which tells the segment that ${vip} is at ${rs.node}'s MAC (set net.ipv4.conf.all.arp_announce=2).`,
        evidence: `${rs.node}: ${announce.text}`,
      });
    }
  }
  return out;
}

/** The ipip device that takes what the director sends to RIP: one bound to RIP and up, else tunl0 when up. */
const decapsulator = (rs: ModeRealServerFacts) =>
  rs.ipipDevices?.find((d) => d.up && d.local === rs.ip) ?? rs.ipipDevices?.find((d) => d.up && d.local === undefined);

function tunFindings(rs: ModeRealServerFacts): Finding[] {
  if (!rs.forwarding.includes('tun') || rs.ipipDevices === undefined) return [];
  const devices = rs.ipipDevices.map((d) => `${d.name} ${d.up ? 'up' : 'down'} local ${d.local ?? 'any'}`).join('; ');
  if (rs.ipipDevices.length === 0) {
    return [{
      code: 'ipip-not-loaded',
      kind: 'problem',
      message: `${rs.node} has no ipip device, not even tunl0: the ipip module is not loaded, so the director's IP-in-IP packets (protocol 4) to ${rs.ip} find no handler and are dropped (modprobe ipip).`,
      evidence: `ip -j -d addr show on ${rs.node}: no link of kind ipip`,
    }];
  }
  const device = decapsulator(rs);
  if (device === undefined) {
    return [{
      code: 'no-tunnel-device',
      kind: 'problem',
      message: `${rs.node} has the ipip module but no ipip device up that takes packets for ${rs.ip}: the director's IP-in-IP packets are dropped.`,
      evidence: `ip -j -d addr show on ${rs.node}: ${devices}`,
    }];
  }
  const rp = effective(rs, 'rp_filter', device.name);
  const out: Finding[] = [];
  if (rp !== undefined && rp.value === 1) {
    out.push({
      code: 'rp-filter-strict',
      kind: 'problem',
      message: `${rs.node} filters reverse paths strictly on ${device.name}: a decapsulated packet from the client arrives there while the route back to the client leaves by another device, so the kernel drops it (rp_filter 0 on all and ${device.name}; 2, loose, also passes).`,
      evidence: `${rs.node}: ${rp.text} (the kernel uses the larger)`,
    });
  }
  if (device.mtu !== undefined) {
    out.push({
      code: 'tunnel-mtu',
      kind: 'by-design',
      message: `the outer IP header costs 20 bytes: ${rs.node}'s ${device.name} carries at most ${device.mtu} bytes, so a client packet larger than that cannot reach ${rs.node} whole; IPVS answers a full-size packet with "fragmentation needed" and the client must lower its MSS/PMTU.`,
      evidence: `${rs.node}: ${device.name} mtu ${device.mtu}`,
    });
  }
  return out;
}

function segmentFindings(facts: ModeFacts, rs: ModeRealServerFacts): Finding[] {
  const route = facts.directorRoutes[rs.node];
  if (!rs.forwarding.includes('dr') || route?.via === undefined) return [];
  return [{
    code: 'off-segment',
    kind: 'problem',
    message: `${rs.node} is not on the director's segment: ${facts.director.name} reaches ${rs.ip} through the gateway ${route.via}, and DR only readdresses the frame, so the packet for the VIP goes to the gateway, not to ${rs.node}.`,
    evidence: `ip route get ${rs.ip} on ${facts.director.name}: via ${route.via}${route.dev ? ` dev ${route.dev}` : ''}`,
  }];
}

export function diagnoseModes(facts: ModeFacts): Finding[] {
  return facts.realServers.flatMap((rs) => [...vipFindings(rs), ...arpFindings(rs), ...tunFindings(rs), ...segmentFindings(facts, rs)]);
}
