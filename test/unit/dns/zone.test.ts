import test from 'ava';
import { buildZone, lookup } from '../../../daemon/dns/zone.js';
import { sampleZone } from './helpers.js';

const labels = (name: string): string[] => name.split('.');

test('buildZone names each service <name>.<namespace>.svc.<domain>, lowercase, without a trailing dot', (t) => {
  const zone = buildZone('Cluster.Local.', [
    { name: 'web', namespace: 'default', clusterIP: '10.96.0.10' },
    { name: 'API', namespace: 'Shop', clusterIP: '10.96.7.1' },
  ]);
  t.is(zone.domain, 'cluster.local');
  t.deepEqual([...zone.records], [
    ['web.default.svc.cluster.local', '10.96.0.10'],
    ['api.shop.svc.cluster.local', '10.96.7.1'],
  ]);
});

test('buildZone: no services gives an empty zone; the same service twice is one record', (t) => {
  t.is(buildZone('cluster.local', []).records.size, 0);
  const service = { name: 'web', namespace: 'default', clusterIP: '10.96.0.10' };
  t.is(buildZone('cluster.local', [service, { ...service }]).records.size, 1);
});

test('buildZone refuses what cannot be served, saying which service', (t) => {
  const make = (name: string, namespace: string, clusterIP: string, domain = 'cluster.local') => () => buildZone(domain, [{ name, namespace, clusterIP }]);
  t.throws(make('web', 'default', '10.96.0.300'), { message: /service default\/web: clusterIP "10\.96\.0\.300" is not an IPv4 address/ });
  t.throws(make('web', 'default', 'None'), { message: /not an IPv4 address/ });
  t.throws(make('web.x', 'default', '10.0.0.1'), { message: /"web\.x" is not one DNS label/ });
  t.throws(make('web', '', '10.0.0.1'), { message: /"" is not one DNS label/ });
  t.throws(make('w'.repeat(64), 'default', '10.0.0.1'), { message: /longer than 63/ });
  t.throws(make('web', 'default', '10.0.0.1', 'cluster..local'), { message: /domain "cluster\.\.local" has an empty label/ });
  t.throws(make('web', 'default', '10.0.0.1', ''), { message: /domain "" is empty/ });
  t.throws(() => buildZone('cluster.local', [
    { name: 'web', namespace: 'default', clusterIP: '10.0.0.1' },
    { name: 'WEB', namespace: 'default', clusterIP: '10.0.0.2' },
  ]), { message: 'DNS zone: web.default.svc.cluster.local is given two addresses, 10.0.0.1 and 10.0.0.2' });
});

test('lookup: record, empty (a name above records), absent, outside', (t) => {
  const zone = sampleZone();
  t.deepEqual(lookup(zone, labels('web.default.svc.cluster.local')), { kind: 'record', ip: '10.96.0.10' });
  for (const name of ['default.svc.cluster.local', 'shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']) {
    t.deepEqual(lookup(zone, labels(name)), { kind: 'empty' }, name);
  }
  for (const name of ['kube-system.svc.cluster.local', 'x.web.default.svc.cluster.local', 'pod.cluster.local']) {
    t.deepEqual(lookup(zone, labels(name)), { kind: 'absent' }, name);
  }
  for (const name of ['local', 'example.com', 'xcluster.local', 'cluster.local.com']) {
    t.deepEqual(lookup(zone, labels(name)), { kind: 'outside' }, name);
  }
  t.deepEqual(lookup(zone, []), { kind: 'outside' }, 'the root');
  t.deepEqual(lookup(zone, ['web.default', 'svc', 'cluster', 'local']), { kind: 'absent' }, 'a label with a dot');
});

test('lookup: an empty zone still has its domain and svc.<domain>', (t) => {
  const zone = buildZone('example.org', []);
  t.deepEqual(lookup(zone, labels('svc.example.org')), { kind: 'empty' });
  t.deepEqual(lookup(zone, labels('example.org')), { kind: 'empty' });
  t.deepEqual(lookup(zone, labels('default.svc.example.org')), { kind: 'absent' });
});
