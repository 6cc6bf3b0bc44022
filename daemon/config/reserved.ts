/**
 * Names and marks a lab may not take: those of the kernel objects lvslab generates itself (kube-proxy's
 * sets and chains, lvslab's own chains), the link names lvslab may create, the prefixes other programs
 * own on a shared host, and kubelet's drop mark. The plan builds its names from these tables (plan/
 * kube.ts, plan/names.ts) and the lab checks refuse collisions with them (checks.ts), so the two cannot
 * drift apart.
 */

/** kube-proxy's and kubelet's chains, without the prefix (pkg/proxy/ipvs/proxier.go, kubelet_network_linux.go). */
export const KUBE_CHAINS = {
  services: 'SERVICES',
  nodePort: 'NODE-PORT',
  markMasq: 'MARK-MASQ',
  markDrop: 'MARK-DROP',
  postrouting: 'POSTROUTING',
  loadBalancer: 'LOAD-BALANCER',
  firewall: 'FIREWALL',
  forward: 'FORWARD',
  ipvsFilter: 'IPVS-FILTER',
  ipvsOutFilter: 'IPVS-OUT-FILTER',
  proxyFirewall: 'PROXY-FIREWALL',
  sourceRangesFirewall: 'SOURCE-RANGES-FIREWALL',
} as const;

/** Every set kube-proxy creates, without the prefix, in its order (ipsetInfo), with the type each has. */
export const KUBE_SETS: readonly (readonly [string, string])[] = [
  ['LOOP-BACK', 'hash:ip,port,ip'],
  ['CLUSTER-IP', 'hash:ip,port'],
  ['EXTERNAL-IP', 'hash:ip,port'],
  ['EXTERNAL-IP-LOCAL', 'hash:ip,port'],
  ['LOAD-BALANCER', 'hash:ip,port'],
  ['LOAD-BALANCER-FW', 'hash:ip,port'],
  ['LOAD-BALANCER-LOCAL', 'hash:ip,port'],
  ['LOAD-BALANCER-SOURCE-IP', 'hash:ip,port,ip'],
  ['LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net'],
  ['NODE-PORT-TCP', 'bitmap:port'],
  ['NODE-PORT-LOCAL-TCP', 'bitmap:port'],
  ['NODE-PORT-UDP', 'bitmap:port'],
  ['NODE-PORT-LOCAL-UDP', 'bitmap:port'],
  ['NODE-PORT-SCTP-HASH', 'hash:ip,port'],
  ['NODE-PORT-LOCAL-SCTP-HASH', 'hash:ip,port'],
  ['HEALTH-CHECK-NODE-PORT', 'bitmap:port'],
  ['IPVS-IPS', 'hash:ip'],
];

/** The chains of lvslab's own (LVS-mode) rules, without the prefix. */
export const LVSLAB_CHAINS = {
  services: 'SERVICES',
  markMasq: 'MARK-MASQ',
  postrouting: 'POSTROUTING',
  input: 'INPUT',
  conntrack: 'CONNTRACK',
} as const;

/** The sets of lvslab's own (LVS-mode) rules, without the prefix. */
export const LVSLAB_SETS = {
  /** The virtual servers that need SNAT, as `VIP,tcp:PORT` (kube-proxy's CLUSTER-IP does the same for services). */
  snat: 'SNAT',
} as const;

/** Every set and chain name lvslab generates, without the prefix: a blocklist may not be named so. */
export const GENERATED_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(KUBE_CHAINS),
  ...KUBE_SETS.map(([suffix]) => suffix),
  ...Object.values(LVSLAB_CHAINS),
  ...Object.values(LVSLAB_SETS),
]);

/** `names` with `prefix` in front of each. */
export function prefixed<K extends string>(prefix: string, names: Readonly<Record<K, string>>): Record<K, string> {
  return Object.fromEntries(Object.entries<string>(names).map(([key, name]) => [key, `${prefix}${name}`])) as Record<K, string>;
}

/** kubelet's drop mark (KUBE-MARK-DROP, kubelet < 1.28: kubeletRules legacy). */
export const KUBELET_DROP_MARK = 0x8000;

/**
 * The dummy link lvslab creates and deletes: "lvslab" and up to 9 more lowercase letters, digits or
 * '-' (15 characters, the kernel's limit). A fixed stem, so it is never a host's interface (eth0, lo)
 * nor a word `ip` reads as a keyword (up, dev, type, help…).
 */
export const LVSLAB_INTERFACE = /^lvslab[a-z0-9-]{0,9}$/;
/** kube-proxy's fixed dummy link; lvslab takes it only in kube mode (a lab with services), like prefix KUBE-. */
export const KUBE_INTERFACE = 'kube-ipvs0';

/**
 * Prefixes other programs give their chains and sets on a shared host. lvslab owns every set and chain
 * whose name starts with the lab's prefix, so a prefix that starts with one of these would take (and
 * delete) their objects. Compared in upper case, with '_' as '-' (calico writes cali-, libvirt LIBVIRT_).
 */
export const FOREIGN_PREFIXES: readonly { readonly stem: string; readonly owner: string }[] = [
  { stem: 'KUBE-', owner: 'kube-proxy, kubelet and kube-router (KUBE-SERVICES, KUBE-FIREWALL, KUBE-ROUTER-INPUT)' },
  { stem: 'DOCKER-', owner: 'Docker (DOCKER-USER, DOCKER-ISOLATION-STAGE-1, DOCKER-FORWARD)' },
  { stem: 'CILIUM-', owner: 'Cilium (CILIUM_INPUT, CILIUM_FORWARD, cilium_node_set_v4)' },
  { stem: 'CALI-', owner: 'Calico (cali-INPUT, cali-FORWARD, cali-fw-…)' },
  { stem: 'FELIX-', owner: "Calico's Felix (felix-…)" },
  { stem: 'FLANNEL-', owner: 'flannel (FLANNEL-FWD, FLANNEL-POSTRTG)' },
  { stem: 'WEAVE-', owner: 'Weave Net (WEAVE-NPC, WEAVE-EXPOSE)' },
  { stem: 'ANTREA-', owner: 'Antrea (ANTREA-POSTROUTING, ANTREA-FORWARD)' },
  { stem: 'ISTIO-', owner: 'Istio (ISTIO_INBOUND, ISTIO_REDIRECT)' },
  { stem: 'CNI-', owner: 'the CNI plugins of containerd and podman (CNI-FORWARD, CNI-HOSTPORT-DNAT)' },
  { stem: 'NETAVARK-', owner: "podman's netavark (NETAVARK_FORWARD, NETAVARK-1D87…)" },
  { stem: 'LIBVIRT-', owner: 'libvirt (LIBVIRT_INP, LIBVIRT_FWO, LIBVIRT_PRT)' },
  { stem: 'F2B-', owner: 'fail2ban (f2b-sshd chains and sets)' },
  { stem: 'UFW-', owner: 'ufw (ufw-before-input, ufw-user-input)' },
  { stem: 'UFW6-', owner: 'ufw (ufw6-before-input)' },
  { stem: 'NOVA-', owner: 'OpenStack nova (nova-compute-…, nova-filter-top)' },
  { stem: 'NEUTRON-', owner: 'OpenStack neutron (neutron-openvswi-…, neutron-filter-top)' },
  { stem: 'TS-', owner: 'Tailscale (ts-input, ts-forward, ts-postrouting)' },
  { stem: 'CROWDSEC-', owner: 'CrowdSec (CROWDSEC_CHAIN, crowdsec-blacklists)' },
];

const normal = (name: string): string => name.toUpperCase().replaceAll('_', '-');

/** The program whose names `prefix` would take, if any. */
export function foreignOwner(prefix: string): { readonly stem: string; readonly owner: string } | undefined {
  return FOREIGN_PREFIXES.find((f) => normal(prefix).startsWith(f.stem));
}
