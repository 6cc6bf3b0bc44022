import test from 'ava';
import { describeChange } from '../../../daemon/plan/describe.js';
import { diff } from '../../../daemon/plan/diff.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { emptyState, type KernelState, type Observed } from '../../../daemon/kernel/types.js';
import { parseIpsetSave } from '../../../daemon/kernel/ipset/index.js';
import { labFrom } from './helpers.js';

const desired = planNode(labFrom('labs/seed.yaml'), 'ds').desired;
const asObserved = (s: KernelState): Observed => ({ ...s, sysctls: new Map(s.sysctls.map((x) => [x.key, x.value])) });
const kinds = (changes: { kind: string }[]) => changes.map((c) => c.kind);

test('a converged node diffs to nothing', (t) => {
  t.deepEqual(diff(desired, asObserved(desired)), []);
});

test('from nothing, everything is created (services before their real servers)', (t) => {
  const changes = diff(desired, asObserved(emptyState));
  t.deepEqual(kinds(changes), [
    'sysctl-set', 'sysctl-set', 'sysctl-set', 'sysctl-set', 'link-add', 'address-add', 'ipset-create', 'ipset-create',
    'chain-write', 'chain-write', 'chain-write', 'chain-write', 'jump-add', 'jump-add', 'jump-add', 'jump-add',
    'vs-add', 'rs-add', 'rs-add',
  ]);
});

test('cleanup (desired empty) removes exactly what is owned, and leaves sysctls alone', (t) => {
  const changes = diff(emptyState, asObserved(desired));
  t.deepEqual(kinds(changes).sort(), [
    'address-del', 'chain-delete', 'chain-delete', 'chain-delete', 'chain-delete', 'ipset-destroy', 'ipset-destroy',
    'jump-del', 'jump-del', 'jump-del', 'jump-del', 'link-del', 'vs-del',
  ]);
  t.false(changes.some((c) => c.kind === 'rs-del'), 'deleting a service deletes its real servers: no rs-del');
});

test('a changed weight is one rs-edit; a changed scheduler one vs-edit', (t) => {
  const [vs] = desired.ipvs;
  const drifted = asObserved({
    ...desired,
    ipvs: [{ ...vs!, scheduler: 'wlc', realServers: vs!.realServers.map((r, i) => (i === 0 ? { ...r, weight: 0 } : r)) }],
  });
  const changes = diff(desired, drifted);
  t.deepEqual(kinds(changes), ['vs-edit', 'rs-edit']);
});

test('a foreign-looking extra real server is deleted; a missing one added', (t) => {
  const [vs] = desired.ipvs;
  const drifted = asObserved({
    ...desired,
    ipvs: [{ ...vs!, realServers: [vs!.realServers[0]!, { address: '192.168.113.50', port: 8080, forwarding: 'nat', weight: 1 }] }],
  });
  const changes = diff(desired, drifted);
  t.deepEqual(kinds(changes), ['rs-del', 'rs-add']);
});

/** The seed's blocklist set, and the director's plan with `set` in its place. */
const blocklist = desired.ipsets.find((s) => s.name === 'LVSLAB-blacklist')!;
const withBlocklist = (set: typeof blocklist): KernelState => ({ ...desired, ipsets: desired.ipsets.map((s) => (s.name === set.name ? set : s)) });

test('changed set members are one atomic ipset-update; member order does not matter', (t) => {
  const set = blocklist;
  t.deepEqual(diff(withBlocklist({ ...set, entries: ['10.0.0.1', '10.0.0.2'] }), asObserved(withBlocklist({ ...set, entries: ['10.0.0.2', '10.0.0.1'] }))), []);
  const changes = diff(desired, asObserved(withBlocklist({ ...set, entries: ['1.1.1.1'] })));
  t.deepEqual(kinds(changes), ['ipset-update']);
  // options the kernel adds (bucketsize) or grows as the set fills (hashsize) do not count as a difference
  t.deepEqual(diff(desired, asObserved(withBlocklist({ ...set, options: { ...set.options, hashsize: '4096', bucketsize: '12' } }))), []);
  // a set too small for its entries (maxelem) is made again at the planned size, swapped in
  t.deepEqual(kinds(diff(desired, asObserved(withBlocklist({ ...set, options: { ...set.options, maxelem: '1024' } })))), ['ipset-update']);
});

test('a flushed chain is rewritten whole; a wrong sysctl is set with its old value', (t) => {
  const chains = desired.chains.map((c) => (c.name === 'LVSLAB-SERVICES' ? { ...c, rules: [] } : c));
  const changes = diff(desired, { ...asObserved({ ...desired, chains }), sysctls: new Map([...asObserved(desired).sysctls, ['net.ipv4.vs.conntrack', '0']]) });
  t.deepEqual(changes.map((c) => (c.kind === 'chain-write' ? `${c.kind} ${c.chain.name} from ${c.from?.rules.length}` : c.kind === 'sysctl-set' ? `${c.sysctl.key} ${c.from}→${c.sysctl.value}` : c.kind)), [
    'net.ipv4.vs.conntrack 0→1',
    'chain-write LVSLAB-SERVICES from 0',
  ]);
});

test('a link that is up while it should be down is set down, not recreated', (t) => {
  t.deepEqual(kinds(diff(desired, asObserved({ ...desired, links: [{ name: 'lvslab0', up: true }] }))), ['link-set']);
});

test('a real server moved from DR to TUN: its dummy is replaced by the ipip device and the VIP added again, none deleted', (t) => {
  const tun = planNode(labFrom('labs/tun.yaml'), 'rs1').desired;
  const dr = planNode(labFrom('labs/dr.yaml'), 'rs1').desired;
  const changes = diff(tun, asObserved(dr));
  t.deepEqual(changes.map(describeChange), [
    'sysctl net.ipv4.conf.all.rp_filter: (absent) → 0',
    'sysctl net.ipv4.conf.lvslab0.rp_filter: (absent) → 0',
    'link lvslab0: replace dummy by ipip local 192.168.113.99',
    'link lvslab0: set up',
    'address 10.10.0.1/32 on lvslab0: add',
  ]);
  t.deepEqual(diff(dr, asObserved(tun)).map(describeChange), [
    'link lvslab0: replace ipip local 192.168.113.99 by dummy',
    'link lvslab0: set up',
    'address 10.10.0.1/32 on lvslab0: add',
  ]);
});

test('a set whose desired entries repeat a member diffs to nothing against the kernel holding it once', (t) => {
  const set = desired.ipsets[0]!;
  t.deepEqual(diff({ ...desired, ipsets: [{ ...set, entries: ['10.0.0.1', '10.0.0.1', '10.0.0.2'] }] },
    asObserved({ ...desired, ipsets: [{ ...set, entries: ['10.0.0.2', '10.0.0.1'] }] })), []);
  t.deepEqual(kinds(diff({ ...desired, ipsets: [{ ...set, entries: ['10.0.0.1', '10.0.0.1'] }] },
    asObserved({ ...desired, ipsets: [{ ...set, entries: ['10.0.0.1', '10.0.0.2'] }] }))), ['ipset-update']);
});

/**
 * What ipset v7.17 (micro-VM, kernel 6.1) printed in `ipset save` after `add` of 10.1.2.3/8, 10.0.0.1/32,
 * 192.0.2.255/24 and 198.51.100.7/31 to a hash:net set: host bits cleared, /32 dropped.
 */
const NET_SAVE = `create LVSLAB-blacklist hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x358851c6
add LVSLAB-blacklist 198.51.100.6/31
add LVSLAB-blacklist 10.0.0.0/8
add LVSLAB-blacklist 192.0.2.0/24
add LVSLAB-blacklist 10.0.0.1
`;

test('a hash:net blocklist written 10.1.2.3/8, 10.0.0.1/32, 192.0.2.255/24, 198.51.100.7/31 diffs to nothing against ipset save of it', (t) => {
  const lab = labFrom('labs/seed.yaml', (text) => text.replace('    type: hash:ip\n    entries: [192.168.113.100]',
    '    type: hash:net\n    entries: [10.1.2.3/8, 10.0.0.1/32, 192.0.2.255/24, 198.51.100.7/31]'));
  const planned = planNode(lab, 'ds').desired;
  const plannedSet = planned.ipsets.find((s) => s.name === 'LVSLAB-blacklist');
  t.deepEqual(plannedSet?.entries, ['10.0.0.0/8', '10.0.0.1', '192.0.2.0/24', '198.51.100.6/31']);
  t.deepEqual(diff({ ...planned, ipsets: [plannedSet!] }, asObserved({ ...planned, ipsets: parseIpsetSave(NET_SAVE) })), []);
});

test('ipvs timeouts: one change naming only the fields that differ; converged and key-less plans diff to none; without the key the node\'s own come back', (t) => {
  const withTimeouts: KernelState = { ...desired, ipvsTimeouts: { tcp: 600, udp: 60 } };
  const node = { tcp: 900, tcpFin: 120, udp: 60 };
  const changes = diff(withTimeouts, { ...asObserved(desired), ipvsTimeouts: node });
  t.deepEqual(changes, [{ kind: 'ipvs-timeouts-set', timeouts: { tcp: 600, udp: 60 }, from: node }]);
  t.deepEqual(changes.map(describeChange), ['ipvs timeouts: tcp 900s → 600s']);
  t.deepEqual(diff(withTimeouts, { ...asObserved(desired), ipvsTimeouts: { ...node, tcp: 600 } }), [], 'tcpFin, which the lab does not set, is not compared');
  t.deepEqual(diff(withTimeouts, asObserved(withTimeouts)), []);
  t.deepEqual(diff(desired, { ...asObserved(desired), ipvsTimeouts: { tcp: 7200, tcpFin: 1, udp: 1 } }), [], 'a lab without the key leaves them alone');
  const host = { tcp: 900, tcpFin: 120, udp: 300 };
  const back = diff(desired, { ...asObserved(desired), ipvsTimeouts: { tcp: 600, tcpFin: 120, udp: 60 }, hostIpvsTimeouts: host });
  t.deepEqual(back, [{ kind: 'ipvs-timeouts-set', timeouts: host, from: { tcp: 600, tcpFin: 120, udp: 60 }, restore: true }]);
  t.deepEqual(back.map(describeChange), ['ipvs timeouts: tcp 600s → 900s, udp 60s → 300s (the node\'s own, back: the lab no longer sets them)']);
  t.deepEqual(diff(desired, { ...asObserved(desired), ipvsTimeouts: host, hostIpvsTimeouts: host }), []);
  t.deepEqual(diff(withTimeouts, { ...asObserved(desired), ipvsTimeouts: { tcp: 600, tcpFin: 120, udp: 60 }, hostIpvsTimeouts: host }), [], 'while the lab names them, the record only waits');
});

test('planDirector: the lab\'s ipvsTimeouts on the director only', (t) => {
  const lab = { ...labFrom('labs/seed.yaml'), ipvsTimeouts: { tcpFin: 30 } };
  t.deepEqual(planNode(lab, 'ds').desired.ipvsTimeouts, { tcpFin: 30 });
  for (const node of ['client', 'rs1', 'rs2']) t.false('ipvsTimeouts' in planNode(lab, node).desired, node);
  t.false('ipvsTimeouts' in desired);
});

test('real servers are paired the same by key in a short list (searched) and a long one (indexed): order does not matter, a repeated observed one is deleted once per copy', (t) => {
  const [vs] = desired.ipvs;
  const real = (i: number) => ({ address: `192.168.113.${10 + i}`, port: 8080, forwarding: 'nat' as const, weight: 1 });
  for (const n of [3, 8, 9, 40]) {
    const want = Array.from({ length: n }, (_, i) => real(i));
    // the kernel lists them backwards, one with another weight, the first missing, one extra listed twice
    const have = [...want.slice(1).reverse().map((r, i) => (i === 0 ? { ...r, weight: 5 } : r)), real(n), real(n)];
    const changes = diff({ ...desired, ipvs: [{ ...vs!, realServers: want }] }, asObserved({ ...desired, ipvs: [{ ...vs!, realServers: have }] }));
    t.deepEqual(kinds(changes), ['rs-del', 'rs-del', 'rs-add', 'rs-edit'], `n = ${n}`);
    const [, , add, edit] = changes;
    t.like(add, { kind: 'rs-add', real: real(0) }, `n = ${n}`);
    t.like(edit, { kind: 'rs-edit', real: want[n - 1], from: { ...want[n - 1], weight: 5 } }, `n = ${n}`);
    t.deepEqual(diff({ ...desired, ipvs: [{ ...vs!, realServers: want }] }, asObserved({ ...desired, ipvs: [{ ...vs!, realServers: [...want].reverse() }] })), [], `n = ${n} reversed`);
  }
});
