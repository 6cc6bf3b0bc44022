/**
 * The reference NodePort request (shared/reference/kube-ipvs-rules.md), rebuilt as the snapshots
 * `lvslab trace` takes: the state dump with [0:0] counters before, and after it the same rules with the
 * deltas of the reference's "rules whose counters moved" listing.
 */
import { parseConntrackLine } from '../../../daemon/kernel/conntrack/index.js';
import { parseIptablesSave, type ParsedTable } from '../../../daemon/kernel/iptables/index.js';
import { parseIpsetSave } from '../../../daemon/kernel/ipset/index.js';
import { parseIpvsSave, parseIpvsStats } from '../../../daemon/kernel/ipvs/index.js';
import type { TraceInput } from '../../../daemon/trace/index.js';

/** The reference's state dump, nat and filter, plus the empty raw and mangle tables a director has. */
export const STATE = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-LOAD-BALANCER - [0:0]
:KUBE-MARK-DROP - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ
-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN
-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
COMMIT

*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-IPVS-FILTER - [0:0]
:KUBE-IPVS-OUT-FILTER - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SOURCE-RANGES-FIREWALL - [0:0]
-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN
-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable
-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT
-A KUBE-SOURCE-RANGES-FIREWALL -j DROP
COMMIT
`;

export const SETS = `create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xf80e9c17
create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x3586ad04
add KUBE-CLUSTER-IP 10.108.113.237,tcp:80
create KUBE-EXTERNAL-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xd6bccd3f
create KUBE-EXTERNAL-IP-LOCAL hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xf50c488f
create KUBE-LOAD-BALANCER hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xf9c354e7
create KUBE-LOAD-BALANCER-FW hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xbc6e294e
create KUBE-LOAD-BALANCER-LOCAL hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xb2a8b093
create KUBE-LOAD-BALANCER-SOURCE-IP hash:ip,port,ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x22464629
create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x53f490fe
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
add KUBE-NODE-PORT-TCP 30080
create KUBE-NODE-PORT-LOCAL-TCP bitmap:port range 0-65535
create KUBE-NODE-PORT-UDP bitmap:port range 0-65535
create KUBE-NODE-PORT-LOCAL-UDP bitmap:port range 0-65535
create KUBE-NODE-PORT-SCTP-HASH hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x95da02b7
create KUBE-NODE-PORT-LOCAL-SCTP-HASH hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xe85a4885
create KUBE-HEALTH-CHECK-NODE-PORT bitmap:port range 0-65535
create KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xf9cd5466
add KUBE-IPVS-IPS 10.108.113.237
`;

export const IPVS_SAVE = `-A -t 192.168.113.101:30080 -s rr
-a -t 192.168.113.101:30080 -r 192.168.113.98:8080 -m -w 1
-a -t 192.168.113.101:30080 -r 192.168.113.99:8080 -m -w 1
-A -t 10.108.113.237:80 -s rr
-a -t 10.108.113.237:80 -r 192.168.113.98:8080 -m -w 1
-a -t 10.108.113.237:80 -r 192.168.113.99:8080 -m -w 1
`;

/** The reference listing "One NodePort request, client → 192.168.113.101:30080", verbatim. */
export const NODEPORT_LISTING = `   1. nat    +1 pkt/+60 B -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
   2. nat    +1 pkt/+60 B   -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
   3. nat    +1 pkt/+60 B     -A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
   4. nat    +1 pkt/+60 B       -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
   5. filter +6 pkt/+405 B -A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
   6. filter +6 pkt/+405 B -A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
   7. filter +6 pkt/+405 B -A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
   8. filter +6 pkt/+405 B -A INPUT -j KUBE-FIREWALL
   9. filter +6 pkt/+405 B -A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER
  10. filter +6 pkt/+405 B -A OUTPUT -j KUBE-FIREWALL
  11. nat    +1 pkt/+60 B -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
  12. nat    +1 pkt/+60 B   -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
  13. nat    +1 pkt/+60 B   -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
  14. filter +6 pkt/+508 B -A FORWARD -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
  15. filter +6 pkt/+508 B -A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
  16. filter +6 pkt/+508 B   -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
`;

/** "TABLE -A CHAIN ..." → [packets, bytes]; from a listing like the reference's. */
export type Deltas = ReadonlyMap<string, readonly [number, number]>;

export function listingDeltas(listing: string): Map<string, readonly [number, number]> {
  const out = new Map<string, readonly [number, number]>();
  for (const line of listing.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^\s*\d+\.\s+(\w+)\s+\+(\d+) pkt\/\+(\d+) B\s+(-A .*)$/.exec(line);
    if (m === null) throw new Error(`not a listing line: ${line}`);
    out.set(`${m[1]} ${m[4]}`, [Number(m[2]), Number(m[3])]);
  }
  return out;
}

/** `iptables-save -c` of `state`: every rule [0:0] but those in `deltas` (each must exist: typos fail). */
export function saveWithCounters(state: string, deltas: Deltas = new Map()): string {
  const used = new Set<string>();
  let table = '';
  const lines = state.split('\n').map((line) => {
    if (line.startsWith('*')) table = line.slice(1);
    if (!line.startsWith('-A ')) return line;
    const key = `${table} ${line}`;
    const [packets, bytes] = deltas.get(key) ?? [0, 0];
    if (deltas.has(key)) used.add(key);
    return `[${packets}:${bytes}] ${line}`;
  });
  const missing = [...deltas.keys()].filter((k) => !used.has(k));
  if (missing.length > 0) throw new Error(`no such rule in the state: ${missing.join('; ')}`);
  return lines.join('\n');
}

export const snapshot = (state: string, deltas?: Deltas): ParsedTable[] => parseIptablesSave(saveWithCounters(state, deltas));

const IPVS_HEAD = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
`;

/** Stats text with counts per line: [conns, inPkts, outPkts, inBytes, outBytes]. */
export function ipvsStatsText(rows: readonly (readonly [string, readonly number[]])[]): string {
  return IPVS_HEAD + rows.map(([where, n]) => `${where.padEnd(33)}${n.map((x) => String(x).padStart(9)).join('')}`).join('\n') + '\n';
}

/** The director's IPVS stats before the NodePort request: 4 earlier connections, 2 per real server. */
export const NODEPORT_IPVS_BEFORE = ipvsStatsText([
  ['TCP  192.168.113.101:30080', [4, 24, 24, 1620, 2032]],
  ['  -> 192.168.113.98:8080', [2, 12, 12, 810, 1016]],
  ['  -> 192.168.113.99:8080', [2, 12, 12, 810, 1016]],
  ['TCP  10.108.113.237:80', [0, 0, 0, 0, 0]],
  ['  -> 192.168.113.98:8080', [0, 0, 0, 0, 0]],
  ['  -> 192.168.113.99:8080', [0, 0, 0, 0, 0]],
]);

/** After: one more connection, to .98, 6 packets each way (the bytes of filter INPUT and FORWARD). */
export const NODEPORT_IPVS_AFTER = ipvsStatsText([
  ['TCP  192.168.113.101:30080', [5, 30, 30, 2025, 2540]],
  ['  -> 192.168.113.98:8080', [3, 18, 18, 1215, 1524]],
  ['  -> 192.168.113.99:8080', [2, 12, 12, 810, 1016]],
  ['TCP  10.108.113.237:80', [0, 0, 0, 0, 0]],
  ['  -> 192.168.113.98:8080', [0, 0, 0, 0, 0]],
  ['  -> 192.168.113.99:8080', [0, 0, 0, 0, 0]],
]);

export const NODEPORT_FLOW = 'tcp      6 117 TIME_WAIT src=192.168.113.102 dst=192.168.113.101 sport=40000 dport=30080 src=192.168.113.98 dst=192.168.113.101 sport=8080 dport=40000 [ASSURED] mark=0 use=1';
/** The same flow as conntrack prints it with net.netfilter.nf_conntrack_acct=1. */
export const NODEPORT_FLOW_ACCT = 'tcp      6 117 TIME_WAIT src=192.168.113.102 dst=192.168.113.101 sport=40000 dport=30080 packets=6 bytes=405 src=192.168.113.98 dst=192.168.113.101 sport=8080 dport=40000 packets=6 bytes=508 [ASSURED] mark=0 use=1';

/** The reference NodePort request as buildTrace's input; `deltas` and `flow` can be swapped for noise cases. */
export function nodePortInput(deltas: Deltas = listingDeltas(NODEPORT_LISTING), flow: string | undefined = NODEPORT_FLOW): TraceInput {
  return {
    from: { node: 'client', origin: 'remote' },
    to: { address: '192.168.113.101', port: 30080, protocol: 'tcp' },
    before: snapshot(STATE),
    after: snapshot(STATE, deltas),
    ipvsBefore: parseIpvsStats(NODEPORT_IPVS_BEFORE),
    ipvsAfter: parseIpvsStats(NODEPORT_IPVS_AFTER),
    ipvsServices: parseIpvsSave(IPVS_SAVE),
    sets: parseIpsetSave(SETS),
    ...(flow === undefined ? {} : { flow: parseConntrackLine(flow) }),
    request: { ok: true, answer: 'rs2\n', sourcePort: 40000 },
  };
}

/** (table, chain, target) of each step; ipvs and conntrack steps by kind. */
export const walkOf = (steps: readonly { kind: string; table?: string; chain?: string; target?: string }[]): string[] =>
  steps.map((s) => (s.kind === 'rule' ? `${s.table} ${s.chain} ${s.target ?? '-'}` : s.kind));
