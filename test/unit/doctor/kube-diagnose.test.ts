/** doctor's diagnosis of a kube-proxy-mode lab, from facts as kube-facts.ts reads them (pure). */
import test from 'ava';
import { diagnoseKube, renderDoctor } from '../../../daemon/doctor/kube-diagnose.js';
import type { KubeFacts, Reach, ServiceFacts } from '../../../daemon/doctor/kube-types.js';

const answered = (name: string): Reach => ({ ok: true, curlExit: 0, detail: name });
const failed = (curlExit: number, detail: string): Reach => ({ ok: false, curlExit, detail });

const myService = (edit: Partial<ServiceFacts> = {}): ServiceFacts => ({
  service: 'default/my-service', protocol: 'tcp', clusterIP: '10.108.113.237', port: 80, nodePort: 30080,
  fromClient: failed(7, 'curl exit 7 (connection refused or unreachable): curl: (7) Failed to connect to 10.108.113.237 port 80: No route to host'),
  fromDirector: answered('rs1'),
  nodePortFromClient: answered('rs2'),
  endpoints: [{ endpoint: 'rs1 192.168.113.99:8080', reach: answered('rs1') }, { endpoint: 'rs2 192.168.113.98:8080', reach: answered('rs2') }],
  ...edit,
});

const facts = (edit: Partial<KubeFacts> = {}): KubeFacts => ({
  director: { name: 'ds', ip: '192.168.113.101' },
  client: { name: 'client', ip: '192.168.113.102' },
  directorSysctls: { 'net.ipv4.vs.conntrack': '1', 'net.ipv4.ip_forward': '1' },
  nodePortSets: { tcp: [30080], udp: [] },
  nodePortRange: { min: 30000, max: 32767 },
  services: [myService()],
  notes: [],
  ...edit,
});

test('a working lab: the cluster IP from the client is explained as by design (no route), and the node port named instead', (t) => {
  const report = diagnoseKube('kube', facts());
  t.true(report.ok);
  t.deepEqual(report.findings.map((f) => [f.code, f.kind]), [['cluster-ip-from-outside', 'by-design']]);
  const [finding] = report.findings;
  t.regex(finding!.message, /no route to it \(curl exit 7\).*kube-ipvs0.*use the node port 192\.168\.113\.101:30080/);
  t.regex(finding!.evidence, /from ds it answered "rs1"/);
  t.regex(renderDoctor(report), /by design \[cluster-ip-from-outside\][\s\S]*doctor: OK/);
});

test('with a static route the cluster IP times out from the client: explained by the missing masquerade mark', (t) => {
  const report = diagnoseKube('kube', facts({ services: [myService({ fromClient: failed(28, 'curl exit 28 (timed out)') })] }));
  t.regex(report.findings[0]!.message, /marks for masquerade only the director's own requests to a cluster IP \(KUBE-CLUSTER-IP src,dst\)/);
});

test('vs.conntrack=0: a problem, with the failed requests through IPVS as evidence; no unexplained finding on top', (t) => {
  const report = diagnoseKube('kube', facts({
    directorSysctls: { 'net.ipv4.vs.conntrack': '0', 'net.ipv4.ip_forward': '1' },
    services: [myService({ fromDirector: failed(28, 'curl exit 28 (timed out)'), nodePortFromClient: failed(28, 'curl exit 28 (timed out)') })],
  }));
  t.false(report.ok);
  t.deepEqual(report.findings.map((f) => f.code), ['cluster-ip-from-outside', 'vs-conntrack-off']);
  t.regex(report.findings[1]!.evidence, /net\.ipv4\.vs\.conntrack = 0 on ds; curl 10\.108\.113\.237:80 from the director failed.*node port 30080 from the client failed/);
});

test('a node port outside the lab\'s range in the node port set is a problem naming the port and the range', (t) => {
  const report = diagnoseKube('kube', facts({ nodePortSets: { tcp: [30080, 8080], udp: [40000] } }));
  const codes = report.findings.filter((f) => f.code === 'node-port-out-of-range');
  t.deepEqual(codes.map((f) => f.evidence), ['KUBE-NODE-PORT-TCP on ds holds 8080', 'KUBE-NODE-PORT-UDP on ds holds 40000']);
  t.regex(codes[0]!.message, /node port tcp 8080 .* outside the lab's range 30000-32767/);
  t.false(report.ok);
});

test('an endpoint down: named with its address, and why IPVS still sends it connections', (t) => {
  const report = diagnoseKube('kube', facts({
    services: [myService({ endpoints: [{ endpoint: 'rs1 192.168.113.99:8080', reach: failed(7, 'curl exit 7 (connection refused or unreachable)') }, { endpoint: 'rs2 192.168.113.98:8080', reach: answered('rs2') }] })],
  }));
  const down = report.findings.filter((f) => f.code === 'endpoint-down');
  t.is(down.length, 1);
  t.regex(down[0]!.message, /endpoint rs1 192\.168\.113\.99:8080 of default\/my-service .* 1 of 2 endpoints/);
  t.is(down[0]!.evidence, 'curl from ds to 192.168.113.99:8080 failed: curl exit 7 (connection refused or unreachable)');
});

test('a failure no known cause explains is reported as unexplained, not hidden; facts not read decide nothing', (t) => {
  const report = diagnoseKube('kube', facts({ services: [myService({ nodePortFromClient: failed(28, 'timed out') })] }));
  t.deepEqual(report.findings.map((f) => f.code), ['cluster-ip-from-outside', 'unexplained']);
  const unread = diagnoseKube('kube', facts({ directorSysctls: {}, services: [myService({ endpoints: [{ endpoint: 'rs1 192.168.113.99:8080' }] })], notes: ['sysctls of ds not read: boom'] }));
  t.deepEqual(unread.findings.map((f) => f.code), ['cluster-ip-from-outside']);
  t.regex(renderDoctor(unread), /note: sysctls of ds not read: boom/);
});
