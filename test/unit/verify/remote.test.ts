/** verify on a machine that is itself the client (a Vagrant VM): the director is read through its API. */
import test from 'ava';
import type { LabConfig } from '../../../daemon/config/types.js';
import { flowMatches, parseConntrack } from '../../../daemon/kernel/conntrack/index.js';
import { remoteApiUrl } from '../../../daemon/verify/remote.js';
import { runVerify } from '../../../daemon/verify/verify.js';
import { fixture, lab, scriptedAccess } from './helpers.js';
import { workingLab } from './scripts.js';

const withDsApi = (api: LabConfig['nodes'][number]['api']): LabConfig => ({
  ...lab,
  nodes: lab.nodes.map((n) => (n.name === 'ds' ? { ...n, api } : n)),
});
const apiKey = 'curl -sS --fail --max-time 10 http://192.168.113.101:9410/v1/conntrack';
// what GET /v1/conntrack serves: the director's flows to the lab's services, parsed
const dsFlows = parseConntrack(fixture('conntrack-L-ds.txt'));
const dsFlowsJson = JSON.stringify({ flows: dsFlows, total: dsFlows.length, omitted: 0, limit: 1000 });
const remoteDs = (script: typeof workingLab) => {
  const { ds: _ds, ...rest } = script;
  return rest;
};
const placeOf = (node: string) => (node === 'client' ? 'here' : 'remote') as 'here' | 'remote';

test('a remote director: its flows come from GET /v1/conntrack, read from the client, and explain the probes', async (t) => {
  const script = remoteDs(workingLab);
  script.client = { ...script.client, [apiKey]: { stdout: dsFlowsJson } };
  const fake = scriptedAccess(t, script);
  const report = await runVerify(withDsApi({ host: '0.0.0.0', port: 9410 }), { ...fake.access, placeOf }, { requests: 4, statsLagMs: 0 });
  const [vs] = report.virtualServers;
  t.like(vs, { ok: true, clientFlowsMatched: 4, directorFlowsMatched: 4, notes: [] });
  t.like(vs?.flows[0], { realServer: 'rs2', dnat: '192.168.113.98:8080', snat: '192.168.113.101:55122' });
  t.deepEqual(fake.unused(), []);
});

test('a remote director whose API listens on loopback only: a note that says which setting to change', async (t) => {
  const fake = scriptedAccess(t, remoteDs(workingLab));
  const report = await runVerify(lab, { ...fake.access, placeOf }, { requests: 4, statsLagMs: 0 });
  const [vs] = report.virtualServers;
  t.like(vs, { ok: true, clientFlowsMatched: 4, directorFlowsMatched: 0 });
  t.deepEqual(vs?.notes, ["conntrack on ds not read: ds's status API listens on 127.0.0.1:9410 only; set nodes.ds.api to 0.0.0.0:9410 so that other nodes can read it"]);
});

test('remoteApiUrl: a wildcard listen is reached at the node address, a given address as written, off is said', (t) => {
  const ds = lab.nodes.find((n) => n.name === 'ds')!;
  t.deepEqual(remoteApiUrl({ ...ds, api: { host: '0.0.0.0', port: 9500 } }, '/v1/state'), { url: 'http://192.168.113.101:9500/v1/state' });
  t.deepEqual(remoteApiUrl({ ...ds, api: { host: '192.168.113.101', port: 9410 } }, '/x'), { url: 'http://192.168.113.101:9410/x' });
  t.deepEqual(remoteApiUrl({ ...ds, api: 'off' }, '/x'), { problem: "ds's status API is off (nodes.ds.api)" });
});

test('flowMatches keeps the flows conntrack -L -p tcp --dport would list', (t) => {
  // the director's captured flows of the service, plus hand-made icmp, tcp/443 and udp flows
  const flows = parseConntrack(fixture('conntrack-L-ds.txt') + fixture('conntrack-L-handmade.txt'));
  const kept = flows.filter(flowMatches({ protocol: 'tcp', dport: 8410 }));
  t.true(kept.length > 0 && kept.length < flows.length, `${kept.length} of ${flows.length}`);
  t.true(kept.every((f) => f.protocol === 'tcp' && f.original.dport === 8410));
  t.deepEqual(flows.filter(flowMatches({ protocol: 'udp', dport: 8410 })), []);
  const toDst = flows.filter(flowMatches({ dst: '10.10.0.2' }));
  t.true(toDst.length > 0 && toDst.every((f) => f.original.dst === '10.10.0.2'));
});

test('a remote director with rs1 down: its /v1/state names rs1 (real-server-down), and each remote node gets one note, not one per command', async (t) => {
  const stateKey = 'curl -sS --fail --max-time 10 http://192.168.113.101:9410/v1/state';
  // what ds served in the Vagrant lab with rs1 halted: rs1 unhealthy at weight 0, rs2 healthy
  const rs = (node: string, address: string, healthy: boolean, weight: number) => ({ node, address, port: 8080, weight, desiredWeight: weight, healthy });
  const state = {
    lab: 'seed', node: 'ds', role: 'director', pid: 1126, startedAt: '2026-12-03T00:00:00.000Z', converged: true,
    virtualServers: [{ name: 'web', vip: '10.10.0.1', port: 8410, protocol: 'tcp', scheduler: 'rr',
      realServers: [rs('rs1', '192.168.113.99', false, 0), rs('rs2', '192.168.113.98', true, 1)] }],
  };
  const script = remoteDs(workingLab);
  // four probes, all answered by rs2: rr's counts differ by more than 1, so verify fails and diagnoses
  const answered = (port: number) => ({ stdout: `rs2\n\n${port} 200` });
  script.client = {
    ...script.client,
    [Object.keys(workingLab.client!)[0]!]: [55122, 55134, 55140, 55154].map(answered),
    [apiKey]: { stdout: dsFlowsJson },
    [stateKey]: { stdout: JSON.stringify(state) },
    'ip -j route get 10.10.0.1': { stdout: JSON.stringify([{ dst: '10.10.0.1', gateway: '192.168.113.101', dev: 'eth1' }]) },
  };
  const fake = scriptedAccess(t, script);
  const report = await runVerify(withDsApi({ host: '0.0.0.0', port: 9410 }), { ...fake.access, placeOf }, { requests: 4, statsLagMs: 0 });
  const [vs] = report.virtualServers;
  t.false(vs?.ok);
  t.deepEqual(vs?.causes.map((c) => c.code), ['real-server-down']);
  t.is(vs?.causes[0]?.message, "the director ds's health check finds real server rs1 at 192.168.113.99:8080 down, so IPVS gives it weight 0 (the lab's is 1) and sends it no new connections.");
  t.is(vs?.causes[0]?.evidence, `GET http://192.168.113.101:9410/v1/state on ds: rs1 192.168.113.99:8080 healthy false, weight 0 in its IPVS table`);
  t.deepEqual(vs?.notes, [
    'ds is another machine: sysctl, iptables-save, ipset, ipvsadm, curl not run there (lvslab reads other nodes only through their status API)',
    'rs1 is another machine: ip not run there (lvslab reads other nodes only through their status API)',
    'rs2 is another machine: ip not run there (lvslab reads other nodes only through their status API)',
  ]);
  t.deepEqual(fake.unused(), []);
});
