/**
 * The plan of an HA lab (labs/ha.yaml): the directors leave the VIPs to keepalived and SNAT to the
 * floating address; the client and NAT real servers route through it. Compared with labs/seed.yaml,
 * which is labs/ha.yaml without ds2 and ha.
 */
import test from 'ava';
import type { LabConfig } from '../../../daemon/config/types.js';
import { gatewayOf, planNode, type NodePlan } from '../../../daemon/plan/plan.js';
import { labFrom } from './helpers.js';

const HA_LINE = 'ha: { floatingAddress: 192.168.113.110/24, virtualRouterId: 51, advertInterval: 1s, preempt: false }\n';
const DS2_LINE = '  ds2:    { role: director,    address: 192.168.113.103/24, api: 0.0.0.0:9410 }\n';
const MASQUERADE = '-m comment --comment "lvslab: masquerade toward real servers" -j MASQUERADE';
const SNAT_FLOATING = '-m comment --comment "lvslab: SNAT to the floating address toward real servers" -j SNAT --to-source 192.168.113.110';

/** `text` with `from` replaced by `to`, throwing if `from` is not in it (a typo cannot pass silently). */
const edit = (from: string, to: string) => (text: string): string => {
  if (!text.includes(from)) throw new Error(`the lab does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
};
const edits = (...steps: ReadonlyArray<(text: string) => string>) => (text: string): string => steps.reduce((t, step) => step(t), text);

const ha = labFrom('labs/ha.yaml');
const seed = labFrom('labs/seed.yaml');

/** The seed lab's plan of `node` as the ha lab names things: its jump comments say "lvslab:ha". */
const seedPlanAsHa = (node: string): NodePlan => JSON.parse(JSON.stringify(planNode(seed, node)).replaceAll('lvslab:seed', 'lvslab:ha')) as NodePlan;

test('labs/ha.yaml without ds2 and ha, named seed, is labs/seed.yaml (the one-director lab the HA plans are compared with)', (t) => {
  const oneDirector = labFrom('labs/ha.yaml', edits(edit(DS2_LINE, ''), edit(HA_LINE, ''), edit('lab: ha', 'lab: seed')));
  t.deepEqual(oneDirector, seed);
});

for (const director of ['ds', 'ds2']) {
  test(`HA director ${director} plans what the seed director does, but no link, no address, and POSTROUTING ending in SNAT to the floating IP instead of MASQUERADE`, (t) => {
    const plan = planNode(ha, director);
    const base = seedPlanAsHa('ds');
    const postrouting = (rule: string) => (c: NodePlan['desired']['chains'][number]) =>
      c.name === 'LVSLAB-POSTROUTING' ? { ...c, rules: c.rules.map((r) => (r === MASQUERADE ? rule : r)) } : c;
    t.deepEqual(plan.desired, {
      ...base.desired,
      links: [],
      addresses: [],
      chains: base.desired.chains.map(postrouting(SNAT_FLOATING)),
    });
    t.deepEqual(plan.modules, ['ip_vs']);
    t.deepEqual(plan.backends, []);
  });
}

test('the HA director\'s POSTROUTING chain is RETURN unmarked, clear the mark, SNAT --to-source 192.168.113.110 (no MASQUERADE anywhere)', (t) => {
  const { desired } = planNode(ha, 'ds');
  t.deepEqual(desired.chains.find((c) => c.table === 'nat' && c.name === 'LVSLAB-POSTROUTING')?.rules, [
    '-m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-j MARK --set-xmark 0x4000/0x0',
    SNAT_FLOATING,
  ]);
  t.false(desired.chains.some((c) => c.rules.some((r) => r.includes('MASQUERADE'))));
});

test('both HA directors plan the same kernel state (lvslab programs IPVS and the rules on both)', (t) => {
  t.deepEqual(planNode(ha, 'ds2').desired, planNode(ha, 'ds').desired);
});

test('an HA director with several VIPs (one VIP on two ports) still holds no link and no address', (t) => {
  const more = '  - { name: web2, vip: 10.10.0.2, port: 80, realServers: [{ node: rs1, port: 8080 }] }\n' +
    '  - { name: web3, vip: 10.10.0.2, port: 443, realServers: [{ node: rs2, port: 8443 }] }\n';
  const lab = labFrom('labs/ha.yaml', edit('blocklists:', `${more}blocklists:`));
  const { desired, modules } = planNode(lab, 'ds2');
  t.deepEqual(desired.links, []);
  t.deepEqual(desired.addresses, []);
  t.deepEqual(desired.ipvs.map((s) => `${s.address}:${s.port}`), ['10.10.0.1:8410', '10.10.0.2:80', '10.10.0.2:443']);
  t.deepEqual(modules, ['ip_vs']);
  t.deepEqual(planNode(lab, 'client').desired.routes, [
    { dst: '10.10.0.1/32', via: '192.168.113.110' },
    { dst: '10.10.0.2/32', via: '192.168.113.110' },
  ], 'one route per VIP, via the floating IP');
});

test('the gateway of an HA lab is the floating IP 192.168.113.110; of the seed lab, the director ds\'s 192.168.113.101', (t) => {
  t.is(gatewayOf(ha), '192.168.113.110');
  t.is(gatewayOf(seed), '192.168.113.101');
});

test('the HA client routes the VIP via the floating IP, not a director, and otherwise plans what the seed client does', (t) => {
  const { desired } = planNode(ha, 'client');
  t.deepEqual(desired.routes, [{ dst: '10.10.0.1/32', via: '192.168.113.110' }]);
  t.deepEqual(desired, { ...seedPlanAsHa('client').desired, routes: [{ dst: '10.10.0.1/32', via: '192.168.113.110' }] });
});

test('HA real servers with snat plan what the seed real servers do (nothing to route)', (t) => {
  for (const rs of ['rs1', 'rs2']) {
    t.deepEqual(planNode(ha, rs), seedPlanAsHa(rs), rs);
    t.deepEqual(planNode(ha, rs).desired.routes, [], rs);
  }
});

test('an HA NAT real server without snat routes the client via the floating IP, the seed one via the director', (t) => {
  const noSnat = (lab: string): LabConfig => labFrom(lab, edit('snat: true', 'snat: false'));
  t.deepEqual(planNode(noSnat('labs/ha.yaml'), 'rs1').desired.routes, [{ dst: '192.168.113.102/32', via: '192.168.113.110' }]);
  t.deepEqual(planNode(noSnat('labs/ha.yaml'), 'rs2').desired.routes, [{ dst: '192.168.113.102/32', via: '192.168.113.110' }]);
  t.deepEqual(planNode(noSnat('labs/seed.yaml'), 'rs1').desired.routes, [{ dst: '192.168.113.102/32', via: '192.168.113.101' }]);
});

test('an HA director without snat writes no nat chain and still no link or address', (t) => {
  const { desired } = planNode(labFrom('labs/ha.yaml', edit('snat: true', 'snat: false')), 'ds');
  t.false(desired.chains.some((c) => c.table === 'nat'));
  t.false(desired.jumps.some((j) => j.table === 'nat'));
  t.deepEqual(desired.links, []);
  t.deepEqual(desired.addresses, []);
});

test('one-director labs are unchanged: the seed director holds lvslab0 down with the VIP and masquerades; its client routes via 192.168.113.101', (t) => {
  const { desired } = planNode(seed, 'ds');
  t.deepEqual(desired.links, [{ name: 'lvslab0', up: false }]);
  t.deepEqual(desired.addresses, [{ dev: 'lvslab0', cidr: '10.10.0.1/32' }]);
  t.is(desired.chains.find((c) => c.name === 'LVSLAB-POSTROUTING')?.rules.at(-1), MASQUERADE);
  t.deepEqual(planNode(seed, 'client').desired.routes, [{ dst: '10.10.0.1/32', via: '192.168.113.101' }]);
});
