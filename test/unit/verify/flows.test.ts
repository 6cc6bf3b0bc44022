import test from 'ava';
import { parseConntrack, type ConntrackFlow } from '../../../daemon/kernel/conntrack/index.js';
import { explainFlows } from '../../../daemon/verify/flows.js';
import { NO_SNAT, type Probe } from '../../../daemon/verify/types.js';
import { fixture, lab, web } from './helpers.js';

const dsFlows = parseConntrack(fixture('conntrack-L-ds.txt'));
const clientFlows = parseConntrack(fixture('conntrack-L-client.txt'));
/** The probes that left the captured flows (the client ports of the capture). */
const probes: Probe[] = [55122, 55134, 55140, 55154].map((localPort, i) => ({ seq: i + 1, ok: true, localPort }));

test('real fixtures: the sport-55122 flow went to rs2 with SNAT from the director', (t) => {
  const { flows, clientFlowsMatched, directorFlowsMatched } = explainFlows(probes, clientFlows, dsFlows, lab, web);
  t.is(clientFlowsMatched, 4);
  t.is(directorFlowsMatched, 4);
  const first = flows.find((f) => f.client === '192.168.113.102:55122');
  t.like(first, {
    seq: 1, virtual: '10.10.0.1:8410', dnat: '192.168.113.98:8080', realServer: 'rs2', snat: '192.168.113.101:55122',
    state: 'TIME_WAIT', seenOnClient: true, seenOnDirector: true,
  });
  t.is(
    first?.text,
    'client 192.168.113.102:55122 → VIP 10.10.0.1:8410: IPVS chose rs2 (DNAT to 192.168.113.98:8080), masquerade made the director 192.168.113.101 the source (SNAT), so rs2 answers the director and the reply maps back to the client',
  );
  t.deepEqual(flows.map((f) => f.realServer), ['rs2', 'rs1', 'rs2', 'rs1']);
});

test('real fixtures: the director\'s own flow (src = VIP) and the client\'s udp flows match no probe', (t) => {
  const own = { seq: 9, ok: true, localPort: 41472 };
  const { flows } = explainFlows([own], clientFlows, dsFlows, lab, web);
  t.deepEqual(flows, []);
});

test('a reply addressed to the client means no SNAT', (t) => {
  const flow = dsFlows.find((f) => f.original.sport === 55122) as ConntrackFlow;
  const direct: ConntrackFlow = { ...flow, state: 'SYN_RECV', unreplied: true, reply: { ...flow.reply, dst: '192.168.113.102' } };
  const [explained] = explainFlows(probes.slice(0, 1), [], [direct], lab, web).flows;
  t.like(explained, { snat: NO_SNAT, realServer: 'rs2', seenOnClient: false, state: 'SYN_RECV' });
  t.regex(explained?.text ?? '', /no SNAT: rs2 answers the client 192\.168\.113\.102 directly.*\[UNREPLIED\]/);
});

test('real DR and TUN fixtures: the director kept the request direction only (reply tuple untouched, UNREPLIED), the client the reply from the VIP', (t) => {
  for (const mode of ['dr', 'tun'] as const) {
    const ds = parseConntrack(fixture(`conntrack-L-${mode}-ds.txt`));
    const client = parseConntrack(fixture(`conntrack-L-${mode}-client.txt`));
    const vs = { ...web, port: 8410, forwarding: mode, snat: false };
    const ports = client.map((f) => f.original.sport ?? 0);
    const answered: Probe[] = ports.map((localPort, i) => ({ seq: i + 1, ok: true, localPort, realServer: i % 2 ? 'rs1' : 'rs2', peer: '192.168.113.102' }));
    const { flows, clientFlowsMatched, directorFlowsMatched } = explainFlows(answered, client, ds, lab, vs);
    t.is(clientFlowsMatched, 4);
    t.is(directorFlowsMatched, 4);
    t.like(flows[0], { forwarding: mode, realServer: 'rs2', realServerSaw: '192.168.113.102', snat: NO_SNAT, state: 'SYN_SENT', dnat: undefined });
    const how = mode === 'dr' ? 'IPVS sent it to rs2 \\(192\\.168\\.113\\.98\\) by MAC rewrite' : 'IPVS encapsulated it in IP-in-IP to rs2 \\(192\\.168\\.113\\.98\\)';
    t.regex(flows[0]?.text ?? '', new RegExp(`${how}.*, which saw the client's own address 192\\.168\\.113\\.102; rs2 answered the client from the VIP directly: the director saw only the request direction \\(reply tuple untouched, \\[UNREPLIED\\]\\); the client's entry holds the reply from the VIP 10\\.10\\.0\\.1$`));
  }
});

test('DR: a director entry with a reply, or rewritten, or missing, is said as such', (t) => {
  const vs = { ...web, port: 8410, forwarding: 'dr' as const, snat: false };
  const [flow] = parseConntrack(fixture('conntrack-L-dr-ds.txt'));
  const probe: Probe = { seq: 1, ok: true, localPort: flow!.original.sport!, realServer: 'rs1', peer: '192.168.113.101' };
  const text = (ds: ConntrackFlow[]) => explainFlows([probe], [], ds, lab, vs).flows[0]?.text ?? '';
  t.regex(text([{ ...flow!, unreplied: false }]), /the director saw packets in both directions: a reply crossed it/);
  t.regex(text([{ ...flow!, reply: { ...flow!.reply, src: '192.168.113.99' } }]), /the director's entry was rewritten \(reply from 192\.168\.113\.99:8410\), which dr never does/);
  t.regex(text([{ ...flow!, unreplied: true }]), /which saw 192\.168\.113\.101 as the client, not 192\.168\.113\.102; rs1 answered/);
  t.deepEqual(explainFlows([probe], [], [], lab, vs).flows, []);
});

test('a flow seen on the client only says the director kept no entry', (t) => {
  const { flows, clientFlowsMatched, directorFlowsMatched } = explainFlows(probes.slice(0, 1), clientFlows, [], lab, web);
  t.is(clientFlowsMatched, 1);
  t.is(directorFlowsMatched, 0);
  t.like(flows[0], { dnat: undefined, seenOnDirector: false });
  t.regex(flows[0]?.text ?? '', /director keeps no conntrack entry/);
});

test('probes without a client port (refused before connecting) are not matched', (t) => {
  t.deepEqual(explainFlows([{ seq: 1, ok: false, curlExit: 7 }], clientFlows, dsFlows, lab, web).flows, []);
});
