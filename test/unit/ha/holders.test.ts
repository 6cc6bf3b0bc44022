/** Who holds an HA lab's floating addresses (ha/holders.ts): floatingIps, judgeHolders, readHolding and readHolders with fake runners. */
import test from 'ava';
import type { LabConfig } from '../../../daemon/config/types.js';
import { floatingIps, holdingLine, judgeHolders, readHolders, readHolding, type DirectorHolding } from '../../../daemon/ha/holders.js';
import { fakeRunner } from '../kernel/helpers.js';
import { labFrom } from '../plan/helpers.js';

const ha = labFrom('labs/ha.yaml');
/** labs/ha.yaml with a second VIP, 10.10.0.2, served on two ports. */
const twoVips: LabConfig = labFrom('labs/ha.yaml', (text) => text.replace('blocklists:',
  '  - { name: web2, vip: 10.10.0.2, port: 80, realServers: [{ node: rs1, port: 8080 }] }\n' +
  '  - { name: web3, vip: 10.10.0.2, port: 443, realServers: [{ node: rs2, port: 8443 }] }\nblocklists:'));

const holding = (node: string, ...holds: string[]): DirectorHolding => ({ node, holds });

const FOREVER = { valid_life_time: 4294967295, preferred_life_time: 4294967295 };
const inet = (local: string, prefixlen: number, extra: Record<string, unknown> = {}) =>
  ({ family: 'inet', local, prefixlen, ...extra, scope: 'global', label: 'eth0', ...FOREVER });

/** `ip -j addr show dev eth0` of a director of labs/ha.yaml as iproute2 prints it, with these IPv4 entries and the link-local inet6. */
const eth0 = (mac: string, addrs: readonly object[]): string => JSON.stringify([{
  ifindex: 2, link_index: 7, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, qdisc: 'noqueue',
  operstate: 'UP', group: 'default', txqlen: 1000, link_type: 'ether', address: mac, broadcast: 'ff:ff:ff:ff:ff:ff',
  link_netnsid: 0,
  addr_info: [...addrs, { family: 'inet6', local: `fe80::5c6a:bff:fe3c:${mac.slice(-5).replace(':', '')}`, prefixlen: 64, scope: 'link', ...FOREVER }],
}]);

/** The master ds: its own address, the floating address keepalived added (secondary: same /24), the VIP /32. */
const MASTER_ETH0 = eth0('5e:6a:0b:3c:11:01', [
  inet('192.168.113.101', 24, { broadcast: '192.168.113.255' }),
  inet('192.168.113.110', 24, { secondary: true }),
  inet('10.10.0.1', 32),
]);

/** The backup ds2: its own address only. */
const BACKUP_ETH0 = eth0('5e:6a:0b:3c:11:03', [inet('192.168.113.103', 24, { broadcast: '192.168.113.255' })]);

test('floatingIps: the floating IP first, then each VIP once, without prefix length', (t) => {
  t.deepEqual(floatingIps(ha), ['192.168.113.110', '10.10.0.1']);
  t.deepEqual(floatingIps(twoVips), ['192.168.113.110', '10.10.0.1', '10.10.0.2']);
});

test('floatingIps of a lab without ha (labs/seed.yaml) is empty', (t) => {
  t.deepEqual(floatingIps(labFrom('labs/seed.yaml')), []);
});

test('judgeHolders: ds holds every floating address and ds2 none → ok, master ds', (t) => {
  const holdings = [holding('ds', '192.168.113.110', '10.10.0.1'), holding('ds2')];
  t.deepEqual(judgeHolders(ha, holdings), { ok: true, master: 'ds', holdings });
});

test('judgeHolders: ds2 holds every floating address and ds none → ok, master ds2', (t) => {
  const holdings = [holding('ds'), holding('ds2', '192.168.113.110', '10.10.0.1', '10.10.0.2')];
  t.deepEqual(judgeHolders(twoVips, holdings), { ok: true, master: 'ds2', holdings });
});

test('judgeHolders: no director holds anything → not ok, the reason lists every floating address', (t) => {
  const holdings = [holding('ds'), holding('ds2')];
  t.deepEqual(judgeHolders(ha, holdings), { ok: false, reason: 'no director holds 192.168.113.110, 10.10.0.1', holdings });
});

test('judgeHolders: both directors hold floating addresses → not ok, the reason says what each holds', (t) => {
  const holdings = [holding('ds', '192.168.113.110', '10.10.0.1'), holding('ds2', '10.10.0.1')];
  t.deepEqual(judgeHolders(ha, holdings), {
    ok: false, reason: 'more than one director holds floating addresses: ds holds 192.168.113.110, 10.10.0.1; ds2 holds 10.10.0.1', holdings,
  });
});

test('judgeHolders: one director holds only some → not ok, the reason names the ones it misses', (t) => {
  const holdings = [holding('ds', '192.168.113.110', '10.10.0.2'), holding('ds2')];
  t.deepEqual(judgeHolders(twoVips, holdings), { ok: false, reason: 'ds holds 192.168.113.110, 10.10.0.2 but not 10.10.0.1', holdings });
  const onlyVips = [holding('ds'), holding('ds2', '10.10.0.1', '10.10.0.2')];
  t.deepEqual(judgeHolders(twoVips, onlyVips), { ok: false, reason: 'ds2 holds 10.10.0.1, 10.10.0.2 but not 192.168.113.110', holdings: onlyVips });
});

test('readHolding runs ip -j addr show dev eth0 and returns the floating addresses on it, prefix stripped (inet6 and its own address ignored)', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: MASTER_ETH0 }));
  t.deepEqual(await readHolding(ha, 'ds', runner, 'eth0'), { node: 'ds', holds: ['192.168.113.110', '10.10.0.1'] });
  t.deepEqual(calls.map((c) => c.argv), [['ip', '-j', 'addr', 'show', 'dev', 'eth0']]);
});

test('readHolding on the backup (its own address and an inet6 only) holds nothing', async (t) => {
  const { runner } = fakeRunner(() => ({ stdout: BACKUP_ETH0 }));
  t.deepEqual(await readHolding(ha, 'ds2', runner, 'eth0'), { node: 'ds2', holds: [] });
});

test('readHolding lists what it holds in floatingIps order, whatever order ip printed them in, and misses the VIP not on the link', async (t) => {
  const { runner } = fakeRunner(() => ({ stdout: MASTER_ETH0 }));
  // 10.10.0.2 is not on the link: the master of this lab is missing it
  t.deepEqual(await readHolding(twoVips, 'ds', runner, 'eth0'), { node: 'ds', holds: ['192.168.113.110', '10.10.0.1'] });
});

test('readHolding of another link than the one ip printed holds nothing', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: MASTER_ETH0 }));
  t.deepEqual(await readHolding(ha, 'ds', runner, 'eth1'), { node: 'ds', holds: [] });
  t.deepEqual(calls[0]?.argv, ['ip', '-j', 'addr', 'show', 'dev', 'eth1']);
});

test('readHolding without a link reads every link (ip -j addr show): the addresses are found on whichever link holds them', async (t) => {
  const lo = JSON.parse(eth0('00:00:00:00:00:00', [])) as { ifname: string }[];
  const both = JSON.stringify([{ ...lo[0], ifindex: 1, ifname: 'lo' }, ...(JSON.parse(MASTER_ETH0) as object[])]);
  const { runner, calls } = fakeRunner(() => ({ stdout: both }));
  t.deepEqual(await readHolding(ha, 'ds', runner), { node: 'ds', holds: ['192.168.113.110', '10.10.0.1'] });
  t.deepEqual(calls.map((c) => c.argv), [['ip', '-j', 'addr', 'show']]);
});

test('holdingLine: master when it holds all, backup when none, mid-transition when some, naming what is missing', (t) => {
  t.is(holdingLine(ha, holding('ds', '192.168.113.110', '10.10.0.1')), "ha: ds holds 192.168.113.110, 10.10.0.1: it is master (keepalived's addresses; lvslab never adds or removes them)");
  t.is(holdingLine(ha, holding('ds2')), 'ha: ds2 holds none of 192.168.113.110, 10.10.0.1: it is backup, or its keepalived is not running');
  t.is(holdingLine(ha, holding('ds', '10.10.0.1')), 'ha: ds holds 10.10.0.1 but not 192.168.113.110: keepalived is mid-transition, or something else moved them');
});

test('readHolders reads each director through its own runner: ds the master, ds2 the backup → ok, master ds', async (t) => {
  const master = fakeRunner(() => ({ stdout: MASTER_ETH0 }));
  const backup = fakeRunner(() => ({ stdout: BACKUP_ETH0 }));
  const runnerOf = (node: string) => (node === 'ds' ? master.runner : node === 'ds2' ? backup.runner : fakeRunner().runner);
  t.deepEqual(await readHolders(ha, runnerOf, 'eth0'), {
    ok: true, master: 'ds', holdings: [holding('ds', '192.168.113.110', '10.10.0.1'), holding('ds2')],
  });
  t.is(master.calls.length, 1);
  t.is(backup.calls.length, 1);
});

test('readHolders with a link per director (machines whose lab links differ) asks each director for its own link', async (t) => {
  const master = fakeRunner(() => ({ stdout: MASTER_ETH0 }));
  const backup = fakeRunner(() => ({ stdout: BACKUP_ETH0 }));
  const runnerOf = (node: string) => (node === 'ds' ? master.runner : backup.runner);
  const result = await readHolders(ha, runnerOf, (node) => (node === 'ds' ? 'eth0' : 'ens5'));
  t.is(result.ok ? result.master : undefined, 'ds');
  t.deepEqual(master.calls.map((c) => c.argv.at(-1)), ['eth0']);
  t.deepEqual(backup.calls.map((c) => c.argv.at(-1)), ['ens5']);
});

test('readHolders with both directors printing the master\'s addresses (split brain) → not ok, more than one holds', async (t) => {
  const both = fakeRunner(() => ({ stdout: MASTER_ETH0 }));
  const result = await readHolders(ha, () => both.runner, 'eth0');
  t.false(result.ok);
  t.is(result.ok ? undefined : result.reason, 'more than one director holds floating addresses: ds holds 192.168.113.110, 10.10.0.1; ds2 holds 192.168.113.110, 10.10.0.1');
});
