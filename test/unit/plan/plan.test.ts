import test from 'ava';
import { ownedFromTables, parseIptablesSave } from '../../../daemon/kernel/iptables/index.js';
import { parseIpsetSave, sameIpSetDefinition } from '../../../daemon/kernel/ipset/index.js';
import { parseIpvsSave } from '../../../daemon/kernel/ipvs/index.js';
import { DIRECTOR_SYSCTLS, planNode } from '../../../daemon/plan/plan.js';
import { setHashsize, setMaxelem } from '../../../daemon/plan/set-size.js';
import { labFrom, tool } from './helpers.js';

const seed = labFrom('labs/seed.yaml');

test('the director holds the VIP on a dummy link kept down, the IPVS service and the IPVS sysctls', (t) => {
  const { desired, modules, backends } = planNode(seed, 'ds');
  t.deepEqual(desired.links, [{ name: 'lvslab0', up: false }]);
  t.deepEqual(desired.addresses, [{ dev: 'lvslab0', cidr: '10.10.0.1/32' }]);
  t.deepEqual(desired.sysctls, DIRECTOR_SYSCTLS);
  t.deepEqual(modules, ['ip_vs']);
  t.deepEqual(backends, []);
  t.deepEqual(desired.ipvs, [{
    protocol: 'tcp', address: '10.10.0.1', port: 8410, scheduler: 'rr',
    realServers: [
      { address: '192.168.113.99', port: 8080, forwarding: 'nat', weight: 1 },
      { address: '192.168.113.98', port: 8080, forwarding: 'nat', weight: 1 },
    ],
  }]);
});

test("the director's planned rules are exactly what iptables-save printed for the hand-built lab", (t) => {
  // The fixture was built by hand in the micro-VM with the rules lvslab means to write; iptables-save
  // printed them in its normal form. The plan must produce that normal form, or the diff never settles.
  const { desired } = planNode(seed, 'ds');
  const real = ownedFromTables([...parseIptablesSave(tool('iptables-save-nat-ds.txt')), ...parseIptablesSave(tool('iptables-save-filter-ds.txt'))], 'LVSLAB-');
  const realChain = (table: string, name: string) => real.chains.find((c) => c.table === table && c.name === name);
  for (const chain of desired.chains) {
    const observed = realChain(chain.table, chain.name);
    t.truthy(observed, `${chain.table}/${chain.name} not in the fixture`);
    // the fixture holds one more SNAT rule and blocklist (for other services); the planned ones come first
    t.deepEqual(observed!.rules.slice(0, chain.rules.length), chain.rules, `${chain.table}/${chain.name}`);
  }
  for (const jump of desired.jumps) t.true(real.jumps.some((j) => j.table === jump.table && j.chain === jump.chain && j.rule === jump.rule), jump.rule);
});

test("the director's planned IPVS service is what ipvsadm -S -n printed for it", (t) => {
  const real = parseIpvsSave(tool('ipvsadm-S-n.txt')).find((s) => s.address === '10.10.0.1')!;
  const planned = planNode(seed, 'ds').desired.ipvs[0]!;
  const byAddress = (a: { address: string }, b: { address: string }) => a.address.localeCompare(b.address);
  t.deepEqual({ ...real, realServers: [...real.realServers].sort(byAddress) }, { ...planned, realServers: [...planned.realServers].sort(byAddress) });
});

test('the blocklist becomes one set and one DROP rule', (t) => {
  const { desired } = planNode(seed, 'ds');
  t.deepEqual(desired.ipsets.filter((s) => s.name !== 'LVSLAB-SNAT'), [{ name: 'LVSLAB-blacklist', type: 'hash:ip', options: { family: 'inet', hashsize: '1024', maxelem: '65536' }, entries: ['192.168.113.100'] }]);
  t.deepEqual(desired.chains.find((c) => c.name === 'LVSLAB-INPUT')?.rules, [
    '-p tcp -m tcp --dport 8410 -m set --match-set LVSLAB-blacklist src -m comment --comment "lvslab: blocklist blacklist" -j DROP',
  ]);
});

test('a director that balances nothing (a blocklist alone) needs no IPVS: no ip_vs module, no net.ipv4.vs sysctls, no dummy link', (t) => {
  const lab = labFrom('labs/seed.yaml', (s) => s.replace(/virtualServers:[\s\S]*?(?=blocklists:)/, ''));
  t.deepEqual(lab.virtualServers, []);
  const { desired, modules } = planNode(lab, 'ds');
  t.deepEqual(modules, []);
  t.deepEqual(desired.sysctls, [{ key: 'net.ipv4.ip_forward', value: '1' }]);
  t.deepEqual(desired.ipvs, []);
  t.deepEqual(desired.links, []);
  t.deepEqual(desired.ipsets.map((s) => s.name), ['LVSLAB-blacklist']);
  const timed = labFrom('labs/seed.yaml', (s) => s.replace(/virtualServers:[\s\S]*?(?=blocklists:)/, 'ipvsTimeouts: { tcp: 900s }\n'));
  t.deepEqual(planNode(timed, 'ds').modules, ['ip_vs'], 'IPVS timeouts still need IPVS');
});

test('virtual servers that need SNAT are one hash:ip,port set of VIP,proto:PORT and one marking rule, however many', (t) => {
  const more = Array.from({ length: 300 }, (_, i) =>
    `  - { name: v${i}, vip: 10.11.${i >> 8}.${i & 255}, port: ${80 + (i % 2)}, protocol: ${i % 3 === 0 ? 'udp' : 'tcp'}, snat: ${i % 5 !== 0}, ` +
    'realServers: [{ node: rs1, port: 8080 }] }\n');
  const lab = labFrom('labs/seed.yaml', (text) => text.replace('blocklists:', `${more.join('')}blocklists:`));
  const { desired } = planNode(lab, 'ds');
  const set = desired.ipsets.find((s) => s.name === 'LVSLAB-SNAT');
  t.is(set?.type, 'hash:ip,port');
  t.is(set?.entries.length, 1 + 240);
  t.is(set?.entries[0], '10.10.0.1,tcp:8410');
  t.true(set?.entries.includes('10.11.0.3,udp:81'));
  t.false(set?.entries.includes('10.11.0.5,tcp:81'), 'v5 has snat: false');
  t.deepEqual(set?.options, { family: 'inet', hashsize: '1024', maxelem: '65536' });
  t.deepEqual(desired.chains.find((c) => c.name === 'LVSLAB-SERVICES')?.rules,
    ['-m comment --comment "lvslab: virtual servers that need SNAT" -m set --match-set LVSLAB-SNAT dst,dst -j LVSLAB-MARK-MASQ']);
});

test('the planned SNAT set is what ipset save printed for the hand-built lab (the definition, and web\'s entry)', (t) => {
  const planned = planNode(seed, 'ds').desired.ipsets.find((s) => s.name === 'LVSLAB-SNAT');
  const real = parseIpsetSave(tool('ipset-save.txt')).find((s) => s.name === 'LVSLAB-SNAT');
  if (planned === undefined || real === undefined) return t.fail('LVSLAB-SNAT planned and captured');
  t.true(sameIpSetDefinition(planned, real));
  t.deepEqual(planned.entries, real.entries.filter((e) => e.startsWith('10.10.0.1,')));
});

test('without snat the director writes no nat chains, and NAT real servers route clients back through it', (t) => {
  const lab = labFrom('labs/seed.yaml', (s) => s.replace('snat: true', 'snat: false'));
  t.false(planNode(lab, 'ds').desired.chains.some((c) => c.table === 'nat'));
  t.deepEqual(planNode(lab, 'rs1').desired.routes, [{ dst: '192.168.113.102/32', via: '192.168.113.101' }]);
  t.deepEqual(planNode(seed, 'rs1').desired.routes, [], 'with SNAT the real server needs no route');
});

test('the client routes each VIP via the director and keeps conntrack on', (t) => {
  const { desired } = planNode(seed, 'client');
  t.deepEqual(desired.routes, [{ dst: '10.10.0.1/32', via: '192.168.113.101' }]);
  const real = ownedFromTables(parseIptablesSave(tool('iptables-save-filter-client.txt')), 'LVSLAB-');
  t.deepEqual(desired.chains, real.chains);
  t.deepEqual(desired.jumps, real.jumps);
});

test('real servers run a backend on each port they serve, once per protocol and port', (t) => {
  const wrr = labFrom('labs/wrr.yaml');
  t.deepEqual(planNode(wrr, 'web1').backends, [{ protocol: 'tcp', port: 8081 }]);
  t.deepEqual(planNode(wrr, 'web2').backends, [{ protocol: 'tcp', port: 8082 }]);
  t.deepEqual(planNode(wrr, 'lb').desired.ipvs[0]!.realServers.map((r) => r.weight), [3, 1]);
});

test('direct routing (labs/dr.yaml): the real server holds the VIP on its dummy without answering ARP for it; no route, no module', (t) => {
  const lab = labFrom('labs/dr.yaml');
  const { desired, modules } = planNode(lab, 'rs1');
  t.deepEqual(desired.links, [{ name: 'lvslab0', up: true }]);
  t.deepEqual(desired.addresses, [{ dev: 'lvslab0', cidr: '10.10.0.1/32' }]);
  t.deepEqual(desired.sysctls.map((s) => `${s.key}=${s.value}`), ['net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
  t.deepEqual(desired.routes, []);
  t.deepEqual(modules, []);
  t.deepEqual(planNode(lab, 'rs1').backends, [{ protocol: 'tcp', port: 8410 }]);
});

test('tunneling (labs/tun.yaml): the real server decapsulates on an ipip lvslab0 bound to its address, holds the VIP there, rp_filter off; no modprobe (the kernel loads ipip for the link)', (t) => {
  const { desired, modules } = planNode(labFrom('labs/tun.yaml'), 'rs2');
  t.deepEqual(desired.links, [{ name: 'lvslab0', up: true, ipipLocal: '192.168.113.98' }]);
  t.deepEqual(desired.addresses, [{ dev: 'lvslab0', cidr: '10.10.0.1/32' }]);
  t.deepEqual(desired.sysctls.map((s) => `${s.key}=${s.value}`), [
    'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.lvslab0.rp_filter=0',
  ]);
  t.deepEqual(modules, []);
});

test('DR and TUN directors: IPVS with -g / -i, no SNAT set or nat chain, and a rule that keeps conntrack on (INPUT)', (t) => {
  for (const [mode, forwarding] of [['dr', 'dr'], ['tun', 'tun']] as const) {
    const { desired } = planNode(labFrom(`labs/${mode}.yaml`), 'ds');
    t.deepEqual(desired.ipvs[0]?.realServers.map((r) => r.forwarding), [forwarding, forwarding]);
    t.deepEqual(desired.chains.map((c) => `${c.table}/${c.name}`), ['filter/LVSLAB-INPUT', 'filter/LVSLAB-CONNTRACK']);
    t.deepEqual(desired.ipsets.map((s) => s.name), ['LVSLAB-blacklist']);
    t.deepEqual(desired.jumps.map((j) => `${j.chain} ${j.rule}`), [
      `INPUT -m comment --comment "lvslab:${mode}" -j LVSLAB-INPUT`, `INPUT -m comment --comment "lvslab:${mode}" -j LVSLAB-CONNTRACK`,
    ]);
  }
  t.false(planNode(seed, 'ds').desired.chains.some((c) => c.name === 'LVSLAB-CONNTRACK'), 'NAT\'s nat rules keep conntrack on already');
});

test('an unknown node is an error that names the known ones', (t) => {
  t.throws(() => planNode(seed, 'rs9'), { message: /node 'rs9' is not in lab 'seed' \(nodes: ds, client, rs1, rs2\)/ });
});

test('a blocklist set is sized for its entries: maxelem 65536 and hashsize 1024 (ipset\'s defaults), doubled until they fit and half of them', (t) => {
  t.deepEqual([0, 65_536, 65_537, 100_000, 262_145].map(setMaxelem), [65_536, 65_536, 131_072, 131_072, 524_288]);
  t.deepEqual([0, 2_048, 2_049, 10_000, 100_000].map(setHashsize), [1_024, 1_024, 2_048, 8_192, 65_536]);
  const entries = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const lab = { ...seed, blocklists: [{ ...seed.blocklists[0]!, entries }] };
  t.deepEqual(planNode(lab, 'ds').desired.ipsets.find((s) => s.name === 'LVSLAB-blacklist')?.options, { family: 'inet', hashsize: '65536', maxelem: '131072' });
});
