/**
 * Cross-field checks of the directors and the `ha` key: one director, or two with `ha`; the floating
 * address on both directors' segment and nobody else's address; an HA lab forwards by NAT and has no
 * kube-proxy services (what lvslab's HA has been built and tested for). Like checks.ts they read the
 * raw data and skip fields that are themselves invalid (the schema reported those).
 */
import type { ConfigProblem } from './types.js';
import { parseCidr, parseIPv4 } from './ipv4.js';
import { field, isMapping, list, own, problem } from './problems.js';
import { haSchema } from './ha-schema.js';
import { virtualServerSchema } from './schema.js';

export interface DirectorFacts {
  readonly name: string;
  readonly role: string | undefined;
  readonly ip: string | undefined;
  readonly address: string | undefined;
}

export function checkDirectors(data: unknown, nodes: readonly DirectorFacts[], out: ConfigProblem[]): void {
  // `ha:` left empty (null) is the schema's problem alone: it is no HA lab to count directors for
  const ha = isMapping(own(data, 'ha'));
  const directors = nodes.filter((n) => n.role === 'director').map((n) => n.name);
  const wanted = ha ? 2 : 1;
  if (directors.length === wanted) return;
  const found = directors.length === 0 ? 'found none' : `found ${directors.length}: ${directors.join(', ')}`;
  const reason = ha
    ? `an HA lab (with ha) has exactly two directors, the first listed starting as master; ${found}`
    : directors.length > 1
      ? `exactly one node must have role director, or two with an ha key (keepalived's VRRP then floats the VIPs between them); ${found}`
      : `exactly one node must have role director; ${found}`;
  out.push(directors.length === 0 ? { path: 'nodes', value: '(no director)', reason } : problem(['nodes'], directors, reason));
}

const network = (ip: number, prefixLength: number): number => (prefixLength === 0 ? 0 : (ip >>> (32 - prefixLength)) << (32 - prefixLength)) >>> 0;

export function checkHa(data: unknown, nodes: readonly DirectorFacts[], out: ConfigProblem[]): void {
  const ha = own(data, 'ha');
  if (!isMapping(ha)) return;
  const floating = field(haSchema.shape.floatingAddress, ha, 'floatingAddress');
  const cidr = floating === undefined ? undefined : parseCidr(floating);
  if (cidr !== undefined) {
    const at = ['ha', 'floatingAddress'];
    const owner = nodes.find((n) => n.ip === cidr.ip);
    if (owner !== undefined) out.push(problem(at, floating, `is the address of node "${owner.name}"; the floating address belongs to no node (it moves with the master)`));
    const vipOf = list(own(data, 'virtualServers')).find((vs) => field(virtualServerSchema.shape.vip, vs, 'vip') === cidr.ip);
    if (vipOf !== undefined) out.push(problem(at, floating, 'is a VIP; the floating address is the route to the VIPs, another address on the lab network'));
    for (const d of nodes.filter((n) => n.role === 'director')) {
      const dc = d.address === undefined ? undefined : parseCidr(d.address);
      if (dc === undefined) continue;
      const same = dc.prefixLength === cidr.prefixLength && network(parseIPv4(dc.ip) ?? 0, dc.prefixLength) === network(parseIPv4(cidr.ip) ?? 0, cidr.prefixLength);
      if (!same) {
        const reason = `must be on director "${d.name}"'s segment ${d.address} with its prefix length: keepalived adds it to that link and announces it there by gratuitous ARP`;
        out.push(problem(at, floating, reason));
      }
    }
  }
  for (const d of nodes.filter((n) => n.role === 'director')) {
    if (own(own(own(data, 'nodes'), d.name), 'api') !== 'off') continue;
    out.push(problem(['nodes', d.name, 'api'], 'off', "an HA director serves its API: keepalived's track script asks its /healthz, and gives up master when it fails"));
  }
  list(own(data, 'virtualServers')).forEach((vs, i) => {
    const forwarding = field(virtualServerSchema.shape.forwarding, vs, 'forwarding');
    if (forwarding === 'dr' || forwarding === 'tun') {
      out.push(problem(['virtualServers', i, 'forwarding'], forwarding, 'an HA lab (with ha) forwards by nat only: DR and TUN behind a floating VIP are not built yet'));
    }
  });
  if (list(own(data, 'services')).length > 0) {
    out.push(problem(['ha'], '(set)', 'ha and services do not go together yet: kube-proxy mode has one director (service DNS and ClusterIPs are not floated)'));
  }
}
