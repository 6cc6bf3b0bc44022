import test from 'ava';
import type { Change } from '../../../daemon/kernel/changes.js';
import { ipAdapter, parseAddresses, parseLinks, parseRoutes, renderIpBatch } from '../../../daemon/kernel/ip/index.js';
import { fakeRunner, fixture, replayFailure } from './helpers.js';

const addr = () => fixture('ip-j-addr-ds.json');

test('parseLinks: the lvslab0 dummy was never set up; eth0 and lo are up; missing link', (t) => {
  t.deepEqual(parseLinks(addr(), 'lvslab0'), { name: 'lvslab0', up: false });
  t.deepEqual(parseLinks(addr(), 'eth0'), { name: 'eth0', up: true });
  t.deepEqual(parseLinks(JSON.parse(addr()), 'lo'), { name: 'lo', up: true }); // operstate UNKNOWN, flag UP
  t.is(parseLinks(addr(), 'nosuchdev'), undefined);
  t.deepEqual(parseLinks(fixture('ip-j-link-ds.json'), 'lvslab0'), { name: 'lvslab0', up: false });
});

test('parseAddresses: IPv4 only, as local/prefixlen', (t) => {
  t.deepEqual(parseAddresses(addr(), 'lvslab0'), [{ dev: 'lvslab0', cidr: '10.10.0.1/32' }, { dev: 'lvslab0', cidr: '10.10.0.2/32' }]);
  t.deepEqual(parseAddresses(addr(), 'eth0'), [{ dev: 'eth0', cidr: '192.168.113.101/24' }]);
  t.deepEqual(parseAddresses(addr(), 'nosuchdev'), []);
  t.deepEqual(parseAddresses('', 'eth0'), []);
});

test('parseRoutes: host routes get /32, via is the gateway, the protocol as ip prints it ("boot" when it prints none)', (t) => {
  const via = '192.168.113.101';
  t.deepEqual(parseRoutes(fixture('ip-j-route-proto241-client.json')), [{ dst: '10.10.0.1/32', via, protocol: 'boot' }, { dst: '10.10.0.2/32', via, protocol: 'boot' }]);
  t.deepEqual(parseRoutes(fixture('ip-j-route-foreign-client.json')), [
    { dst: '10.10.0.1/32', via, protocol: '241' },
    { dst: '10.10.0.2/32', via, protocol: 'static' },
    { dst: '10.77.0.0/16', via, protocol: '241' },
    { dst: '10.99.0.0/16', via, protocol: 'boot' },
    { dst: '192.168.113.0/24', protocol: 'kernel' },
  ]);
  t.deepEqual(parseRoutes('[{"dst":"default","gateway":"10.0.0.1","protocol":"dhcp"}]'), [{ dst: '0.0.0.0/0', via: '10.0.0.1', protocol: 'dhcp' }]);
  t.throws(() => parseRoutes('{}'), { message: /expected a JSON array/ });
});

const link = { name: 'lvslab0', up: true };
const changes: Change[] = [
  { kind: 'link-del', link: { name: 'old0', up: false } },
  { kind: 'route-add', route: { dst: '10.10.0.1/32', via: '192.168.113.101' } },
  { kind: 'route-del', route: { dst: '10.10.0.9/32', via: '192.168.113.101' } },
  { kind: 'address-add', address: { dev: 'lvslab0', cidr: '10.10.0.1/32' } },
  { kind: 'address-del', address: { dev: 'lvslab0', cidr: '10.10.0.9/32' } },
  { kind: 'link-set', link },
  { kind: 'link-add', link },
  { kind: 'vs-del', service: { protocol: 'tcp', address: '10.10.0.9', port: 80, scheduler: 'rr', realServers: [] } },
];

test('parseLinks: a TUN real server\'s ipip device carries its local address; tunl0 (local any) does not', (t) => {
  const tun = fixture('ip-j-d-addr-tun-rs.json');
  t.deepEqual(parseLinks(tun, 'lvslab0'), { name: 'lvslab0', up: true, ipipLocal: '192.168.113.99' });
  t.deepEqual(parseLinks(tun, 'tunl0'), { name: 'tunl0', up: false });
  t.deepEqual(parseAddresses(tun, 'lvslab0'), [{ dev: 'lvslab0', cidr: '10.10.0.1/32' }]);
});

test('renderIpBatch: an ipip link is created bound to its local address; a replaced link is deleted and created first', (t) => {
  const tun = { name: 'lvslab0', up: true, ipipLocal: '192.168.113.99' };
  t.is(renderIpBatch([{ kind: 'link-add', link: tun }]), 'link add lvslab0 type ipip local 192.168.113.99\n');
  t.is(renderIpBatch([
    { kind: 'address-add', address: { dev: 'lvslab0', cidr: '10.10.0.1/32' } },
    { kind: 'link-set', link: tun },
    { kind: 'link-replace', link: tun, from: { name: 'lvslab0', up: true } },
  ]), 'link del lvslab0\nlink add lvslab0 type ipip local 192.168.113.99\nlink set lvslab0 up\naddress add 10.10.0.1/32 dev lvslab0\n');
});

test('renderIpBatch: link add, link set, address del/add, route del/replace (proto 241), link del', (t) => {
  t.is(renderIpBatch(changes), [
    'link add lvslab0 type dummy',
    'link set lvslab0 up',
    'address del 10.10.0.9/32 dev lvslab0',
    'address add 10.10.0.1/32 dev lvslab0',
    'route del 10.10.0.9/32 via 192.168.113.101 proto 241',
    'route replace 10.10.0.1/32 via 192.168.113.101 proto 241',
    'link del old0',
    '',
  ].join('\n'));
  t.is(renderIpBatch([{ kind: 'link-set', link: { name: 'lvslab0', up: false } }]), 'link set lvslab0 down\n');
  t.is(renderIpBatch(changes.slice(-1)), '');
});

test('ipAdapter.observe: ip -j -d addr show (the link with its kind) + ip -j route show (every route of the main table)', async (t) => {
  const { runner, calls } = fakeRunner((argv) => ({ stdout: fixture(argv[3] === 'addr' ? 'ip-j-d-addr-ds.json' : 'ip-j-route-foreign-client.json') }));
  const observed = await ipAdapter(runner).observe('lvslab0');
  t.deepEqual(calls.map((c) => c.argv), [['ip', '-j', '-d', 'addr', 'show'], ['ip', '-j', 'route', 'show']]);
  t.deepEqual(observed.link, { name: 'lvslab0', up: false, kind: 'dummy' });
  t.is(observed.addresses.length, 2);
  t.is(observed.routes.length, 5);
  t.false('link' in (await ipAdapter(runner).observe('nosuchdev')));
  t.deepEqual((await ipAdapter(runner).observe('eth0')).link, { name: 'eth0', up: true, kind: 'veth' });
  t.deepEqual((await ipAdapter(runner).observe('lo')).link, { name: 'lo', up: true, kind: 'loopback' });
});

test('ipAdapter.apply: one ip -batch -; nothing spawned when empty', async (t) => {
  const { runner, calls } = fakeRunner();
  t.is(await ipAdapter(runner).apply(changes.slice(-1)), 0);
  t.is(calls.length, 0);
  t.is(await ipAdapter(runner).apply(changes), 7);
  t.deepEqual(calls.map((c) => c.argv), [['ip', '-batch', '-']]);
  t.is(calls[0]?.options?.input, renderIpBatch(changes));
});

test('ipAdapter.apply: "Command failed -:N" points at the batch line', async (t) => {
  const { runner } = fakeRunner(() => ({ stderr: 'RTNETLINK answers: Cannot assign requested address\nCommand failed -:3\n', exitCode: 1 }));
  const err = await t.throwsAsync(ipAdapter(runner).apply(changes));
  t.regex(err?.message ?? '', /Command failed -:3/);
  t.regex(err?.message ?? '', /> 3: address del 10\.10\.0\.9\/32 dev lvslab0/);
  const missing = fakeRunner(() => replayFailure('err-ip-missing-dev.txt'));
  const err2 = await t.throwsAsync(ipAdapter(missing.runner).apply(changes));
  t.regex(err2?.message ?? '', /Device "nosuchdev" does not exist/);
});
