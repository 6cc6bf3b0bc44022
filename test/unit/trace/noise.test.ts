/** Other traffic during the traced request: said per rule and in the summary, never silently. */
import test from 'ava';
import { parseIpvsStats } from '../../../daemon/kernel/ipvs/index.js';
import { buildTrace } from '../../../daemon/trace/index.js';
import { NODEPORT_FLOW_ACCT, NODEPORT_LISTING, ipvsStatsText, listingDeltas, nodePortInput, walkOf } from './reference.js';

const REFERENCE_WALK = walkOf(buildTrace(nodePortInput()).steps);

function deltas(changes: Record<string, readonly [number, number]>) {
  const out = listingDeltas(NODEPORT_LISTING);
  for (const [key, value] of Object.entries(changes)) out.set(key, value);
  return out;
}

test('a nat rule that moved by 3: two other new connections passed it', (t) => {
  const trace = buildTrace(nodePortInput(deltas({
    'nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES': [3, 180],
    'nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT': [2, 120],
  })));
  t.deepEqual(walkOf(trace.steps), REFERENCE_WALK);
  t.deepEqual(trace.steps[0]?.notes, ["2 other new connections also passed here (nat counts a connection's first packet only)"]);
  t.deepEqual(trace.steps[1]?.notes, ["1 other new connection also passed here (nat counts a connection's first packet only)"]);
  t.deepEqual(trace.steps[2]?.notes, []);
  t.is(trace.noise.otherNewConnections, 2);
  t.is(trace.noise.summary[0], 'up to 2 other new connections passed the same nat rules during the request');
});

test('rules that moved off the path are listed apart, with why; the walk is unchanged', (t) => {
  const trace = buildTrace(nodePortInput(deltas({
    'nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES': [1, 60],
    'nat -A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ': [1, 60],
    'filter -A KUBE-SOURCE-RANGES-FIREWALL -j DROP': [2, 120],
  })));
  t.deepEqual(walkOf(trace.steps), REFERENCE_WALK);
  t.deepEqual(trace.otherMoves, [
    { table: 'nat', chain: 'OUTPUT', index: 0, rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES', packets: 1, bytes: 60, reason: "nat OUTPUT is not on this request's path" },
    { table: 'nat', chain: 'KUBE-LOAD-BALANCER', index: 0, rule: '-j KUBE-MARK-MASQ', packets: 1, bytes: 60, reason: 'no rule that moved jumps to nat KUBE-LOAD-BALANCER' },
    { table: 'filter', chain: 'KUBE-SOURCE-RANGES-FIREWALL', index: 0, rule: '-j DROP', packets: 2, bytes: 120, reason: 'no rule that moved jumps to filter KUBE-SOURCE-RANGES-FIREWALL' },
  ]);
  t.is(trace.noise.otherMoves, 3);
});

test('with conntrack accounting, a filter rule that moved by more than our 12 packets gets the excess', (t) => {
  const trace = buildTrace(nodePortInput(deltas({ 'filter -A INPUT -j KUBE-FIREWALL': [20, 1500] }), NODEPORT_FLOW_ACCT));
  const noisy = trace.steps.filter((s) => s.notes.some((n) => n.startsWith('at least')));
  t.deepEqual(noisy.map((s) => [s.chain, s.target, s.notes]), [
    ['INPUT', 'KUBE-FIREWALL', ['at least 8 packets from other traffic (our flow has 12)']],
  ]);
  t.true(trace.steps.every((s) => !s.notes.some((n) => n.includes('not attributable'))));
  t.like(trace.noise, { accounting: true, noisyRules: 1, otherNewConnections: 0, otherMoves: 0 });
  t.deepEqual(trace.noise.summary, ['1 filter/mangle/raw rule moved by more packets than our flow has']);
  t.like(trace.steps.at(-1), { kind: 'conntrack', packets: 12, bytes: 913 });
});

test('IPVS: other new connections to the service are counted; conntrack still names our real server', (t) => {
  const busy = parseIpvsStats(ipvsStatsText([
    ['TCP  192.168.113.101:30080', [7, 40, 40, 3000, 3500]],
    ['  -> 192.168.113.98:8080', [3, 18, 18, 1215, 1524]],
    ['  -> 192.168.113.99:8080', [4, 22, 22, 1785, 1976]],
  ]));
  const trace = buildTrace({ ...nodePortInput(), ipvsAfter: busy });
  const ipvs = trace.steps.find((s) => s.kind === 'ipvs');
  t.is(ipvs?.explanation, 'IPVS tcp 192.168.113.101:30080 (rr) → 192.168.113.98:8080');
  t.true(ipvs?.notes.includes('2 other new connections to this service'));
  const { flow: _flow, ...withoutFlow } = nodePortInput();
  const blind = buildTrace({ ...withoutFlow, ipvsAfter: busy }).steps.find((s) => s.kind === 'ipvs');
  t.is(blind?.explanation, 'IPVS tcp 192.168.113.101:30080 (rr) → a real server (unknown)');
  t.true(blind?.notes.some((n) => n.startsWith('2 real servers got new connections')));
});

test('a request that never reached IPVS, without a conntrack entry, says so', (t) => {
  const { flow: _flow, ...rest } = nodePortInput(new Map());
  const trace = buildTrace({ ...rest, ipvsAfter: rest.ipvsBefore, request: { ok: false, error: 'curl exit 28 (timeout)' } });
  t.deepEqual(walkOf(trace.steps), ['ipvs', 'conntrack']);
  t.regex(trace.steps[0]?.explanation ?? '', /^IPVS tcp 192\.168\.113\.101:30080 \(rr\): no new connection/);
  t.deepEqual(trace.steps[1], {
    n: 2, kind: 'conntrack', depth: 0, explanation: 'no conntrack entry of this request found on the director',
    notes: ["the request's source port is unknown, so its entry could not be picked"],
  });
  t.deepEqual(trace.noise.summary, []);
  t.like(trace.request, { ok: false, error: 'curl exit 28 (timeout)' });
});
