/** Where each node is, seen from the machine a command runs on. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { describePlace, labPresence, linkWithAddress, localIpv4s, notUpHere, placeNodes, remoteRunner, RemoteNodeError } from '../../../daemon/lab/node-access.js';
import { lab } from '../verify/helpers.js';

const seedNamespaces = new Set(['seed-ds', 'seed-client', 'seed-rs1', 'seed-rs2', 'seed-sw']);
const places = (namespaces: Set<string>, ips: string[]) => Object.fromEntries(placeNodes(lab, namespaces, new Set(ips)));

test('the one-box host: every node is its namespace', (t) => {
  t.deepEqual(places(seedNamespaces, ['127.0.0.1', '172.16.0.5']), { ds: 'namespace', client: 'namespace', rs1: 'namespace', rs2: 'namespace' });
});

test('a Vagrant VM (or a shell in a node namespace): this node is here, the others are remote, namespaces or not', (t) => {
  t.deepEqual(places(new Set(), ['127.0.0.1', '10.0.2.15', '192.168.113.102']), { ds: 'remote', client: 'here', rs1: 'remote', rs2: 'remote' });
  t.deepEqual(places(seedNamespaces, ['127.0.0.1', '192.168.113.102']), { ds: 'remote', client: 'here', rs1: 'remote', rs2: 'remote' });
});

test('a host with neither a lab address nor the namespaces plays every node itself', (t) => {
  t.deepEqual(places(new Set(['other-ds']), ['127.0.0.1']), { ds: 'here', client: 'here', rs1: 'here', rs2: 'here' });
});

test('localIpv4s reads the IPv4 addresses of captured `ip -j addr show` output', (t) => {
  const ips = localIpv4s(readFileSync('test/fixtures/tools/ip-j-addr-ds.json', 'utf8'));
  t.deepEqual([...ips].sort(), ['10.10.0.1', '10.10.0.2', '127.0.0.1', '192.168.113.101']);
  t.deepEqual([...localIpv4s('')], []);
});

test('linkWithAddress names the link that holds an IPv4 address in captured `ip -j addr show` output, and none for an address not there', (t) => {
  const json = readFileSync('test/fixtures/tools/ip-j-addr-ds.json', 'utf8');
  t.is(linkWithAddress(json, '192.168.113.101'), 'eth0');
  t.is(linkWithAddress(json, '10.10.0.2'), 'lvslab0');
  t.is(linkWithAddress(json, '192.168.113.1'), undefined);
  t.is(linkWithAddress('', '192.168.113.101'), undefined);
});

test('a remote node runs nothing: its runner refuses, naming the node and the command', async (t) => {
  const ds = lab.nodes.find((n) => n.name === 'ds')!;
  const error = await t.throwsAsync(remoteRunner(ds).run(['sysctl', '-n', 'net.ipv4.ip_forward']), { instanceOf: RemoteNodeError });
  t.regex(error!.message, /^ds \(192\.168\.113\.101\) is another machine: `sysctl -n net\.ipv4\.ip_forward` is not run there/);
});

test('labPresence: up in namespaces (one is enough), up as a node (its address here), else absent', (t) => {
  t.is(labPresence(lab, seedNamespaces, new Set(['127.0.0.1'])), 'namespaces');
  t.is(labPresence(lab, new Set(['seed-rs2']), new Set(['127.0.0.1'])), 'namespaces');
  t.is(labPresence(lab, seedNamespaces, new Set(['192.168.113.101'])), 'node');
  t.is(labPresence(lab, new Set(['other-ds', 'seed']), new Set(['127.0.0.1'])), 'absent');
});

test('describePlace says where a node\'s commands run, and that this machine is not the node when it is not', (t) => {
  t.is(describePlace(lab, 'ds', 'namespace', 'namespaces'), 'network namespace seed-ds');
  t.is(describePlace(lab, 'ds', 'remote', 'node'), 'another machine (192.168.113.101)');
  t.is(describePlace(lab, 'client', 'here', 'node'), 'this machine (it holds client\'s address 192.168.113.102)');
  t.is(describePlace(lab, 'ds', 'here', 'absent'), 'this machine itself, which is not ds: lab seed is not up here and ds\'s address 192.168.113.101 is not here');
  t.is(describePlace(lab, 'ds', 'here', 'namespaces'), 'this machine itself, which is not ds: there is no namespace seed-ds and ds\'s address 192.168.113.101 is not here');
});

test('notUpHere names the lab, its namespaces and its addresses', (t) => {
  t.is(
    notUpHere(lab),
    'lab seed is not up here: no network namespace of it (seed-ds, seed-client, seed-rs1, seed-rs2) and none of its node addresses ' +
      '(192.168.113.101, 192.168.113.102, 192.168.113.99, 192.168.113.98) on this machine; `lvslab up` with its lab file builds it on this machine',
  );
});
