/** The DR/TUN doctor's findings from real servers' facts: each requirement missing is named once, healthy ones give none. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseDevices } from '../../../daemon/kernel/ip/index.js';
import { diagnoseModes } from '../../../daemon/doctor/mode-diagnose.js';
import type { ModeFacts, ModeRealServerFacts } from '../../../daemon/doctor/mode-types.js';

/** The TUN real server captured in the micro-VM (lo, tunl0 down, lvslab0 ipip local 192.168.113.99 with the VIP), plus its eth0. */
const captured = parseDevices(JSON.parse(readFileSync('test/fixtures/tools/ip-j-d-addr-tun-rs.json', 'utf8')));
const ipipDevices = captured.filter((d) => d.kind === 'ipip').map((d) => ({ name: d.name, up: d.up, ...(d.ipipLocal ? { local: d.ipipLocal } : {}), ...(d.mtu ? { mtu: d.mtu } : {}) }));

const GOOD_SYSCTLS = {
  'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2', 'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.eth0.arp_ignore': '0', 'net.ipv4.conf.eth0.arp_announce': '0',
  'net.ipv4.conf.tunl0.rp_filter': '0', 'net.ipv4.conf.lvslab0.rp_filter': '0',
};
const rs = (edit: Partial<ModeRealServerFacts> = {}, sysctls: Record<string, string> = {}): ModeRealServerFacts => ({
  node: 'rs1', ip: '192.168.113.99', forwarding: ['tun'], vips: ['10.10.0.1'],
  addresses: { eth0: ['192.168.113.99'], lvslab0: ['10.10.0.1'] }, labDevice: 'eth0', ipipDevices,
  sysctls: { ...GOOD_SYSCTLS, ...sysctls }, ...edit,
});
const facts = (one: ModeRealServerFacts, routes: ModeFacts['directorRoutes'] = {}): ModeFacts => ({
  director: { name: 'ds', ip: '192.168.113.101' }, realServers: [one], directorRoutes: routes, notes: [],
});
const codes = (f: ModeFacts) => diagnoseModes(f).map((x) => `${x.kind}:${x.code}`);

test('the captured TUN real server: lvslab0 decapsulates (tunl0 is down), nothing wrong; the tunnel\'s MTU said as by design', (t) => {
  const [mtu, ...rest] = diagnoseModes(facts(rs()));
  t.deepEqual(rest, []);
  t.like(mtu, { code: 'tunnel-mtu', kind: 'by-design', evidence: 'rs1: lvslab0 mtu 1480' });
});

test('TUN: strict rp_filter on all (the larger wins), no ipip device at all, and only tunl0 down are each named', (t) => {
  const strict = diagnoseModes(facts(rs({}, { 'net.ipv4.conf.all.rp_filter': '1' })));
  t.like(strict[0], { code: 'rp-filter-strict', evidence: 'rs1: rp_filter: all 1, lvslab0 0 (the kernel uses the larger)' });
  t.deepEqual(codes(facts(rs({}, { 'net.ipv4.conf.lvslab0.rp_filter': '2' }))), ['by-design:tunnel-mtu'], 'loose passes');
  t.deepEqual(codes(facts(rs({ ipipDevices: [], addresses: { eth0: ['192.168.113.99'], lo: ['10.10.0.1'] } }))), ['problem:ipip-not-loaded']);
  t.deepEqual(codes(facts(rs({ ipipDevices: ipipDevices.filter((d) => d.name === 'tunl0') }))), ['problem:no-tunnel-device']);
  t.deepEqual(codes(facts(rs({ ipipDevices: [{ name: 'tunl0', up: true, mtu: 1480 }] }))), ['by-design:tunnel-mtu'], 'tunl0 up takes it (LVS-HOWTO\'s way)');
});

test('DR: the VIP missing, ARP answered (arp_ignore 0, or the VIP on the lab device), ARP announced, the real server off-segment', (t) => {
  const dr = (edit: Partial<ModeRealServerFacts> = {}, sysctls: Record<string, string> = {}) => rs({ forwarding: ['dr'], ipipDevices: [], addresses: { eth0: ['192.168.113.99'], lvslab0: ['10.10.0.1'] }, ...edit }, sysctls);
  t.deepEqual(codes(facts(dr())), []);
  const missing = diagnoseModes(facts(dr({ addresses: { eth0: ['192.168.113.99'] } })));
  t.like(missing[0], { code: 'vip-missing', evidence: 'ip -j addr show on rs1: 10.10.0.1 on no device (eth0 192.168.113.99)' });
  t.is(missing.length, 1);
  const answers = diagnoseModes(facts(dr({}, { 'net.ipv4.conf.all.arp_ignore': '0' })));
  t.like(answers[0], { code: 'rs-answers-arp', evidence: 'rs1: 10.10.0.1 on lvslab0; arp_ignore: all 0, eth0 0' });
  t.regex(answers[0]!.message, /^rs1 answers ARP for the VIP 10\.10\.0\.1 on eth0: it holds the VIP on lvslab0 and answers for every local address/);
  t.deepEqual(codes(facts(dr({ addresses: { eth0: ['192.168.113.99', '10.10.0.1'] } }))), ['problem:rs-answers-arp'], 'arp_ignore 1 does not help a VIP on eth0');
  t.deepEqual(codes(facts(dr({}, { 'net.ipv4.conf.all.arp_announce': '1' }))), ['problem:rs-announces-vip']);
  const off = diagnoseModes(facts(dr(), { rs1: { via: '192.168.113.102', dev: 'eth0' } }));
  t.like(off[0], { code: 'off-segment', evidence: 'ip route get 192.168.113.99 on ds: via 192.168.113.102 dev eth0' });
  t.deepEqual(codes(facts(dr(), { rs1: { dev: 'eth0' } })), [], 'on-link');
});

test('what was not read concludes nothing', (t) => {
  const unread: ModeRealServerFacts = { node: 'rs1', ip: '192.168.113.99', forwarding: ['dr', 'tun'], vips: ['10.10.0.1'] };
  t.deepEqual(diagnoseModes(facts(unread)), []);
});
