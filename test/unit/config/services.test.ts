/** Services in the lab file (kube-proxy mode): labs/kube.yaml loads; every bad field is one problem naming it. */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import { hasProblem, problemsOf, repoPath } from './helpers.js';

const KUBE = readFileSync(repoPath('labs/kube.yaml'), 'utf8');
const kubeWith = (from: string, to: string): string => {
  if (!KUBE.includes(from)) throw new Error(`kube.yaml does not contain ${JSON.stringify(from)}`);
  return KUBE.replace(from, to);
};

test('labs/kube.yaml loads: two services, defaults filled in (targetPort → endpoint port, TCP, rr, no affinity)', (t) => {
  const result = parseLab(KUBE, 'kube.yaml');
  if (!result.ok) return t.fail(JSON.stringify(result.problems));
  const [web, udp] = result.lab.services;
  t.deepEqual(web, {
    name: 'my-service', namespace: 'default', type: 'NodePort', clusterIP: '10.108.113.237', protocol: 'tcp', port: 80,
    targetPort: 8080, nodePort: 30080, scheduler: 'rr', endpoints: [{ node: 'rs1', port: 8080 }, { node: 'rs2', port: 8080 }],
  });
  t.is(udp?.protocol, 'udp');
  t.is(udp?.nodePort, undefined);
  t.deepEqual(result.lab.serviceMode, { kubeletRules: 'legacy', nodePortRange: { min: 30000, max: 32767 }, clusterDomain: 'cluster.local' });
});

const cases: ReadonlyArray<readonly [string, string, string, string]> = [
  ['node port outside the range', kubeWith('nodePort: 30080', 'nodePort: 20080'), 'services[0].nodePort', "node port 20080 is outside the lab's nodePortRange 30000-32767"],
  ['node port outside a custom range', kubeWith('kubeletRules: legacy', 'kubeletRules: legacy\nnodePortRange: 31000-31999'), 'services[0].nodePort', 'outside the lab\'s nodePortRange 31000-31999'],
  ['range upside down', kubeWith('kubeletRules: legacy', 'kubeletRules: legacy\nnodePortRange: 32000-31000'), 'nodePortRange', 'must not be above the last'],
  ['NodePort without nodePort', kubeWith('    nodePort: 30080\n', ''), 'services[0].nodePort', 'required: a NodePort service needs a nodePort'],
  ['ClusterIP with nodePort', kubeWith('    type: ClusterIP\n', '    type: ClusterIP\n    nodePort: 30081\n'), 'services[1].nodePort', 'only for type NodePort'],
  ['unknown type', kubeWith('type: ClusterIP', 'type: LoadBalancer'), 'services[1].type', 'must be one of ClusterIP, NodePort'],
  ['protocol in lower case is not Kubernetes\'', kubeWith('protocol: UDP', 'protocol: udp'), 'services[1].protocol', 'must be one of TCP, UDP'],
  ['duplicate cluster IP', kubeWith('clusterIP: 10.108.113.238', 'clusterIP: 10.108.113.237'), 'services[1].clusterIP', 'services[0] already has 10.108.113.237'],
  ['cluster IP of a node', kubeWith('clusterIP: 10.108.113.238', 'clusterIP: 192.168.113.99'), 'services[1].clusterIP', 'address of node "rs1"'],
  ['cluster IP not an address', kubeWith('clusterIP: 10.108.113.238', 'clusterIP: 10.108.113.238/32'), 'services[1].clusterIP', 'without a prefix length'],
  ['duplicate service', kubeWith('name: echo-udp', 'name: my-service'), 'services[1].name', 'services[0] is already default/my-service'],
  ['name not a DNS label', kubeWith('name: echo-udp', 'name: Echo_UDP'), 'services[1].name', 'a DNS label'],
  ['hostile namespace', kubeWith('namespace: default\n    type: ClusterIP', 'namespace: "x; rm -rf /"\n    type: ClusterIP'), 'services[1].namespace', 'a DNS label'],
  ['endpoint on the client', kubeWith('      - { node: rs2 }\n  #', '      - { node: client }\n  #'), 'services[0].endpoints[1].node', 'node "client" has role client'],
  ['endpoint on an unknown node', kubeWith('      - { node: rs2 }\n  #', '      - { node: rs9 }\n  #'), 'services[0].endpoints[1].node', 'unknown node "rs9"'],
  ['duplicate endpoint', kubeWith('      - { node: rs2 }\n  #', '      - { node: rs1, port: 8080 }\n  #'), 'services[0].endpoints[1]', 'endpoints[0] is already rs1:8080'],
  ['endpoint port 0', kubeWith('      - { node: rs2 }\n  #', '      - { node: rs2, port: 0 }\n  #'), 'services[0].endpoints[1].port', 'must be an integer from 1 to 65535'],
  ['affinity timeout without ClientIP', kubeWith('    nodePort: 30080\n', '    nodePort: 30080\n    sessionAffinityTimeout: 60\n'), 'services[0].sessionAffinityTimeout', 'needs sessionAffinity: ClientIP'],
  ['affinity timeout over a day', kubeWith('    nodePort: 30080\n', '    nodePort: 30080\n    sessionAffinity: ClientIP\n    sessionAffinityTimeout: 86401\n'), 'services[0].sessionAffinityTimeout', 'from 1 to 86400'],
  ['kubeletRules unknown', kubeWith('kubeletRules: legacy', 'kubeletRules: old'), 'kubeletRules', 'must be one of legacy, current, none'],
  ['cluster domain with a shell', kubeWith('kubeletRules: legacy', 'kubeletRules: legacy\nclusterDomain: "$(id).local"'), 'clusterDomain', 'DNS labels joined by dots'],
  ['prefix too long for kube-proxy names', kubeWith('prefix: KUBE-', 'prefix: LVSLAB-'), 'prefix', 'with services, the prefix must be at most 6 characters'],
  ['unknown key in a service', kubeWith('    port: 80\n', '    port: 80\n    externalIPs: [1.2.3.4]\n'), 'services[0].externalIPs', 'unknown key'],
];

for (const [title, text, path, reason] of cases) {
  test(`refused: ${title}`, (t) => {
    hasProblem(t, problemsOf(t, text), path, reason);
  });
}

test('a NodePort on UDP and on TCP may share a number; the same protocol twice may not', (t) => {
  const udpNodePort = kubeWith('    type: ClusterIP\n', '    type: NodePort\n    nodePort: 30080\n');
  t.true(parseLab(udpNodePort, 'x').ok);
  const twice = kubeWith('    type: ClusterIP\n    clusterIP: 10.108.113.238\n    protocol: UDP\n', '    type: NodePort\n    nodePort: 30080\n    clusterIP: 10.108.113.238\n');
  hasProblem(t, problemsOf(t, twice), 'services[1].nodePort', 'services[0] already uses TCP 30080');
});
