/**
 * Ownership on the kernel side: observe takes only objects at exact keys the plan names or the ledger
 * recorded, never by a shared address, a route protocol or a prefix alone; the ledger is written ahead
 * of the kernel and read again after a restart. A fake node replays the captured director and client.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../temp-dir.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import { ofKind, type Change } from '../../../daemon/kernel/changes.js';
import { fileLedger } from '../../../daemon/kernel/ledger.js';
import { nodeKernel } from '../../../daemon/kernel/node-kernel.js';
import { changeKeys, claimOwned, describeConflict } from '../../../daemon/kernel/ownership.js';
import { parseAddresses, parseLinkKind, parseLinks } from '../../../daemon/kernel/ip/index.js';
import { labFrom } from '../plan/helpers.js';
import { jumpKey, virtualServiceKey, type VirtualService } from '../../../daemon/kernel/types.js';
import { diff } from '../../../daemon/plan/diff.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { seedLab } from '../health/helpers.js';
import { capturedDirector, fixture, replayingNode, writesOf, type NodeOutputs } from './helpers.js';

const ledgerFile = (): string => join(tempDir('lvslab-ledger-'), 'ds.owned.json');
/** The ledger's keys; no file is an empty ledger (as the ledger reads it). */
const recorded = (path: string): string[] => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { keys: string[] }).keys : []);
const kernelOf = (outputs: NodeOutputs, path: string, fail?: (argv: readonly string[]) => string | undefined) => {
  const node = replayingNode(outputs, fail);
  return { ...node, kernel: nodeKernel(node.runner, { interface: 'lvslab0', ledger: fileLedger(path) }) };
};

const seed = seedLab();
/** The seed lab with a second virtual server at 10.10.0.2:80, the captured director's other VIP. */
const withVip2: LabConfig = { ...seed, virtualServers: [...seed.virtualServers, { ...seed.virtualServers[0]!, name: 'www', vip: '10.10.0.2', port: 80 }] };
const keysOf = (services: readonly VirtualService[]): string[] => services.map(virtualServiceKey).sort();

test('foreign IPVS services on a VIP, on another port (tcp 443) and protocol (udp 53), survive observe and diff', async (t) => {
  const { kernel } = kernelOf(capturedDirector(), ledgerFile());
  const desired = planNode(withVip2, 'ds').desired;
  const observed = await kernel.observe(desired);
  t.deepEqual(keysOf(observed.ipvs), ['tcp:10.10.0.1:8410', 'tcp:10.10.0.2:80']);
  const changes = diff(desired, observed);
  t.deepEqual(ofKind(changes, 'vs-del'), []);
  t.deepEqual(ofKind(changes, 'vs-edit').map((c) => virtualServiceKey(c.service)), ['tcp:10.10.0.2:80'], 'the planned one is still made to match');
});

test('a foreign rule in a built-in chain that jumps into a chain with the prefix, and that chain, survive', async (t) => {
  const outputs = capturedDirector();
  const iptables = outputs.iptables
    .replace(':LVSLAB-INPUT - [0:0]', ':LVSLAB-INPUT - [0:0]\n:LVSLAB-THEIRS - [0:0]')
    .replace('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -s 10.66.0.0/16 -j LVSLAB-INPUT\n-A FORWARD -j LVSLAB-THEIRS\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A LVSLAB-THEIRS -j RETURN');
  t.not(iptables, outputs.iptables);
  const { kernel } = kernelOf({ ...outputs, iptables }, ledgerFile());
  const desired = planNode(seed, 'ds').desired;
  const observed = await kernel.observe(desired);
  const changes = diff(desired, observed);
  t.deepEqual(ofKind(changes, 'jump-del'), []);
  t.deepEqual(ofKind(changes, 'chain-delete'), []);
  t.false(observed.jumps.some((j) => j.rule.includes('10.66.0.0/16') || j.rule.includes('LVSLAB-THEIRS')));
  t.false(observed.chains.some((c) => c.name === 'LVSLAB-THEIRS'));
  t.true(observed.jumps.some((j) => j.rule === '-m comment --comment "lvslab:seed" -j LVSLAB-INPUT'), 'lvslab\'s own jump, at its exact text, is still its');
});

test('on a client, a foreign route with protocol 241 to a destination no plan names survives', async (t) => {
  const { kernel } = kernelOf({ ...capturedDirector(), routes: fixture('ip-j-route-foreign-client.json') }, ledgerFile());
  const desired = planNode(seed, 'client').desired;
  const observed = await kernel.observe(desired);
  t.deepEqual(observed.routes, [{ dst: '10.10.0.1/32', via: '192.168.113.101' }]);
  t.deepEqual(ofKind(diff(desired, observed), 'route-del', 'route-add'), []);
});

test('a dummy with the interface name that lvslab did not create is not taken: no link or address change, the conflict is reported', async (t) => {
  // the captured director holds lvslab0; this ledger has no record of it
  const { kernel } = kernelOf(capturedDirector(), ledgerFile());
  const desired = planNode(seed, 'ds').desired;
  const observed = await kernel.observe(desired);
  t.deepEqual(observed.links, []);
  t.deepEqual(observed.addresses, []);
  t.deepEqual(observed.conflicts, [{ kind: 'link', name: 'lvslab0', linkKind: 'dummy' }]);
});

test('a TUN real server\'s ipip lvslab0 is lvslab\'s when its ledger recorded it (with its local address and VIP); unrecorded, a conflict naming its kind', (t) => {
  const json: unknown = JSON.parse(fixture('ip-j-d-addr-tun-rs.json'));
  const link = { ...parseLinks(json, 'lvslab0')!, kind: parseLinkKind(json, 'lvslab0')! };
  const seen = { link, addresses: parseAddresses(json, 'lvslab0'), routes: [], ipsets: [], chains: [], jumps: [], ipvs: [] };
  const desired = planNode(labFrom('labs/tun.yaml'), 'rs1').desired;
  const mine = claimOwned(seen, new Set(['link:lvslab0']), new Set(), desired);
  t.deepEqual(mine.conflicts, []);
  t.deepEqual(mine.owned.links, desired.links);
  t.deepEqual(mine.owned.addresses, desired.addresses);
  const theirs = claimOwned(seen, new Set(), new Set(), desired);
  t.deepEqual(theirs.owned.links, []);
  t.deepEqual(theirs.conflicts, [{ kind: 'link', name: 'lvslab0', linkKind: 'ipip' }]);
  t.regex(describeConflict(theirs.conflicts[0]!), /^interface lvslab0 exists and is an ipip link lvslab did not create/);
});

test('a fresh TUN real server: the ipip device is made before its own rp_filter key (which exists only then) is written', async (t) => {
  const empty: NodeOutputs = { addr: '[]', routes: '[]', ipvs: '', ipsets: '', iptables: '' };
  const { kernel, calls } = kernelOf(empty, ledgerFile());
  const desired = planNode(labFrom('labs/tun.yaml'), 'rs1').desired;
  const results = await kernel.apply(diff(desired, await kernel.observe(desired)));
  t.deepEqual(results.map((r) => r.step), ['sysctl', 'ip', 'sysctl-device']);
  t.deepEqual(writesOf(calls).map((l) => l.split('\n')[0]), [
    // the fake node says 1 for every key it is asked: arp_ignore is already right
    'sysctl -w net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=0',
    'ip -batch -',
    'sysctl -w net.ipv4.conf.lvslab0.rp_filter=0',
  ]);
  t.is(calls.find((c) => c.argv.join(' ') === 'ip -batch -')?.options?.input,
    'link add lvslab0 type ipip local 192.168.113.99\nlink set lvslab0 up\naddress add 10.10.0.1/32 dev lvslab0\n');
});

test('the ledger records what an apply creates before the first batch runs (a SIGKILL mid-batch leaks nothing); an observe meanwhile does not forget it', async (t) => {
  const path = ledgerFile();
  let release: () => void = () => undefined;
  const hung = new Promise<void>((resolve) => (release = resolve));
  const node = replayingNode(capturedDirector());
  // the ipvsadm write (a batch of one line: ipvsadm -A …) never returns until released: the process
  // could be killed at this instant
  let batchStarted = false;
  const runner = { ...node.runner, run: async (argv: readonly string[], o?: Parameters<typeof node.runner.run>[1]) => {
    if (argv[0] === 'ipvsadm' && argv[1] !== '-S') {
      batchStarted = true;
      await hung;
    }
    return node.runner.run(argv, o);
  } };
  const kernel = nodeKernel(runner, { interface: 'lvslab0', ledger: fileLedger(path) });
  const service: VirtualService = { protocol: 'udp', address: '10.10.0.9', port: 53, scheduler: 'rr', realServers: [] };
  const applying = kernel.apply([{ kind: 'vs-add', service }]);
  while (!batchStarted) await new Promise((r) => setTimeout(r, 1));
  t.deepEqual(recorded(path), ['ipvs:udp:10.10.0.9:53']);
  // the replayed kernel does not show the service yet: an observe now must not forget its key
  await kernel.observe(planNode(seed, 'client').desired);
  t.deepEqual(recorded(path), ['ipvs:udp:10.10.0.9:53']);
  release();
  await applying;
  t.deepEqual(recorded(path), ['ipvs:udp:10.10.0.9:53']);
});

test('a failed batch keeps the created keys: a restarted daemon with a lab that no longer names the object still deletes it', async (t) => {
  const path = ledgerFile();
  const service: VirtualService = { protocol: 'tcp', address: '10.10.0.2', port: 443, scheduler: 'wlc', realServers: [] };
  const first = kernelOf(capturedDirector(), path, (argv) => (argv[0] === 'ipvsadm' && (argv[1] === '-R' || argv[1] === '-A') ? 'Memory allocation problem\n' : undefined));
  await t.throwsAsync(first.kernel.apply([{ kind: 'vs-add', service }]));
  t.deepEqual(recorded(path), ['ipvs:tcp:10.10.0.2:443']);
  // "restart": a new kernel reading the same ledger file, with the seed lab (no 10.10.0.2 at all)
  const { kernel } = kernelOf(capturedDirector(), path);
  const desired = planNode(seed, 'ds').desired;
  const changes = diff(desired, await kernel.observe(desired));
  t.deepEqual(ofKind(changes, 'vs-del').map((c) => virtualServiceKey(c.service)), ['tcp:10.10.0.2:443']);
});

test('a virtual server removed from the lab is still deleted: the ledger recorded it; services it never made are not', async (t) => {
  const path = ledgerFile();
  const before = kernelOf(capturedDirector(), path);
  // the lab serves 10.10.0.2:80: observe adopts the service at that exact key and records it
  await before.kernel.observe(planNode(withVip2, 'ds').desired);
  t.true(recorded(path).includes('ipvs:tcp:10.10.0.2:80'));
  t.false(recorded(path).some((k) => k.includes(':443') || k.startsWith('ipvs:udp')));
  // after a reload (or a restart) without "www"
  const { kernel } = kernelOf(capturedDirector(), path);
  const desired = planNode(seed, 'ds').desired;
  const changes = diff(desired, await kernel.observe(desired));
  t.deepEqual(ofKind(changes, 'vs-del').map((c) => virtualServiceKey(c.service)), ['tcp:10.10.0.2:80']);
});

test('the ledger forgets keys whose object is gone; a deletion forgets its key after the batch', async (t) => {
  const path = ledgerFile();
  const { kernel } = kernelOf(capturedDirector(), path);
  const gone: VirtualService = { protocol: 'tcp', address: '10.10.0.7', port: 80, scheduler: 'rr', realServers: [] };
  await kernel.apply([{ kind: 'vs-add', service: gone }]); // the replayed kernel never shows it
  t.deepEqual(recorded(path), ['ipvs:tcp:10.10.0.7:80']);
  await kernel.observe(planNode(seed, 'client').desired);
  t.deepEqual(recorded(path), [], 'absent: forgotten');

  const there: VirtualService = { protocol: 'tcp', address: '10.10.0.2', port: 443, scheduler: 'wlc', realServers: [] };
  await kernel.apply([{ kind: 'vs-add', service: there }]);
  const seen = await kernel.observe(planNode(seed, 'client').desired);
  t.deepEqual(keysOf(seen.ipvs), ['tcp:10.10.0.2:443']);
  await kernel.apply([{ kind: 'vs-del', service: there }]);
  t.deepEqual(recorded(path), []);
});

test('a ledger emptied by a deletion leaves no file, and no lab folder when nothing else is in it; a later create writes it again', async (t) => {
  const path = ledgerFile();
  const { kernel } = kernelOf(capturedDirector(), path);
  const there: VirtualService = { protocol: 'tcp', address: '10.10.0.2', port: 443, scheduler: 'wlc', realServers: [] };
  await kernel.apply([{ kind: 'vs-add', service: there }]);
  t.deepEqual(recorded(path), ['ipvs:tcp:10.10.0.2:443']);
  await kernel.apply([{ kind: 'vs-del', service: there }]);
  t.false(existsSync(path), 'no empty ledger file');
  t.false(existsSync(dirname(path)), 'no empty lab folder');
  await kernel.apply([{ kind: 'vs-add', service: there }]);
  t.deepEqual(recorded(path), ['ipvs:tcp:10.10.0.2:443']);
  // a folder that holds something else (the daemon's state file) stays
  writeFileSync(join(dirname(path), 'ds.state.json'), '{}\n');
  await kernel.apply([{ kind: 'vs-del', service: there }]);
  t.false(existsSync(path));
  t.true(existsSync(join(dirname(path), 'ds.state.json')));
});

test('changeKeys: created keys recorded before, deleted ones forgotten after; a replaced route and an ipset swap', (t) => {
  const route = { dst: '10.10.0.1/32', via: '192.168.113.101' };
  const set = { name: 'LVSLAB-x', type: 'hash:ip', options: {}, entries: [] };
  const jump = { table: 'nat' as const, chain: 'PREROUTING', rule: '-m comment --comment "lvslab:seed" -j LVSLAB-SERVICES' };
  const changes: Change[] = [
    { kind: 'route-del', route: { ...route, via: '192.168.113.1' } },
    { kind: 'route-add', route },
    { kind: 'ipset-update', set, from: set },
    { kind: 'jump-add', jump },
    { kind: 'link-del', link: { name: 'old0', up: false } },
  ];
  t.deepEqual(changeKeys(changes), {
    created: ['route:10.10.0.1/32', `jump:${jumpKey(jump)}`, 'ipset:LVSLAB-x.t'],
    forgotten: ['link:old0', 'ipset:LVSLAB-x.t'],
  });
});

test('a replayed director writes nothing for an observe', async (t) => {
  const { kernel, calls } = kernelOf(capturedDirector(), ledgerFile());
  await kernel.observe(planNode(withVip2, 'ds').desired);
  t.deepEqual(writesOf(calls), []);
});
