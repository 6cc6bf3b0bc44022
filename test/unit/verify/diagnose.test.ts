import test from 'ava';
import { diagnose } from '../../../daemon/verify/diagnose.js';
import type { Facts } from '../../../daemon/verify/types.js';
import { goodFacts, lab, web, withVs } from './helpers.js';

const causesOf = (edit: Partial<Facts>, vs = web) => diagnose({ ...goodFacts, ...edit }, lab, vs);
const codes = (edit: Partial<Facts>) => causesOf(edit).map((c) => c.code);

test('all-good facts give no cause', (t) => {
  t.deepEqual(diagnose(goodFacts, lab, web), []);
});

test('no-route: none, or via another gateway', (t) => {
  const [none] = causesOf({ clientRouteToVip: 'none' });
  t.like(none, { code: 'no-route', evidence: 'ip route get 10.10.0.1 on client: no route' });
  t.regex(none?.message ?? '', /client has no route to VIP 10\.10\.0\.1.*director ds \(192\.168\.113\.101\)/);
  const [other] = causesOf({ clientRouteToVip: { via: '192.168.113.1', dev: 'eth0' } });
  t.is(other?.code, 'no-route');
  t.regex(other?.message ?? '', /via 192\.168\.113\.1, not via the director ds/);
  t.is(other?.evidence, 'ip route get 10.10.0.1 on client: via 192.168.113.1 dev eth0');
  t.deepEqual(codes({ clientRouteToVip: { type: 'unreachable' } }), ['no-route']);
});

test('ip-forward-off', (t) => {
  const [cause] = causesOf({ directorSysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.vs.conntrack': '1' } });
  t.like(cause, { code: 'ip-forward-off', evidence: 'net.ipv4.ip_forward = 0 on ds' });
  t.regex(cause?.message ?? '', /forwarding is off on the director ds/);
});

test('no-ipvs-service names the service; an unread IPVS table is not a missing service', (t) => {
  const [cause] = causesOf({ ipvsServicePresent: false });
  t.like(cause, { code: 'no-ipvs-service', evidence: 'ipvsadm -S -n on ds lists no -A -t 10.10.0.1:8410' });
  t.regex(cause?.message ?? '', /no IPVS service web 10\.10\.0\.1:8410\/tcp/);
  t.deepEqual(codes({ ipvsServicePresent: undefined }), []);
});

test('backend-down names the real server and RIP:port', (t) => {
  const causes = causesOf({ realServerBackends: { rs1: false, rs2: true }, realServerBackendErrors: { rs1: 'curl exit 7' } });
  t.deepEqual(causes.map((c) => c.code), ['backend-down']);
  t.regex(causes[0]?.message ?? '', /real server rs1 at 192\.168\.113\.99:8080/);
  t.is(causes[0]?.evidence, 'curl from ds to http://192.168.113.99:8080/ failed: curl exit 7');
});

test('vs.conntrack=0 with SNAT rules present is vs-conntrack-off, not no-snat', (t) => {
  const causes = causesOf({ directorSysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.vs.conntrack': '0' } });
  t.deepEqual(causes.map((c) => c.code), ['vs-conntrack-off']);
  t.regex(causes[0]?.message ?? '', /net\.ipv4\.vs\.conntrack is 0 on the director ds.*no netfilter conntrack entry.*masquerade/);
  t.regex(causes[0]?.evidence ?? '', /^net\.ipv4\.vs\.conntrack = 0 on ds/);
});

test('vs.conntrack=0 without SNAT rules is not blamed on vs.conntrack', (t) => {
  const causes = causesOf({ snatRulePresent: false, directorSysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.vs.conntrack': '0' } });
  t.deepEqual(causes.map((c) => c.code), ['no-snat']);
});

test('no SNAT and a real server whose next hop to the client is not the director: no-snat', (t) => {
  const causes = causesOf({ snatRulePresent: false, realServerGateways: { rs1: '192.168.113.102', rs2: '192.168.113.101' } });
  t.deepEqual(causes.map((c) => c.code), ['no-snat']);
  t.regex(causes[0]?.message ?? '', /no SNAT.*rs1 reaches the client 192\.168\.113\.102.*answers the client directly from 192\.168\.113\.99.*never called/);
  t.regex(causes[0]?.evidence ?? '', /ip route get 192\.168\.113\.102 on rs1: next hop 192\.168\.113\.102 \(direct\)/);
  t.notRegex(causes[0]?.evidence ?? '', /on rs2/);
});

test('no SNAT in gateway mode (every real server routes the client via the director) is fine', (t) => {
  const gateway = { rs1: '192.168.113.101', rs2: '192.168.113.101' };
  t.deepEqual(causesOf({ snatRulePresent: false, realServerGateways: gateway }), []);
  const dr = withVs({ forwarding: 'dr', snat: false }).vs;
  t.deepEqual(causesOf({ snatRulePresent: false }, dr), []);
});

test('several causes come in the order a packet meets them', (t) => {
  const all = codes({
    clientRouteToVip: 'none', directorSysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.vs.conntrack': '0' },
    ipvsServicePresent: false, realServerBackends: { rs1: true, rs2: false },
  });
  t.deepEqual(all, ['no-route', 'ip-forward-off', 'no-ipvs-service', 'backend-down', 'vs-conntrack-off']);
});
