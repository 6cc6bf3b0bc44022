/** packetExcluded: which nat rules our request's first packet cannot have matched, and only those. */
import test from 'ava';
import { parseIpsetSave } from '../../../daemon/kernel/ipset/index.js';
import { packetExcluded } from '../../../daemon/trace/packet-match.js';
import type { PacketFields } from '../../../daemon/trace/set-match.js';
import { SETS } from './reference.js';

const sets = parseIpsetSave(SETS);
const toClusterIp: PacketFields = { protocol: 'tcp', src: '192.168.113.102', sport: 41000, dst: '10.108.113.237', dport: 80 };
const excluded = (rule: string, packet = toClusterIp) => packetExcluded(rule, packet, sets);

test('protocol, addresses and ports that exclude the packet name the match', (t) => {
  t.regex(excluded('-p udp -j KUBE-MARK-MASQ') ?? '', /^our request \(tcp 192\.168\.113\.102:41000 → 10\.108\.113\.237:80\) does not match `-p udp`/);
  t.regex(excluded('-p 17 -j X') ?? '', /`-p 17`/);
  t.regex(excluded('-d 10.96.0.0/16 -j X') ?? '', /`-d 10\.96\.0\.0\/16`/);
  t.regex(excluded('-s 10.0.0.0/8 -j X') ?? '', /`-s 10\.0\.0\.0\/8`/);
  t.regex(excluded('-p tcp -m tcp --dport 8000:8080 -j X') ?? '', /`--dport 8000:8080`/);
  t.regex(excluded('-p tcp -m multiport --dports 443,8443 -j X') ?? '', /`--dports 443,8443`/);
  t.regex(excluded('! -d 10.108.113.237/32 -j X') ?? '', /`! -d 10\.108\.113\.237\/32`/);
});

test('matches that hold the packet, or that it cannot settle, leave the rule on the path', (t) => {
  for (const rule of [
    '-p tcp -m tcp --dport 80 -j X', '-p 6 -j X', '-p all -j X', '-d 10.108.0.0/16 -s 192.168.113.0/24 -j X',
    '-m multiport --dports 22,70:90 -j X', '! -p udp -j X', '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
    '-m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT', '-m set ! --match-set KUBE-NODE-PORT-TCP dst -j X',
    '-m set --match-set NO-SUCH-SET dst -j X', '-m mark --mark 0x4000/0x4000 -j X', '-j KUBE-SERVICES',
  ]) t.is(excluded(rule), undefined, rule);
  // without the source (no conntrack entry) a source match cannot be settled
  t.is(excluded('-s 10.0.0.0/8 -j X', { protocol: 'tcp', dst: '10.108.113.237', dport: 80 }), undefined);
  t.is(excluded('-m set --match-set KUBE-CLUSTER-IP src,dst -j X', { protocol: 'tcp', dst: '10.108.113.237', dport: 80 }), undefined);
});

test('sets: not in a set, or in a set the rule negates', (t) => {
  t.regex(excluded('-p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ') ?? '', /`--match-set KUBE-NODE-PORT-TCP dst`/);
  t.regex(excluded('-m set ! --match-set KUBE-CLUSTER-IP dst,dst -j X') ?? '', /`! --match-set KUBE-CLUSTER-IP dst,dst`/);
  t.is(excluded('-p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ', { ...toClusterIp, dst: '192.168.113.101', dport: 30080 }), undefined);
});
