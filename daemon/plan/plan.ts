/**
 * plan: the lab definition and one node's name → everything that node's kernel must hold (pure).
 * Rules are written in iptables-save's normal form so that a converged node diffs to nothing.
 */
import type { LabConfig, NodeConfig, VirtualServerConfig } from '../config/types.js';
import { emptyState, type Chain, type IpSet, type JumpRule, type KernelState, type Route, type Sysctl, type VirtualService } from '../kernel/types.js';
import { blocklistSetName, chainNames, jumpComment, setNames } from './names.js';
import { plannedRealServers, type HealthView } from './real-servers.js';
import { connReuseSysctl, planKube, type KubePlan } from './kube.js';
import { markMasqRules, postroutingRules } from './masquerade.js';
import { hashSetOptions } from './set-size.js';

/** A service the daemon itself runs on this node (the real servers' built-in backend). */
export interface Backend {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
}

export interface NodePlan {
  readonly node: NodeConfig;
  readonly desired: KernelState;
  readonly backends: readonly Backend[];
  /** Kernel modules the node needs before its state can be written. */
  readonly modules: readonly string[];
}

/** What the daemon knows at run time and the lab file does not say. */
export interface PlanRuntime {
  /** The health monitor's snapshot: an unhealthy real server is inhibited or removed (real-servers.ts). */
  readonly health?: HealthView;
  /** `uname -r` of the node's kernel: kube-proxy's conn_reuse_mode rule depends on it (kube.ts). */
  readonly kernelRelease?: string;
}

export const DIRECTOR_SYSCTLS: readonly Sysctl[] = [
  { key: 'net.ipv4.ip_forward', value: '1' },
  { key: 'net.ipv4.vs.conntrack', value: '1' },
  { key: 'net.ipv4.vs.expire_nodest_conn', value: '1' },
  { key: 'net.ipv4.vs.expire_quiescent_template', value: '1' },
];

/**
 * A director that balances nothing (no virtual server, no service, no IPVS timeouts: a blocklist
 * alone) needs no IPVS: no ip_vs module, no net.ipv4.vs sysctls and no dummy link for VIPs, so that
 * it applies on a kernel without IPVS or dummy links (scripts/bench/blocklist.sh holds its blocklist
 * in a namespace of this machine).
 */
const needsIpvs = (lab: LabConfig): boolean => lab.virtualServers.length > 0 || lab.services.length > 0 || lab.ipvsTimeouts !== undefined;

export function findNode(lab: LabConfig, name: string): NodeConfig {
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`node '${name}' is not in lab '${lab.lab}' (nodes: ${lab.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

export const directorOf = (lab: LabConfig): NodeConfig => {
  const director = lab.nodes.find((n) => n.role === 'director');
  if (!director) throw new Error(`lab '${lab.lab}' has no director`);
  return director;
};

/**
 * The address clients route the VIPs through and NAT real servers answer through: the director's, or
 * in an HA lab the floating address keepalived keeps on the master.
 */
export const gatewayOf = (lab: LabConfig): string => lab.ha?.floatingIp ?? directorOf(lab).ip;

export function planNode(lab: LabConfig, nodeName: string, runtime: PlanRuntime = {}): NodePlan {
  const node = findNode(lab, nodeName);
  switch (node.role) {
    case 'director':
      return { node, desired: planDirector(lab, runtime), backends: [], modules: needsIpvs(lab) ? ['ip_vs'] : [] };
    case 'real-server':
      // no modules: a TUN real server's `ip link add … type ipip` makes the kernel load ipip itself
      // (rtnl-link-ipip), which also works under lvslabd's unit, where ProtectKernelModules= forbids modprobe
      return { node, desired: planRealServer(lab, node), backends: backendsOf(lab, node), modules: [] };
    case 'client':
      return { node, desired: planClient(lab), backends: [], modules: [] };
  }
}

function planDirector(lab: LabConfig, runtime: PlanRuntime): KernelState {
  const director = directorOf(lab);
  const kube = lab.services.length > 0 ? planKube(lab, director) : undefined;
  const { chains, jumps } = kube === undefined ? snatChains(lab) : kubeWithSnat(lab, kube);
  const ipsets: IpSet[] = [...(kube?.ipsets ?? []), ...snatSet(lab), ...blocklistSets(lab)];
  if (lab.blocklists.length > 0) {
    chains.push(blocklistChain(lab));
    jumps.push({ table: 'filter', chain: 'INPUT', rule: `-m comment --comment ${jumpComment(lab)} -j ${chainNames(lab).input}` });
  }
  // DR and TUN need no nat rule, and a namespace without one keeps no conntrack entry: this makes the
  // director's half of the connection (the request direction only) show in conntrack -L
  if (lab.virtualServers.some((vs) => vs.forwarding !== 'nat')) {
    chains.push(conntrackChain(lab));
    jumps.push({ table: 'filter', chain: 'INPUT', rule: `-m comment --comment ${jumpComment(lab)} -j ${chainNames(lab).conntrack}` });
  }
  return {
    sysctls: !needsIpvs(lab) ? DIRECTOR_SYSCTLS.filter((s) => !s.key.startsWith('net.ipv4.vs.'))
      : kube === undefined ? DIRECTOR_SYSCTLS : [...DIRECTOR_SYSCTLS, ...connReuseSysctl(runtime.kernelRelease)],
    // in an HA lab the VIPs are keepalived's: it adds them on the master only (ha/keepalived-conf.ts)
    links: needsIpvs(lab) && lab.ha === undefined ? [{ name: lab.interface, up: false }] : [],
    addresses: lab.ha !== undefined ? []
      : unique([...lab.virtualServers.map((vs) => vs.vip), ...(kube?.clusterIPs ?? [])]).map((ip) => ({ dev: lab.interface, cidr: `${ip}/32` })),
    routes: [],
    ipsets,
    chains,
    jumps,
    ipvs: [...lab.virtualServers.map((vs) => virtualService(lab, vs, runtime)), ...(kube?.ipvs ?? [])],
    // without the key the node's own timeouts are neither read nor written
    ...(lab.ipvsTimeouts === undefined ? {} : { ipvsTimeouts: lab.ipvsTimeouts }),
  };
}

/**
 * The virtual servers that need SNAT, as one `hash:ip,port` set of `VIP,tcp:PORT` entries matched by one
 * rule (kube-proxy's KUBE-CLUSTER-IP): a new connection costs one hash lookup however many there are,
 * where a rule per virtual server would cost a walk of all of them.
 */
function snatSet(lab: LabConfig): IpSet[] {
  const entries = unique(lab.virtualServers.filter((vs) => vs.snat).map(snatEntry));
  if (entries.length === 0) return [];
  return [{ name: setNames(lab).snat, type: 'hash:ip,port', options: hashSetOptions(entries.length), entries }];
}

/** A virtual server's entry in the SNAT set, as `ipset save` prints it: 10.10.0.1,tcp:8410. */
export const snatEntry = (vs: Pick<VirtualServerConfig, 'vip' | 'protocol' | 'port'>): string => `${vs.vip},${vs.protocol}:${vs.port}`;

/** The one rule that marks, in the services chain, what the SNAT set holds (none when it is empty). */
function snatRules(lab: LabConfig): string[] {
  if (!lab.virtualServers.some((vs) => vs.snat)) return [];
  const comment = '-m comment --comment "lvslab: virtual servers that need SNAT"';
  return [`${comment} -m set --match-set ${setNames(lab).snat} dst,dst -j ${chainNames(lab).markMasq}`];
}

/**
 * LVS mode: mark what needs SNAT in PREROUTING/OUTPUT, masquerade it in POSTROUTING (as kube-proxy does).
 * An HA lab SNATs to the floating address instead: the real servers answer an address that is always on
 * the master, so their replies reach whichever director holds the connection after a failover.
 */
function snatChains(lab: LabConfig): { chains: Chain[]; jumps: JumpRule[] } {
  const names = chainNames(lab);
  const comment = jumpComment(lab);
  const rules = snatRules(lab);
  if (rules.length === 0) return { chains: [], jumps: [] };
  return {
    chains: [
      { table: 'nat', name: names.services, rules },
      { table: 'nat', name: names.markMasq, rules: markMasqRules(lab.masqueradeMark) },
      {
        table: 'nat',
        name: names.postrouting,
        rules: postroutingRules(lab.masqueradeMark, lab.ha === undefined
          ? '-m comment --comment "lvslab: masquerade toward real servers" -j MASQUERADE'
          : `-m comment --comment "lvslab: SNAT to the floating address toward real servers" -j SNAT --to-source ${lab.ha.floatingIp}`),
      },
    ],
    jumps: [
      { table: 'nat', chain: 'PREROUTING', rule: `-m comment --comment ${comment} -j ${names.services}` },
      { table: 'nat', chain: 'OUTPUT', rule: `-m comment --comment ${comment} -j ${names.services}` },
      { table: 'nat', chain: 'POSTROUTING', rule: `-m comment --comment ${comment} -j ${names.postrouting}` },
    ],
  };
}

/**
 * kube-proxy mode: its chains already mark and masquerade; virtual servers that need SNAT add their
 * marking rule at the end of the services chain (after kube-proxy's, which never match a VIP).
 */
function kubeWithSnat(lab: LabConfig, kube: KubePlan): { chains: Chain[]; jumps: JumpRule[] } {
  const names = chainNames(lab);
  const snat = snatRules(lab);
  const chains = kube.chains.map((c) => (c.table === 'nat' && c.name === names.services ? { ...c, rules: [...c.rules, ...snat] } : c));
  return { chains, jumps: [...kube.jumps] };
}

const blocklistSets = (lab: LabConfig): IpSet[] =>
  lab.blocklists.map((b) => ({
    name: blocklistSetName(lab, b.name),
    type: b.type,
    options: hashSetOptions(b.entries.length),
    entries: [...b.entries], // unique and as ipset prints them (config/types.ts BlocklistConfig)
  }));

function blocklistChain(lab: LabConfig): Chain {
  return {
    table: 'filter',
    name: chainNames(lab).input,
    rules: lab.blocklists.map((b) => {
      const port = b.protocol ? `-p ${b.protocol} ` + (b.port ? `-m ${b.protocol} --dport ${b.port} ` : '') : '';
      return `${port}-m set --match-set ${blocklistSetName(lab, b.name)} ${b.match} -m comment --comment "lvslab: blocklist ${b.name}" -j DROP`;
    }),
  };
}

/** One virtual server's IPVS service as the director should hold it (what a health transition rewrites). */
export function virtualService(lab: LabConfig, vs: VirtualServerConfig, runtime: PlanRuntime): VirtualService {
  return {
    protocol: vs.protocol,
    address: vs.vip,
    port: vs.port,
    scheduler: vs.scheduler,
    ...(vs.persistence !== undefined ? { persistence: vs.persistence } : {}),
    realServers: plannedRealServers(lab, vs, runtime.health),
  };
}

/** The lab's real servers of `vs` and its sorry server: every node that may receive its traffic. */
export const receiversOf = (vs: VirtualServerConfig): readonly { readonly node: string; readonly port: number }[] =>
  vs.sorryServer === undefined ? vs.realServers : [...vs.realServers, vs.sorryServer];

function servedBy(lab: LabConfig, node: NodeConfig): VirtualServerConfig[] {
  return lab.virtualServers.filter((vs) => receiversOf(vs).some((rs) => rs.node === node.name));
}

/** The sysctls a real server that holds VIPs needs: never answer or announce ARP for them on the lab segment. */
const ARP_SYSCTLS: readonly Sysctl[] = [
  { key: 'net.ipv4.conf.all.arp_ignore', value: '1' },
  { key: 'net.ipv4.conf.all.arp_announce', value: '2' },
];

/**
 * A real server's part: a route back through the director for NAT without SNAT; for DR and TUN the
 * VIPs held locally on lab.interface, never answered for by ARP (arp_ignore=1, arp_announce=2: the
 * real servers share the director's segment, in DR by necessity). TUN makes lab.interface an ipip
 * device bound to the node's address, which decapsulates what the director sends it, and turns off
 * reverse-path filtering there (the decapsulated packet's source, the client, routes out of another
 * device; the kernel applies the larger of all's and the device's rp_filter).
 */
function planRealServer(lab: LabConfig, node: NodeConfig): KernelState {
  const gateway = gatewayOf(lab);
  const clients = lab.nodes.filter((n) => n.role === 'client');
  const served = servedBy(lab, node);
  // Gateway mode: without SNAT a NAT real server must answer the client through the director.
  const needsGateway = served.some((vs) => vs.forwarding === 'nat' && !vs.snat);
  const routes: Route[] = needsGateway ? clients.map((c) => ({ dst: `${c.ip}/32`, via: gateway })) : [];
  const vips = unique(served.filter((vs) => vs.forwarding !== 'nat').map((vs) => vs.vip));
  if (vips.length === 0) return { ...emptyState, routes };
  const tun = tunnels(lab, node);
  const rpFilter: Sysctl[] = tun
    ? [{ key: 'net.ipv4.conf.all.rp_filter', value: '0' }, { key: `net.ipv4.conf.${lab.interface}.rp_filter`, value: '0' }]
    : [];
  return {
    ...emptyState,
    sysctls: [...ARP_SYSCTLS, ...rpFilter],
    links: [{ name: lab.interface, up: true, ...(tun ? { ipipLocal: node.ip } : {}) }],
    addresses: vips.map((vip) => ({ dev: lab.interface, cidr: `${vip}/32` })),
    routes,
  };
}

/** Does the director reach this real server by IP-in-IP (a virtual server of it forwards by tun)? */
const tunnels = (lab: LabConfig, node: NodeConfig): boolean => servedBy(lab, node).some((vs) => vs.forwarding === 'tun');

function backendsOf(lab: LabConfig, node: NodeConfig): Backend[] {
  const wanted: Backend[] = [
    ...servedBy(lab, node).flatMap((vs) => receiversOf(vs).filter((r) => r.node === node.name).map((r) => ({ protocol: vs.protocol, port: r.port }))),
    ...lab.services.flatMap((svc) => svc.endpoints.filter((e) => e.node === node.name).map((e) => ({ protocol: svc.protocol, port: e.port }))),
  ];
  const seen = new Set<string>();
  return wanted.filter((b) => {
    const key = `${b.protocol}/${b.port}`;
    const first = !seen.has(key);
    seen.add(key);
    return first;
  });
}

/** A namespace keeps no conntrack entries until something uses conntrack: this rule does. */
const conntrackChain = (lab: LabConfig): Chain => ({
  table: 'filter',
  name: chainNames(lab).conntrack,
  rules: ['-m conntrack --ctstate NEW -m comment --comment "lvslab: keep conntrack on so flows show in conntrack -L" -j RETURN'],
});

function planClient(lab: LabConfig): KernelState {
  const gateway = gatewayOf(lab);
  const names = chainNames(lab);
  return {
    ...emptyState,
    routes: unique(lab.virtualServers.map((vs) => vs.vip)).map((vip) => ({ dst: `${vip}/32`, via: gateway })),
    chains: [conntrackChain(lab)],
    jumps: [{ table: 'filter', chain: 'OUTPUT', rule: `-m comment --comment ${jumpComment(lab)} -j ${names.conntrack}` }],
  };
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
