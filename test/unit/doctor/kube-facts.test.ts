/** doctor's probes: a timed-out curl is tried once more with a longer limit; a refused one is not. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLab } from '../../../daemon/config/load.js';
import { gatherKubeFacts, PROBE_TIMEOUTS_S } from '../../../daemon/doctor/kube-facts.js';
import type { LabNodeAccess } from '../../../daemon/lab/node-access.js';
import { fakeRunner, type Reply } from '../kernel/helpers.js';

const loaded = parseLab(readFileSync('labs/kube.yaml', 'utf8'), 'labs/kube.yaml');
if (!loaded.ok) throw new Error('labs/kube.yaml does not load');
const lab = loaded.lab;
const RS1 = 'http://192.168.113.99:8080/';

/** Every curl answers as its node would; rs1's endpoint answers with `rs1Replies` in turn. */
function access(rs1Replies: Reply[]) {
  const { runner, calls } = fakeRunner((argv) => {
    if (argv[0] !== 'curl') return {};
    if (argv.at(-1) === RS1) return rs1Replies.shift() ?? { exitCode: 99 };
    return { stdout: 'rs2\n40000 200' };
  });
  const nodes = { placeOf: () => 'here', runnerFor: () => runner } satisfies LabNodeAccess;
  return { nodes, rs1Calls: () => calls.filter((c) => c.argv.at(-1) === RS1).map((c) => c.argv[c.argv.indexOf('--max-time') + 1]) };
}

const rs1Reach = async (nodes: LabNodeAccess) =>
  (await gatherKubeFacts(lab, nodes)).services.find((s) => s.service === 'default/my-service')!.endpoints.find((e) => e.endpoint.startsWith('rs1 '))!.reach;

test('an endpoint that times out once and then answers is reached (2 s, then 6 s)', async (t) => {
  const { nodes, rs1Calls } = access([{ exitCode: 28, stderr: 'curl: (28) Operation timed out after 2001 milliseconds' }, { stdout: 'rs1\n40001 200' }]);
  t.deepEqual(await rs1Reach(nodes), { ok: true, curlExit: 0, detail: 'rs1' });
  t.deepEqual(rs1Calls(), PROBE_TIMEOUTS_S.map(String));
});

test('an endpoint that times out twice is not reached, and the evidence says both tries', async (t) => {
  const { nodes } = access([{ exitCode: 28, stderr: 'curl: (28) a' }, { exitCode: 28, stderr: 'curl: (28) b' }]);
  const reach = await rs1Reach(nodes);
  t.false(reach?.ok);
  t.is(reach?.curlExit, 28);
  t.regex(reach?.detail ?? '', /curl exit 28 \(timed out\): curl: \(28\) a; again with 6 s: curl exit 28 \(timed out\): curl: \(28\) b/);
});

test('a refused endpoint is told at once: one try', async (t) => {
  const { nodes, rs1Calls } = access([{ exitCode: 7, stderr: 'curl: (7) Failed to connect' }]);
  t.is((await rs1Reach(nodes))?.curlExit, 7);
  t.deepEqual(rs1Calls(), ['2']);
});

test('the director\'s IPVS timeouts are read (ipvsadm -L --timeout) only when the lab sets ipvsTimeouts, and come with the lab\'s', async (t) => {
  const { runner, calls } = fakeRunner((argv) => (argv.join(' ') === 'ipvsadm -L --timeout' ? { stdout: 'Timeout (tcp tcpfin udp): 900 120 300\n' } : argv[0] === 'curl' ? { stdout: 'rs1\n40000 200' } : {}));
  const nodes = { placeOf: () => 'here', runnerFor: () => runner } satisfies LabNodeAccess;
  t.false('ipvsTimeouts' in (await gatherKubeFacts(lab, nodes)));
  t.false(calls.some((c) => c.argv.includes('--timeout')));
  const facts = await gatherKubeFacts({ ...lab, ipvsTimeouts: { udp: 10 } }, nodes);
  t.deepEqual(facts.ipvsTimeouts, { wanted: { udp: 10 }, seen: { tcp: 900, tcpFin: 120, udp: 300 } });
});
