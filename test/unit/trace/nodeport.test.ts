/** buildTrace on the reference NodePort request: client → 192.168.113.101:30080, answered by rs2 (.98). */
import test from 'ava';
import { buildTrace } from '../../../daemon/trace/index.js';
import { NODEPORT_LISTING, listingDeltas, nodePortInput, walkOf } from './reference.js';

const trace = buildTrace(nodePortInput());
const rules = trace.steps.filter((s) => s.kind === 'rule');

test('the walk is the reference listing in hook order, IPVS after filter INPUT, conntrack last', (t) => {
  t.deepEqual(walkOf(trace.steps), [
    'nat PREROUTING KUBE-SERVICES',
    'nat KUBE-SERVICES KUBE-NODE-PORT',
    'nat KUBE-NODE-PORT KUBE-MARK-MASQ',
    'nat KUBE-MARK-MASQ MARK',
    'filter INPUT KUBE-IPVS-FILTER',
    'filter INPUT KUBE-PROXY-FIREWALL',
    'filter INPUT KUBE-NODE-PORT',
    'filter INPUT KUBE-FIREWALL',
    'ipvs',
    'filter OUTPUT KUBE-IPVS-OUT-FILTER',
    'filter OUTPUT KUBE-FIREWALL',
    'nat POSTROUTING KUBE-POSTROUTING',
    'nat KUBE-POSTROUTING MARK',
    'nat KUBE-POSTROUTING MASQUERADE',
    'filter FORWARD KUBE-PROXY-FIREWALL',
    'filter FORWARD KUBE-FORWARD',
    'filter KUBE-FORWARD ACCEPT',
    'conntrack',
  ]);
  t.deepEqual(trace.steps.map((s) => s.n), Array.from({ length: 18 }, (_, i) => i + 1));
});

test('each rule step has the listing\'s counts and indentation (depth)', (t) => {
  const listed = [...listingDeltas(NODEPORT_LISTING)];
  t.is(rules.length, listed.length);
  const depths = NODEPORT_LISTING.trim().split('\n').map((l) => ((/^\s*\d+\.\s+\w+\s+\S+ \S+ B( *)-A/.exec(l)?.[1] ?? '').length - 1) / 2);
  rules.forEach((s, i) => {
    const [key, [packets, bytes]] = listed[i] ?? ['', [NaN, NaN]];
    t.is(`${s.table} -A ${s.chain} ${s.rule}`, key);
    t.deepEqual([s.packets, s.bytes, s.depth], [packets, bytes, depths[i]], key);
  });
});

test('the IPVS step names the service, its scheduler and the real server conntrack names', (t) => {
  const ipvs = trace.steps.find((s) => s.kind === 'ipvs');
  t.is(ipvs?.explanation, 'IPVS tcp 192.168.113.101:30080 (rr) → 192.168.113.98:8080');
  t.deepEqual([ipvs?.packets, ipvs?.bytes], [6, 405]);
  t.true(ipvs?.notes.some((n) => n.includes('LOCAL_IN') && n.includes('LOCAL_OUT')));
  t.false(ipvs?.notes.some((n) => n.includes('other new connections')));
});

test('explanations: service entry, node address, the set entry that matched, marks, masquerade, ctstate', (t) => {
  const says = (i: number) => rules[i]?.explanation ?? '';
  t.is(says(0), "kube-proxy's entry for service traffic");
  t.is(says(1), "the destination is an address of this node → kube-proxy's node-port rules");
  t.is(says(2), "protocol tcp, matched set KUBE-NODE-PORT-TCP (dst) — which holds 30080 → kube-proxy's masquerade request (marks 0x4000)");
  t.is(says(3), 'marks the packet 0x4000 (masquerade wanted)');
  t.is(says(4), 'kubernetes ipvs access filter (continues in KUBE-IPVS-FILTER)');
  t.regex(says(7), /^kubelet's firewall/);
  t.is(says(9), "kubelet's firewall (drops packets marked 0x8000 and outside access to 127.0.0.0/8)");
  t.is(says(11), 'clears the mark 0x4000 (an xor: it was set)');
  t.is(says(12), "SNAT to the outgoing interface's address, with a fully random source port");
  t.is(says(15), "connection state RELATED,ESTABLISHED → accepts the packet (no further rule of this table at this hook)");
});

test('the conntrack step shows the DNAT to the real server, the masquerade and the mark', (t) => {
  const last = trace.steps.at(-1);
  t.is(last?.kind, 'conntrack');
  t.is(last?.explanation, 'tcp TIME_WAIT 192.168.113.102:40000 → 192.168.113.101:30080, reply 192.168.113.98:8080 → 192.168.113.101:40000, mark=0');
  t.deepEqual(last?.notes.slice(0, 2), [
    'DNAT: the real server 192.168.113.98:8080 answers for 192.168.113.101:30080',
    'masquerade (SNAT): the real server answers 192.168.113.101:40000, the director, not the client 192.168.113.102:40000',
  ]);
  t.is(last?.packets, undefined);
});

test('without conntrack accounting: nat steps are clean, filter steps say they cannot be attributed', (t) => {
  for (const s of rules) {
    if (s.table === 'nat') t.deepEqual(s.notes, [], s.rule);
    else t.deepEqual(s.notes, ['count not attributable (no conntrack accounting)'], s.rule);
  }
  t.deepEqual(trace.otherMoves, []);
  t.like(trace.noise, { otherNewConnections: 0, accounting: false, noisyRules: 0, otherMoves: 0 });
  t.is(trace.noise.summary.length, 1);
  t.regex(trace.noise.summary[0] ?? '', /could not be attributed.*nf_conntrack_acct=1/);
});

test('the request summary, and the trace is plain data (JSON round trip)', (t) => {
  t.deepEqual(trace.request, {
    from: 'client', origin: 'remote', to: { address: '192.168.113.101', port: 30080, protocol: 'tcp' },
    ok: true, answer: 'rs2\n', sourcePort: 40000,
  });
  t.deepEqual(JSON.parse(JSON.stringify(trace)), trace);
});
