/**
 * kube-proxy's IPVS mode on the director (pure): the lab's services → kube-proxy's own sets, chains,
 * jump rules, IPVS services and service addresses, rule for rule as kube-proxy (1.29+) and kubelet
 * write them (pkg/proxy/ipvs/proxier.go: writeIptablesRules, acceptIPVSTraffic, ipsetWithIptablesChain;
 * ../shared/reference/kube-ipvs-rules.md). Names take the lab's prefix, so prefix KUBE- gives
 * kube-proxy's own names. Rules are in iptables-save's normal form.
 */
import type { KubeletRules, LabConfig, NodeConfig, Protocol, ServiceConfig } from '../config/types.js';
import type { Chain, IpSet, JumpRule, RealServer, Sysctl, VirtualService } from '../kernel/types.js';
import { markMasqRules, postroutingRules } from './masquerade.js';
import { hexMark } from './names.js';
import { KUBELET_DROP_MARK, KUBE_CHAINS, KUBE_SETS, prefixed } from '../config/reserved.js';
import { IPSET_DEFAULT_HASHSIZE, IPSET_DEFAULT_MAXELEM } from './set-size.js';

/** kube-proxy's object names with the lab's prefix (the bare names: config/reserved.ts). */
export const kubeNames = (prefix: string) => ({
  ...prefixed(prefix, KUBE_CHAINS),
  clusterIPSet: `${prefix}CLUSTER-IP`,
  ipvsIPsSet: `${prefix}IPVS-IPS`,
  nodePortSet: (protocol: Protocol) => `${prefix}NODE-PORT-${protocol.toUpperCase()}`,
  healthCheckNodePortSet: `${prefix}HEALTH-CHECK-NODE-PORT`,
});

/** kube-proxy's sets keep ipset's default size, as kube-proxy creates them (its reference dump says so). */
const HASH = { family: 'inet', hashsize: String(IPSET_DEFAULT_HASHSIZE), maxelem: String(IPSET_DEFAULT_MAXELEM) } as const;
const BITMAP = { range: '0-65535' } as const;

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];

export interface KubePlan {
  readonly ipsets: IpSet[];
  readonly chains: Chain[];
  readonly jumps: JumpRule[];
  readonly ipvs: VirtualService[];
  /** Cluster IPs, held as /32 on the lab's dummy link. */
  readonly clusterIPs: string[];
}

/** The sets with their members: cluster IP + port, node ports per protocol, the cluster IPs. */
function kubeSets(lab: LabConfig): IpSet[] {
  const names = kubeNames(lab.prefix);
  const entries = new Map<string, string[]>([
    [names.clusterIPSet, lab.services.map((s) => `${s.clusterIP},${s.protocol}:${s.port}`)],
    [names.ipvsIPsSet, unique(lab.services.map((s) => s.clusterIP))],
    ...PROTOCOLS.map((p): [string, string[]] => [names.nodePortSet(p), nodePortsOf(lab.services, p).map(String)]),
  ]);
  return KUBE_SETS.map(([suffix, type]) => {
    const name = `${lab.prefix}${suffix}`;
    return { name, type, options: type.startsWith('bitmap:') ? BITMAP : HASH, entries: entries.get(name) ?? [] };
  });
}

const nodePortsOf = (services: readonly ServiceConfig[], protocol: Protocol): number[] =>
  services.filter((s) => s.protocol === protocol && s.nodePort !== undefined).map((s) => s.nodePort as number);

function natChains(lab: LabConfig, sets: readonly IpSet[]): Chain[] {
  const n = kubeNames(lab.prefix);
  const hasEntries = (name: string): boolean => (sets.find((s) => s.name === name)?.entries.length ?? 0) > 0;
  const clusterIPs = hasEntries(n.clusterIPSet);
  const chains: Chain[] = [
    {
      table: 'nat',
      name: n.services,
      rules: [
        '-s 127.0.0.0/8 -j RETURN',
        ...(clusterIPs
          ? [`-m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set ${n.clusterIPSet} src,dst -j ${n.markMasq}`]
          : []),
        `-m addrtype --dst-type LOCAL -j ${n.nodePort}`,
        ...(clusterIPs ? [`-m set --match-set ${n.clusterIPSet} dst,dst -j ACCEPT`] : []),
      ],
    },
    {
      table: 'nat',
      name: n.nodePort,
      rules: PROTOCOLS.filter((p) => hasEntries(n.nodePortSet(p))).map(
        (p) =>
          `-p ${p} -m comment --comment "Kubernetes nodeport ${p.toUpperCase()} port for masquerade purpose" -m set --match-set ${n.nodePortSet(p)} dst -j ${n.markMasq}`,
      ),
    },
    { table: 'nat', name: n.loadBalancer, rules: [`-j ${n.markMasq}`] },
    { table: 'nat', name: n.markMasq, rules: markMasqRules(lab.masqueradeMark) },
    {
      table: 'nat',
      name: n.postrouting,
      rules: postroutingRules(lab.masqueradeMark, '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully'),
    },
  ];
  return chains;
}

function filterChains(lab: LabConfig): Chain[] {
  const n = kubeNames(lab.prefix);
  const mark = hexMark(lab.masqueradeMark);
  const returnFor = (suffix: string, match: string): string => `-m set --match-set ${lab.prefix}${suffix} ${match} -j RETURN`;
  return [
    {
      table: 'filter',
      name: n.forward,
      rules: [
        `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
        '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
    },
    {
      table: 'filter',
      name: n.ipvsFilter,
      rules: [
        returnFor('LOAD-BALANCER', 'dst,dst'),
        returnFor('CLUSTER-IP', 'dst,dst'),
        returnFor('EXTERNAL-IP', 'dst,dst'),
        returnFor('EXTERNAL-IP-LOCAL', 'dst,dst'),
        returnFor('HEALTH-CHECK-NODE-PORT', 'dst'),
        `-m conntrack --ctstate NEW -m set --match-set ${n.ipvsIPsSet} dst -j REJECT --reject-with icmp-port-unreachable`,
      ],
    },
    { table: 'filter', name: n.ipvsOutFilter, rules: [] },
    {
      table: 'filter',
      name: n.nodePort,
      rules: [`-m comment --comment "Kubernetes health check node port" -m set --match-set ${n.healthCheckNodePortSet} dst -j ACCEPT`],
    },
    { table: 'filter', name: n.proxyFirewall, rules: [] },
    { table: 'filter', name: n.sourceRangesFirewall, rules: ['-j DROP'] },
  ];
}

/** kubelet's rules (pkg/kubelet/kubelet_network_linux.go): before 1.28 (legacy), since (current), or none. */
function kubeletChains(lab: LabConfig, rules: KubeletRules): Chain[] {
  if (rules === 'none') return [];
  const n = kubeNames(lab.prefix);
  const drop = hexMark(KUBELET_DROP_MARK);
  const localnet =
    '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';
  if (rules === 'current') return [{ table: 'filter', name: n.firewall, rules: [localnet] }];
  return [
    { table: 'nat', name: n.markDrop, rules: [`-j MARK --set-xmark ${drop}/${drop}`] },
    {
      table: 'filter',
      name: n.firewall,
      rules: [`-m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark ${drop}/${drop} -j DROP`, localnet],
    },
  ];
}

/** Jumps from the built-in chains, in the order kube-proxy (prepending) and kubelet leave them. */
function kubeJumps(lab: LabConfig): JumpRule[] {
  const n = kubeNames(lab.prefix);
  const kubelet = lab.serviceMode.kubeletRules !== 'none';
  const jump = (table: JumpRule['table'], chain: string, comment: string | undefined, target: string): JumpRule => ({
    table,
    chain,
    rule: `${comment === undefined ? '' : `-m comment --comment "${comment}" `}-j ${target}`,
  });
  return [
    jump('nat', 'PREROUTING', 'kubernetes service portals', n.services),
    jump('nat', 'OUTPUT', 'kubernetes service portals', n.services),
    jump('nat', 'POSTROUTING', 'kubernetes postrouting rules', n.postrouting),
    jump('filter', 'INPUT', 'kubernetes ipvs access filter', n.ipvsFilter),
    jump('filter', 'INPUT', 'kube-proxy firewall rules', n.proxyFirewall),
    jump('filter', 'INPUT', 'kubernetes health check rules', n.nodePort),
    ...(kubelet ? [jump('filter', 'INPUT', undefined, n.firewall)] : []),
    jump('filter', 'FORWARD', 'kube-proxy firewall rules', n.proxyFirewall),
    jump('filter', 'FORWARD', 'kubernetes forwarding rules', n.forward),
    jump('filter', 'OUTPUT', 'kubernetes ipvs access filter', n.ipvsOutFilter),
    ...(kubelet ? [jump('filter', 'OUTPUT', undefined, n.firewall)] : []),
  ];
}

/** A service's IPVS services: on its cluster IP, and for NodePort on the director's address too. */
function serviceIpvs(lab: LabConfig, director: NodeConfig, svc: ServiceConfig): VirtualService[] {
  const ipOf = new Map(lab.nodes.map((n) => [n.name, n.ip]));
  const realServers: RealServer[] = svc.endpoints.map((e) => ({ address: ipOf.get(e.node) ?? e.node, port: e.port, forwarding: 'nat', weight: 1 }));
  const base = {
    protocol: svc.protocol,
    scheduler: svc.scheduler,
    ...(svc.affinityTimeout === undefined ? {} : { persistence: svc.affinityTimeout }),
    realServers,
  };
  return [
    { ...base, address: svc.clusterIP, port: svc.port },
    ...(svc.nodePort === undefined ? [] : [{ ...base, address: director.ip, port: svc.nodePort }]),
  ];
}

export function planKube(lab: LabConfig, director: NodeConfig): KubePlan {
  const ipsets = kubeSets(lab);
  // the order of `iptables-save`: nat chains before filter ones (the diff writes them in this order)
  const kubelet = kubeletChains(lab, lab.serviceMode.kubeletRules);
  return {
    ipsets,
    chains: [...natChains(lab, ipsets), ...kubelet.filter((c) => c.table === 'nat'), ...filterChains(lab), ...kubelet.filter((c) => c.table === 'filter')],
    jumps: kubeJumps(lab),
    ipvs: lab.services.flatMap((svc) => serviceIpvs(lab, director, svc)),
    clusterIPs: unique(lab.services.map((s) => s.clusterIP)),
  };
}

/**
 * kube-proxy sets net.ipv4.vs.conn_reuse_mode=0 only on kernels from 4.1 up to 5.8; on 5.9 and later
 * the kernel's own behaviour is right and the value is left as it is (kubernetes#93297).
 */
export function connReuseSysctl(kernelRelease: string | undefined): Sysctl[] {
  const match = /^(\d+)\.(\d+)/.exec(kernelRelease ?? '');
  if (!match) return [];
  const version = Number(match[1]) * 1000 + Number(match[2]);
  return version >= 4001 && version < 5009 ? [{ key: 'net.ipv4.vs.conn_reuse_mode', value: '0' }] : [];
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
