import test from 'ava';
import { ipvsServiceListed, isNoRoute, nextHop, parseRouteGet, snatRulesPresent } from '../../../daemon/verify/read.js';
import { fixture, lab, web, withVs } from './helpers.js';

const natDs = fixture('iptables-save-nat-ds.txt');

test('snatRulesPresent: the captured nat table of ds masquerades web', (t) => {
  t.true(snatRulesPresent(natDs, lab, web));
});

test('snatRulesPresent: a fresh nat table, another port, or a missing jump is no SNAT', (t) => {
  t.false(snatRulesPresent(fixture('iptables-save-nat-fresh.txt'), lab, web));
  t.false(snatRulesPresent(natDs, lab, withVs({ port: 8411 }).vs));
  const noJump = natDs.replace('-A PREROUTING -m comment --comment "lvslab:seed" -j LVSLAB-SERVICES\n', '');
  t.false(snatRulesPresent(noJump, lab, web));
  const noMasquerade = natDs.replace('-A LVSLAB-POSTROUTING -m comment --comment "lvslab: masquerade toward real servers" -j MASQUERADE\n', '');
  t.false(snatRulesPresent(noMasquerade, lab, web));
});

test('snatRulesPresent: the article\'s hand-made ipvs masquerade counts too', (t) => {
  const byHand = fixture('iptables-save-nat-fresh.txt').replace(
    'COMMIT',
    '-A POSTROUTING -m ipvs --vaddr 10.10.0.1/32 --vport 8410 -j MASQUERADE\nCOMMIT',
  );
  t.true(snatRulesPresent(byHand, lab, web));
});

test('ipvsServiceListed reads ipvsadm -S -n', (t) => {
  t.true(ipvsServiceListed(fixture('ipvsadm-S-n.txt'), web));
  t.false(ipvsServiceListed(fixture('ipvsadm-S-n.txt'), withVs({ protocol: 'udp' }).vs));
  t.false(ipvsServiceListed(fixture('ipvsadm-S-n-empty.txt'), web));
});

test('ip -j route get: gateway, on-link next hop, no route', (t) => {
  const viaDs = '[{"dst":"10.10.0.1","gateway":"192.168.113.101","dev":"eth0","prefsrc":"192.168.113.102","flags":[],"uid":0,"cache":[]}]';
  t.deepEqual(parseRouteGet(viaDs), { via: '192.168.113.101', dev: 'eth0' });
  t.deepEqual(parseRouteGet('[{"type":"local","dst":"10.10.0.1","dev":"lo"}]'), { dev: 'lo', type: 'local' });
  t.is(parseRouteGet('[]'), undefined);
  t.is(nextHop(fixture('ip-j-route-get-rs1.json'), '192.168.113.102'), '192.168.113.102');
  t.is(nextHop(viaDs, '10.10.0.1'), '192.168.113.101');
  t.true(isNoRoute('RTNETLINK answers: Network is unreachable'));
  t.false(isNoRoute('Cannot open network namespace "x": No such file or directory'));
});
