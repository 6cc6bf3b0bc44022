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
