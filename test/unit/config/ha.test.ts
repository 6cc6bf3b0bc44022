/** The lab file's ha key (ha-schema.ts, ha-checks.ts): labs/ha.yaml loads; every bad input is one problem naming its path and value. */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { parseLab } from '../../../daemon/config/load.js';
import type { HaConfig } from '../../../daemon/config/types.js';
import { problemsOf, repoPath } from './helpers.js';

const HA = readFileSync(repoPath('labs/ha.yaml'), 'utf8');
const HA_LINE = 'ha: { floatingAddress: 192.168.113.110/24, virtualRouterId: 51, advertInterval: 1s, preempt: false }';
const DS2_LINE = '  ds2:    { role: director,    address: 192.168.113.103/24, api: 0.0.0.0:9410 }\n';

/** labs/ha.yaml with `from` replaced by `to` (throws if `from` is not in it, so a typo cannot pass silently). */
const haWith = (from: string, to: string): string => {
  if (!HA.includes(from)) throw new Error(`ha.yaml does not contain ${JSON.stringify(from)}`);
  return HA.replace(from, to);
};
const haKey = (inner: string): string => haWith(HA_LINE, `ha: { ${inner} }`);
const floating = (address: string): string => haWith('floatingAddress: 192.168.113.110/24', `floatingAddress: ${address}`);

function haOf(text: string): HaConfig | undefined {
  const result = parseLab(text, 'test.yaml');
  if (!result.ok) throw new Error(`does not load: ${JSON.stringify(result.problems)}`);
  return result.lab.ha;
}

const SERVICES = [
  'services:',
  '  - { name: my-service, namespace: default, type: ClusterIP, clusterIP: 10.108.113.237, port: 80, targetPort: 8080, endpoints: [{ node: rs1 }] }',
  '',
].join('\n');

test('labs/ha.yaml loads with ha = 192.168.113.110/24 (IP 192.168.113.110), router id 51, adverts every 1000 ms, no preemption', (t) => {
  t.deepEqual(haOf(HA), { floatingAddress: '192.168.113.110/24', floatingIp: '192.168.113.110', virtualRouterId: 51, advertIntervalMs: 1000, preempt: false });
});

test('labs/ha.yaml has the directors ds then ds2 (ds, listed first, starts as master)', (t) => {
  const result = parseLab(HA, 'ha.yaml');
  if (!result.ok) return t.fail(JSON.stringify(result.problems));
  t.deepEqual(result.lab.nodes.filter((n) => n.role === 'director').map((n) => n.name), ['ds', 'ds2']);
});

test('ha with only floatingAddress gets the defaults: router id 51, adverts every 1000 ms, no preemption', (t) => {
  t.deepEqual(haOf(haKey('floatingAddress: 192.168.113.110/24')), {
    floatingAddress: '192.168.113.110/24', floatingIp: '192.168.113.110', virtualRouterId: 51, advertIntervalMs: 1000, preempt: false,
  });
});

test('ha takes router id 1 and 255, adverts every 100ms, 1500ms and 40950ms, and preempt true', (t) => {
  t.deepEqual(haOf(haKey('floatingAddress: 192.168.113.110/24, virtualRouterId: 1, advertInterval: 100ms, preempt: true')), {
    floatingAddress: '192.168.113.110/24', floatingIp: '192.168.113.110', virtualRouterId: 1, advertIntervalMs: 100, preempt: true,
  });
  t.is(haOf(haKey('floatingAddress: 192.168.113.110/24, virtualRouterId: 255, advertInterval: 40950ms'))?.virtualRouterId, 255);
  t.is(haOf(haKey('floatingAddress: 192.168.113.110/24, advertInterval: 40950ms'))?.advertIntervalMs, 40950);
  t.is(haOf(haKey('floatingAddress: 192.168.113.110/24, advertInterval: 1500ms'))?.advertIntervalMs, 1500);
});

test('a one-director lab has no ha (labs/seed.yaml)', (t) => {
  t.is(haOf(readFileSync(repoPath('labs/seed.yaml'), 'utf8')), undefined);
});

const SEGMENT = (director: string, address: string) =>
  `must be on director "${director}"'s segment ${address} with its prefix length: keepalived adds it to that link and announces it there by gratuitous ARP`;
const DURATION = 'must be a duration like "2s", "500ms" or "1m" (a whole number and ms, s, m or h), from 100ms to 40950ms';
const NAT_ONLY = 'an HA lab (with ha) forwards by nat only: DR and TUN behind a floating VIP are not built yet';

/** [title, lab text, every problem expected as [path, value, reason]] */
const cases: ReadonlyArray<readonly [string, string, ReadonlyArray<readonly [string, string, string]>]> = [
  ['floatingAddress without a prefix length', floating('192.168.113.110'),
    [['ha.floatingAddress', '"192.168.113.110"', 'missing prefix length: must be an IPv4 address with a prefix length (like 192.168.113.101/24)']]],
  ['floatingAddress not on the directors\' segment: one problem per director', floating('192.168.114.110/24'), [
    ['ha.floatingAddress', '"192.168.114.110/24"', SEGMENT('ds', '192.168.113.101/24')],
    ['ha.floatingAddress', '"192.168.114.110/24"', SEGMENT('ds2', '192.168.113.103/24')],
  ]],
  ['floatingAddress on the segment with another prefix length (/16): one problem per director', floating('192.168.113.110/16'), [
    ['ha.floatingAddress', '"192.168.113.110/16"', SEGMENT('ds', '192.168.113.101/24')],
    ['ha.floatingAddress', '"192.168.113.110/16"', SEGMENT('ds2', '192.168.113.103/24')],
  ]],
  ['floatingAddress off the segment of ds2 only (ds2 on 192.168.114.0/24)', haWith('192.168.113.103/24', '192.168.114.103/24'),
    [['ha.floatingAddress', '"192.168.113.110/24"', SEGMENT('ds2', '192.168.114.103/24')]]],
  ['floatingAddress equal to the client\'s address', floating('192.168.113.102/24'),
    [['ha.floatingAddress', '"192.168.113.102/24"', 'is the address of node "client"; the floating address belongs to no node (it moves with the master)']]],
  ['floatingAddress equal to director ds2\'s address', floating('192.168.113.103/24'),
    [['ha.floatingAddress', '"192.168.113.103/24"', 'is the address of node "ds2"; the floating address belongs to no node (it moves with the master)']]],
  ['floatingAddress equal to a VIP (VIP 192.168.113.110)', haWith('vip: 10.10.0.1', 'vip: 192.168.113.110'),
    [['ha.floatingAddress', '"192.168.113.110/24"', 'is a VIP; the floating address is the route to the VIPs, another address on the lab network']]],
  ['virtualRouterId 0', haWith('virtualRouterId: 51', 'virtualRouterId: 0'), [['ha.virtualRouterId', '0', 'must be an integer from 1 to 255']]],
  ['virtualRouterId 256', haWith('virtualRouterId: 51', 'virtualRouterId: 256'), [['ha.virtualRouterId', '256', 'must be an integer from 1 to 255']]],
  ['advertInterval 50ms (below 100ms)', haWith('advertInterval: 1s', 'advertInterval: 50ms'), [['ha.advertInterval', '"50ms"', DURATION]]],
  ['advertInterval 1005ms (not a whole number of centiseconds)', haWith('advertInterval: 1s', 'advertInterval: 1005ms'),
    [['ha.advertInterval', '"1005ms"', 'must be a whole number of centiseconds (VRRP version 3 counts in 10ms), like 1s or 500ms']]],
  ['advertInterval 41s (above 40950ms)', haWith('advertInterval: 1s', 'advertInterval: 41s'), [['ha.advertInterval', '"41s"', DURATION]]],
  ['preempt "yes" (a string in YAML 1.2)', haWith('preempt: false', 'preempt: yes'), [['ha.preempt', '"yes"', 'must be true or false']]],
  ['an unknown key under ha (preemt)', haWith('preempt: false', 'preemt: true'),
    [['ha.preemt', 'true', 'unknown key (did you mean "preempt"?); expected one of: floatingAddress, virtualRouterId, advertInterval, preempt']]],
  ['ha without floatingAddress', haKey('virtualRouterId: 51'),
    [['ha.floatingAddress', '(missing)', 'required: must be a string: an IPv4 address with a prefix length like 192.168.113.110/24']]],
  ['ha with one director', haWith(DS2_LINE, ''),
    [['nodes', '["ds"]', 'an HA lab (with ha) has exactly two directors, the first listed starting as master; found 1: ds']]],
  ['ha with three directors', haWith('  client:', '  ds3:    { role: director,    address: 192.168.113.104/24, api: 0.0.0.0:9410 }\n  client:'),
    [['nodes', '["ds","ds2","ds3"]', 'an HA lab (with ha) has exactly two directors, the first listed starting as master; found 3: ds, ds2, ds3']]],
  ['two directors without ha (the reason names the ha key)', haWith(`${HA_LINE}\n`, ''),
    [['nodes', '["ds","ds2"]', "exactly one node must have role director, or two with an ha key (keepalived's VRRP then floats the VIPs between them); found 2: ds, ds2"]]],
  ['director ds with api: off in an HA lab', haWith('address: 192.168.113.101/24, api: 0.0.0.0:9410', 'address: 192.168.113.101/24, api: off'),
    [['nodes.ds.api', '"off"', "an HA director serves its API: keepalived's track script asks its /healthz, and gives up master when it fails"]]],
  ['director ds2 with api: off in an HA lab', haWith('address: 192.168.113.103/24, api: 0.0.0.0:9410', 'address: 192.168.113.103/24, api: off'),
    [['nodes.ds2.api', '"off"', "an HA director serves its API: keepalived's track script asks its /healthz, and gives up master when it fails"]]],
  ['forwarding dr in an HA lab', haWith('forwarding: nat\n    snat: true', 'forwarding: dr').replace(/port: 8080/g, 'port: 8410'),
    [['virtualServers[0].forwarding', '"dr"', NAT_ONLY]]],
  ['forwarding tun in an HA lab', haWith('forwarding: nat\n    snat: true', 'forwarding: tun').replace(/port: 8080/g, 'port: 8410'),
    [['virtualServers[0].forwarding', '"tun"', NAT_ONLY]]],
  // prefix KUBE-: with services the prefix must be at most 6 characters, a problem of its own
  ['services together with ha', `${haWith('lab: ha', 'lab: ha\nprefix: KUBE-')}${SERVICES}`,
    [['ha', '"(set)"', 'ha and services do not go together yet: kube-proxy mode has one director (service DNS and ClusterIPs are not floated)']]],
];

for (const [title, text, expected] of cases) {
  test(`refuses: ${title}; exactly the problem${expected.length > 1 ? 's' : ''} naming its path and value`, (t) => {
    const problems = problemsOf(t, text);
    t.deepEqual(problems.map((p) => [p.path, p.value, p.reason]), expected.map((e) => [...e]));
  });
}

test('the services case is refused for ha alone: the same lab without ha (one director) loads', (t) => {
  const text = `${haWith('lab: ha', 'lab: ha\nprefix: KUBE-').replace(`${HA_LINE}\n`, '').replace(DS2_LINE, '')}${SERVICES}`;
  const result = parseLab(text, 'test.yaml');
  t.true(result.ok, JSON.stringify(result));
});

test('the forwarding dr case is refused for ha alone: the same lab without ds2 and ha loads', (t) => {
  const text = haWith('forwarding: nat\n    snat: true', 'forwarding: dr').replace(/port: 8080/g, 'port: 8410').replace(`${HA_LINE}\n`, '').replace(DS2_LINE, '');
  const result = parseLab(text, 'test.yaml');
  t.true(result.ok, JSON.stringify(result));
});
