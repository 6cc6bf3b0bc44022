/**
 * The director curls the cluster IP itself (constructed by reasoning, not captured): the request starts
 * at nat OUTPUT, where the director's own source (the cluster IP) matches KUBE-CLUSTER-IP src,dst;
 * IPVS takes it at LOCAL_OUT before filter OUTPUT, nat POSTROUTING masquerades it, and the replies
 * come back through filter INPUT.
 */
import test from 'ava';
import { parseConntrackLine } from '../../../daemon/kernel/conntrack/index.js';
import { parseIpsetSave } from '../../../daemon/kernel/ipset/index.js';
import { parseIpvsSave, parseIpvsStats } from '../../../daemon/kernel/ipvs/index.js';
import { buildTrace, renderTrace, type TraceInput } from '../../../daemon/trace/index.js';
import { IPVS_SAVE, SETS, STATE, ipvsStatsText, snapshot, walkOf } from './reference.js';

const nat = (rule: string, n: readonly [number, number] = [1, 60]) => [`nat ${rule}`, n] as const;
const filter = (rule: string, n: readonly [number, number]) => [`filter ${rule}`, n] as const;
const DELTAS = new Map([
  nat('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
  nat('-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ'),
  nat('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000'),
  nat('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT'),
  nat('-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT'),
  nat('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'),
  nat('-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0'),
  nat('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully'),
  filter('-A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER', [6, 405]),
  filter('-A OUTPUT -j KUBE-FIREWALL', [6, 405]),
  filter('-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER', [6, 508]),
  filter('-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL', [6, 508]),
  filter('-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT', [6, 508]),
  filter('-A INPUT -j KUBE-FIREWALL', [6, 508]),
]);

const stats = (conns: number, inPkts: number, outPkts: number) => ipvsStatsText([
  ['TCP  10.108.113.237:80', [conns, inPkts, outPkts, inPkts * 70, outPkts * 85]],
  ['  -> 192.168.113.98:8080', [0, 0, 0, 0, 0]],
  ['  -> 192.168.113.99:8080', [conns, inPkts, outPkts, inPkts * 70, outPkts * 85]],
]);

const input = (origin: 'local' | 'remote'): TraceInput => ({
  from: { node: 'ds', origin },
  to: { address: '10.108.113.237', port: 80, protocol: 'tcp' },
  before: snapshot(STATE),
  after: snapshot(STATE, DELTAS),
  ipvsBefore: parseIpvsStats(stats(0, 0, 0)),
  ipvsAfter: parseIpvsStats(stats(1, 6, 6)),
  ipvsServices: parseIpvsSave(IPVS_SAVE),
  sets: parseIpsetSave(SETS),
  flow: parseConntrackLine('tcp      6 117 TIME_WAIT src=10.108.113.237 dst=10.108.113.237 sport=41000 dport=80 src=192.168.113.99 dst=192.168.113.101 sport=8080 dport=41000 [ASSURED] mark=0 use=1'),
  request: { ok: true, answer: 'rs1' },
});

test('local ClusterIP: OUTPUT → KUBE-SERVICES → (KUBE-CLUSTER-IP src,dst) KUBE-MARK-MASQ → IPVS at LOCAL_OUT → … → MASQUERADE', (t) => {
  const trace = buildTrace(input('local'));
  t.deepEqual(walkOf(trace.steps), [
    'nat OUTPUT KUBE-SERVICES',
    'nat KUBE-SERVICES KUBE-MARK-MASQ',
    'nat KUBE-MARK-MASQ MARK',
    'nat KUBE-SERVICES KUBE-NODE-PORT',
    'nat KUBE-SERVICES ACCEPT',
    'ipvs',
    'filter OUTPUT KUBE-IPVS-OUT-FILTER',
    'filter OUTPUT KUBE-FIREWALL',
    'nat POSTROUTING KUBE-POSTROUTING',
    'nat KUBE-POSTROUTING MARK',
    'nat KUBE-POSTROUTING MASQUERADE',
    'filter INPUT KUBE-IPVS-FILTER',
    'filter INPUT KUBE-PROXY-FIREWALL',
    'filter INPUT KUBE-NODE-PORT',
    'filter INPUT KUBE-FIREWALL',
    'conntrack',
  ]);
  t.deepEqual(trace.steps.slice(0, 5).map((s) => s.depth), [0, 1, 2, 1, 1]);
  t.deepEqual(trace.otherMoves, []);
});

test('local ClusterIP: the src,dst set names the cluster IP entry, IPVS the real server, conntrack the masquerade', (t) => {
  const trace = buildTrace(input('local'));
  t.is(trace.steps[1]?.explanation,
    "matched set KUBE-CLUSTER-IP (src,dst) — which holds 10.108.113.237,tcp:80 → kube-proxy's masquerade request (marks 0x4000)");
  t.is(trace.steps[4]?.explanation,
    'matched set KUBE-CLUSTER-IP (dst,dst) — which holds 10.108.113.237,tcp:80 → accepts the packet (no further rule of this table at this hook)');
  const ipvs = trace.steps[5];
  t.is(ipvs?.explanation, 'IPVS tcp 10.108.113.237:80 (rr) → 192.168.113.99:8080');
  t.regex(ipvs?.notes[0] ?? '', /LOCAL_OUT \(after nat OUTPUT\)/);
  t.regex(trace.steps.at(-1)?.notes[1] ?? '', /^masquerade \(SNAT\): the real server answers 192\.168\.113\.101:41000/);
  t.regex(renderTrace(trace), /^trace ds \(local\) → tcp 10\.108\.113\.237:80 from port 41000: ok, answer "rs1"$/m);
});

test('the same counters read as a remote request: nat OUTPUT and what only it reached are other moves', (t) => {
  const trace = buildTrace(input('remote'));
  t.deepEqual(trace.otherMoves.map((m) => `${m.table} ${m.chain} ${m.index}: ${m.reason}`), [
    "nat OUTPUT 0: nat OUTPUT is not on this request's path",
    "nat KUBE-MARK-MASQ 0: nat KUBE-MARK-MASQ was reached only from KUBE-SERVICES, not on this request's path",
    "nat KUBE-SERVICES 1: nat KUBE-SERVICES was reached only from OUTPUT, not on this request's path",
    "nat KUBE-SERVICES 2: nat KUBE-SERVICES was reached only from OUTPUT, not on this request's path",
    "nat KUBE-SERVICES 3: nat KUBE-SERVICES was reached only from OUTPUT, not on this request's path",
  ]);
  t.is(trace.noise.otherMoves, 5);
  t.true(trace.noise.summary.includes('5 rules moved for other reasons (listed apart)'));
});

test('amid node-port traffic (as in CI): the node-port rule our packet is not in moves too, and is listed apart, not walked', (t) => {
  // 13 other connections to the node port 30080 while the director traces the cluster IP (CI's run)
  const deltas = new Map(DELTAS);
  deltas.set('nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000', [14, 840]);
  deltas.set('nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT', [14, 840]);
  deltas.set('nat -A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ', [13, 780]);
  const trace = buildTrace({ ...input('local'), after: snapshot(STATE, deltas) });
  t.deepEqual(walkOf(trace.steps), walkOf(buildTrace(input('local')).steps), 'the same walk as without the other traffic');
  t.deepEqual(trace.otherMoves.map((m) => `${m.table} ${m.chain} ${m.index}: ${m.reason}`), [
    'nat KUBE-NODE-PORT 0: our request (tcp 10.108.113.237:41000 → 10.108.113.237:80) does not match `--match-set KUBE-NODE-PORT-TCP dst`: other new connections moved it (nat counts a connection\'s first packet only)',
  ]);
  t.deepEqual(trace.steps[2]?.notes, ["13 other new connections also passed here (nat counts a connection's first packet only)"]);
});
