/** kube-proxy's IPVS mode: the plan of labs/kube.yaml against the kernel's own dump of kube-proxy's rules. */
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { LabConfig } from '../../../daemon/config/types.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { jumpTarget } from '../../../daemon/kernel/iptables/index.js';
import { connReuseSysctl } from '../../../daemon/plan/kube.js';
import { normalFromDumps, normalFromPlan } from '../../shared/kube-dump.js';
import { labFrom } from './helpers.js';

const reference = (name: string): string => readFileSync(`${process.cwd()}/test/fixtures/kube/${name}`, 'utf8');
const referenceDump = () => normalFromDumps(reference('iptables-save.txt'), reference('ipset-save.txt'), reference('ipvsadm-S-n.txt'));

const kube = labFrom('labs/kube.yaml');
/** The reference's service alone (labs/kube.yaml also has echo-udp). */
const myServiceOnly: LabConfig = { ...kube, services: kube.services.filter((s) => s.name === 'my-service') };

test('my-service with prefix KUBE- plans exactly kube-proxy\'s sets, chains, jumps and IPVS services (the kernel\'s dump)', (t) => {
  const plan = planNode(myServiceOnly, 'ds', { kernelRelease: '6.1.0-56-amd64' });
  const want = referenceDump();
  const got = normalFromPlan(plan.desired);
  t.deepEqual(Object.keys(got.chains), Object.keys(want.chains));
  for (const chain of Object.keys(want.chains)) t.deepEqual(got.chains[chain], want.chains[chain], chain);
  t.deepEqual(got.sets, want.sets);
  t.deepEqual(got.ipvs, want.ipvs);
});

test('the dummy link kube-ipvs0 is held DOWN with each cluster IP as /32; sysctls as kube-proxy sets them', (t) => {
  const { desired } = planNode(kube, 'ds', { kernelRelease: '6.1.0-56-amd64' });
  t.deepEqual(desired.links, [{ name: 'kube-ipvs0', up: false }]);
  t.deepEqual(desired.addresses, [
    { dev: 'kube-ipvs0', cidr: '10.108.113.237/32' },
    { dev: 'kube-ipvs0', cidr: '10.108.113.238/32' },
  ]);
  t.deepEqual(Object.fromEntries(desired.sysctls.map((s) => [s.key, s.value])), {
    'net.ipv4.ip_forward': '1',
    'net.ipv4.vs.conntrack': '1',
    'net.ipv4.vs.expire_nodest_conn': '1',
    'net.ipv4.vs.expire_quiescent_template': '1',
  });
});

test('conn_reuse_mode=0 only on kernels 4.1 to 5.8 (left alone from 5.9, as kube-proxy does)', (t) => {
  const set = [{ key: 'net.ipv4.vs.conn_reuse_mode', value: '0' }];
  t.deepEqual(connReuseSysctl('4.0.9'), []);
  t.deepEqual(connReuseSysctl('4.1.0'), set);
  t.deepEqual(connReuseSysctl('4.19.0-26-amd64'), set);
  t.deepEqual(connReuseSysctl('5.8.18'), set);
  t.deepEqual(connReuseSysctl('5.9.0'), []);
  t.deepEqual(connReuseSysctl('6.1.0-56-amd64'), []);
  t.deepEqual(connReuseSysctl('garbage'), []);
  const old = planNode(kube, 'ds', { kernelRelease: '5.4.0-150-generic' }).desired.sysctls;
  t.true(old.some((s) => s.key === 'net.ipv4.vs.conn_reuse_mode' && s.value === '0'));
});

test('echo-udp: its cluster IP goes into KUBE-CLUSTER-IP as udp and KUBE-IPVS-IPS; one UDP IPVS service, no node port', (t) => {
  const { desired } = planNode(kube, 'ds', { kernelRelease: '6.1.0' });
  const set = (name: string) => desired.ipsets.find((s) => s.name === name)?.entries;
  t.deepEqual(set('KUBE-CLUSTER-IP'), ['10.108.113.237,tcp:80', '10.108.113.238,udp:7']);
  t.deepEqual(set('KUBE-IPVS-IPS'), ['10.108.113.237', '10.108.113.238']);
  t.deepEqual(set('KUBE-NODE-PORT-UDP'), []);
  t.deepEqual(set('KUBE-NODE-PORT-TCP'), ['30080']);
  const udp = desired.ipvs.filter((s) => s.protocol === 'udp');
  t.deepEqual(udp.map((s) => `${s.address}:${s.port}`), ['10.108.113.238:7']);
  t.deepEqual(udp[0]?.realServers.map((r) => `${r.address}:${r.port}`), ['192.168.113.99:9007', '192.168.113.98:9007']);
});

test('a UDP NodePort service gets kube-proxy\'s UDP node port rule after the TCP one', (t) => {
  const lab: LabConfig = {
    ...kube,
    services: [...kube.services, { ...kube.services[1]!, name: 'dns', clusterIP: '10.108.113.239', type: 'NodePort', nodePort: 30053 }],
  };
  const nat = planNode(lab, 'ds', { kernelRelease: '6.1.0' }).desired.chains.find((c) => c.table === 'nat' && c.name === 'KUBE-NODE-PORT');
  t.deepEqual(nat?.rules, [
    '-p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ',
    '-p udp -m comment --comment "Kubernetes nodeport UDP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ',
  ]);
});

test('kubeletRules: current keeps only the localnet rule and no KUBE-MARK-DROP; none drops KUBE-FIREWALL and its jumps', (t) => {
  const chainsOf = (lab: LabConfig) => planNode(lab, 'ds', {}).desired;
  const current = chainsOf({ ...kube, serviceMode: { ...kube.serviceMode, kubeletRules: 'current' } });
  t.deepEqual(current.chains.find((c) => c.name === 'KUBE-FIREWALL')?.rules, [
    '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  ]);
  t.false(current.chains.some((c) => c.name === 'KUBE-MARK-DROP'));
  t.is(current.jumps.filter((j) => j.rule === '-j KUBE-FIREWALL').length, 2);
  const none = chainsOf({ ...kube, serviceMode: { ...kube.serviceMode, kubeletRules: 'none' } });
  t.false(none.chains.some((c) => c.name === 'KUBE-FIREWALL' || c.name === 'KUBE-MARK-DROP'));
  t.false(none.jumps.some((j) => j.rule.endsWith('KUBE-FIREWALL')));
});

test('another prefix renames every set and chain; sessionAffinity ClientIP becomes IPVS persistence', (t) => {
  const lab = labFrom('labs/kube.yaml', (text) =>
    text.replace('prefix: KUBE-', 'prefix: LAB-').replace('    targetPort: 8080\n', '    targetPort: 8080\n    sessionAffinity: ClientIP\n    sessionAffinityTimeout: 600\n'));
  const { desired } = planNode(lab, 'ds', {});
  t.true(desired.ipsets.every((s) => s.name.startsWith('LAB-')));
  t.true(desired.chains.every((c) => c.name.startsWith('LAB-')));
  t.true(desired.jumps.every((j) => jumpTarget(j.rule)?.startsWith('LAB-')));
  t.false(JSON.stringify(desired).includes('KUBE-'));
  const persistent = desired.ipvs.filter((s) => s.persistence !== undefined).map((s) => `${s.address}:${s.port}/${s.persistence}`);
  t.deepEqual(persistent, ['10.108.113.237:80/600', '192.168.113.101:30080/600']);
});

test('a lab with both virtual servers and services: the VIP\'s SNAT mark rule ends KUBE-SERVICES, no second masquerade chain', (t) => {
  const lab = labFrom('labs/kube.yaml', (text) =>
    `${text}virtualServers:\n  - { name: web, vip: 10.10.0.1, port: 8410, snat: true, realServers: [{ node: rs1, port: 8080 }] }\n`);
  const { desired } = planNode(lab, 'ds', {});
  const services = desired.chains.find((c) => c.table === 'nat' && c.name === 'KUBE-SERVICES')?.rules ?? [];
  t.is(services.at(-1), '-m comment --comment "lvslab: virtual servers that need SNAT" -m set --match-set KUBE-SNAT dst,dst -j KUBE-MARK-MASQ');
  t.deepEqual(desired.ipsets.find((s) => s.name === 'KUBE-SNAT')?.entries, ['10.10.0.1,tcp:8410']);
  t.is(desired.chains.filter((c) => c.name === 'KUBE-POSTROUTING').length, 1);
  t.is(desired.jumps.filter((j) => j.chain === 'PREROUTING').length, 1);
  t.true(desired.addresses.some((a) => a.cidr === '10.10.0.1/32'));
  t.false(desired.ipsets.find((s) => s.name === 'KUBE-IPVS-IPS')?.entries.includes('10.10.0.1'));
});

test('real servers run a backend for each endpoint port and protocol; the client gets no route to cluster IPs', (t) => {
  t.deepEqual(planNode(kube, 'rs1').backends, [{ protocol: 'tcp', port: 8080 }, { protocol: 'udp', port: 9007 }]);
  t.deepEqual(planNode(kube, 'client').desired.routes, []);
});
