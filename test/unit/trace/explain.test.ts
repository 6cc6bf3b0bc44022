import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseIpsetSave } from '../../../daemon/kernel/ipset/index.js';
import { explainRule, lookUpSet, ruleWords, type ExplainContext, type PacketFields } from '../../../daemon/trace/index.js';
import { SETS } from './reference.js';

const sets = parseIpsetSave(SETS);
const toClusterIp: PacketFields = { protocol: 'tcp', src: '10.108.113.237', dst: '10.108.113.237', sport: 41000, dport: 80 };
const ctx = (table: ExplainContext['table'], packet: PacketFields = toClusterIp): ExplainContext =>
  ({ table, userChains: new Set(['KUBE-SERVICES', 'KUBE-MARK-MASQ', 'LVSLAB-MARK-MASQ', 'MY-CHAIN']), sets, packet });

test('ruleWords: a quoted comment is one word, escapes undone', (t) => {
  t.deepEqual(ruleWords('-m comment --comment "a \\"b\\" c" -j X'), ['-m', 'comment', '--comment', 'a "b" c', '-j', 'X']);
});

test('filter rules of the reference: mark, localnet, REJECT with the set entry that matched', (t) => {
  t.is(explainRule('-m mark ! --mark 0x4000/0x4000 -j RETURN', ctx('nat')), 'the packet does not carry mark 0x4000/0x4000 → returns to the calling chain');
  t.is(explainRule('! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP', ctx('filter')),
    'not from 127.0.0.0/8, to 127.0.0.0/8, connection state not RELATED,ESTABLISHED,DNAT → drops the packet');
  t.is(explainRule('-m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable', ctx('filter')),
    'connection state NEW, matched set KUBE-IPVS-IPS (dst) — which holds 10.108.113.237 → rejects the packet (icmp-port-unreachable)');
});

test('sets: no entry for the packet, a set ipset does not list, a negated match that holds the packet', (t) => {
  const nodePort: PacketFields = { protocol: 'tcp', dst: '192.168.113.101', dport: 30080 };
  t.is(explainRule('-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT', ctx('nat', nodePort)),
    'matched set KUBE-CLUSTER-IP (dst,dst) — which holds no entry for 192.168.113.101,tcp:30080 (1 entry) → accepts the packet (no further rule of this table at this hook)');
  t.is(explainRule('-m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ', ctx('nat', nodePort)),
    "matched set KUBE-CLUSTER-IP (src,dst), 1 entry → kube-proxy's masquerade request (marks 0x4000)");
  t.is(explainRule('-m set --match-set NOPE dst -j DROP', ctx('filter')), "matched set NOPE (dst), which the director's ipset save does not list → drops the packet");
  t.is(explainRule('-m set ! --match-set KUBE-NODE-PORT-TCP dst -j RETURN', ctx('nat', nodePort)),
    'not in set KUBE-NODE-PORT-TCP (dst) — but it holds 30080 → returns to the calling chain');
});

test('lvslab\'s SNAT rule names the entry of the captured LVSLAB-SNAT that the request to the VIP matched', (t) => {
  const captured = parseIpsetSave(readFileSync('test/fixtures/tools/ipset-save.txt', 'utf8'));
  const rule = '-m comment --comment "lvslab: virtual servers that need SNAT" -m set --match-set LVSLAB-SNAT dst,dst -j LVSLAB-MARK-MASQ';
  const toVip: PacketFields = { protocol: 'tcp', src: '192.168.113.102', dst: '10.10.0.1', sport: 41000, dport: 8410 };
  t.is(explainRule(rule, { ...ctx('nat', toVip), sets: captured }),
    "matched set LVSLAB-SNAT (dst,dst) — which holds 10.10.0.1,tcp:8410 → lvslab's masquerade request (marks 0x4000)");
  t.regex(explainRule(rule, { ...ctx('nat', { ...toVip, dport: 8411 }), sets: captured }), /which holds no entry for 10\.10\.0\.1,tcp:8411 \(2 entries\)/);
});

test('lookUpSet: nets by containment, ranges, three dimensions, unknown fields', (t) => {
  const set = (type: string, entries: string[]) => ({ name: 'S', type, options: {}, entries });
  const p: PacketFields = { protocol: 'udp', src: '10.0.0.5', dst: '10.20.3.4', sport: 5353, dport: 53 };
  t.deepEqual(lookUpSet(set('hash:net', ['10.30.1.7', '10.20.0.0/16']), 'dst', p), { element: '10.20.3.4', entry: '10.20.0.0/16' });
  t.deepEqual(lookUpSet(set('hash:ip,port,ip', ['10.20.3.4,udp:53,10.0.0.6', '10.20.3.4,udp:53,10.0.0.5']), 'dst,dst,src', p),
    { element: '10.20.3.4,udp:53,10.0.0.5', entry: '10.20.3.4,udp:53,10.0.0.5' });
  t.deepEqual(lookUpSet(set('hash:ip,port', ['10.20.3.4,tcp:53']), 'dst,dst', p), { element: '10.20.3.4,udp:53' });
  t.deepEqual(lookUpSet(set('bitmap:port', ['50-60']), 'dst', p), { element: '53', entry: '50-60' });
  t.deepEqual(lookUpSet(set('hash:ip', ['10.0.0.5 timeout 30']), 'src', p), { element: '10.0.0.5', entry: '10.0.0.5 timeout 30' });
  t.deepEqual(lookUpSet(set('hash:ip,port', ['10.0.0.5,udp:5353']), 'src,src', { ...p, src: undefined } as PacketFields), {});
  t.deepEqual(lookUpSet(set('hash:ip,mac', []), 'src,src', p), {});
});

test('targets: lvslab chains by role, unknown chains by comment, extensions as written, MARK forms, NAT', (t) => {
  t.is(explainRule('-d 10.10.0.1/32 -p tcp -m tcp --dport 8410 -m comment --comment "my own SNAT" -j LVSLAB-MARK-MASQ', ctx('nat')),
    "to 10.10.0.1/32, tcp destination port 8410 → lvslab's masquerade request (marks 0x4000)");
  t.is(explainRule('-m comment --comment "my own rules" -j MY-CHAIN', ctx('filter')), 'my own rules (continues in MY-CHAIN)');
  t.is(explainRule('-j MY-CHAIN', ctx('filter')), 'continues in MY-CHAIN');
  t.is(explainRule('-p udp -j LOG --log-prefix "lab: "', ctx('filter')), 'protocol udp → LOG --log-prefix lab: ');
  t.is(explainRule('-m limit --limit 5/sec -j ACCEPT', ctx('filter')), '--limit 5/sec → accepts the packet (no further rule of this table at this hook)');
  t.is(explainRule('-j MARK --set-xmark 0x8000/0x8000', ctx('nat')), 'marks the packet 0x8000 (drop wanted)');
  t.is(explainRule('-j MARK --set-xmark 0x0/0x4000', ctx('mangle')), 'clears mark bits 0x4000');
  t.is(explainRule('-j MARK --set-xmark 0x10/0xffffffff', ctx('mangle')), 'sets the mark to 0x10');
  t.is(explainRule('-j MARK --set-xmark 0x10/0x30', ctx('mangle')), 'sets mark bits 0x10 under mask 0x30');
  t.is(explainRule('-o eth0 -j SNAT --to-source 192.168.113.101', ctx('nat')), 'out on eth0 → SNAT to 192.168.113.101');
  t.is(explainRule('-i eth0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.9:8080', ctx('nat')), 'in on eth0, tcp destination port 80 → DNAT to 10.0.0.9:8080');
  t.is(explainRule('-m ipvs --vaddr 10.10.0.1/32 --vport 8410 -j MASQUERADE', ctx('nat')), "IPVS virtual address 10.10.0.1/32, IPVS virtual port 8410 → SNAT to the outgoing interface's address");
  t.is(explainRule('-s 10.0.0.0/8', ctx('filter')), 'from 10.0.0.0/8 → counts only (no target)');
});
