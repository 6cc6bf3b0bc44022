import test from 'ava';
import type { LabConfig, VirtualServerConfig } from '../../../daemon/config/types.js';
import { ipvsServiceKeys, ipvsServiceListed, isNoRoute, masqueraded, natChains, nextHop, parseRouteGet, snatSetEntries } from '../../../daemon/verify/read.js';
import { fixture, lab, snatSetSave, web, withVs } from './helpers.js';

const natDs = fixture('iptables-save-nat-ds.txt');
const snatSet = snatSetSave();
/** What facts.ts does with the two outputs it reads. */
const snatRulesPresent = (iptablesSave: string, ipsetSave: string, l: LabConfig, vs: VirtualServerConfig): boolean =>
  masqueraded(natChains(iptablesSave), snatSetEntries(ipsetSave, l), l, vs);

test('masqueraded: the captured nat table and SNAT set of ds masquerade web', (t) => {
  t.regex(snatSet, /^add LVSLAB-SNAT 10\.10\.0\.1,tcp:8410$/m);
  t.true(snatRulesPresent(natDs, snatSet, lab, web));
});

test('masqueraded: a fresh nat table, another port, no set entry, no set, or a missing jump is no SNAT', (t) => {
  t.false(snatRulesPresent(fixture('iptables-save-nat-fresh.txt'), snatSet, lab, web));
  t.false(snatRulesPresent(natDs, snatSet, lab, withVs({ port: 8411 }).vs));
  t.false(snatRulesPresent(natDs, snatSet.replace('add LVSLAB-SNAT 10.10.0.1,tcp:8410\n', ''), lab, web), 'the set lacks web');
  t.false(snatRulesPresent(natDs, '', lab, web), 'no SNAT set');
  const noJump = natDs.replace('-A PREROUTING -m comment --comment "lvslab:seed" -j LVSLAB-SERVICES\n', '');
  t.false(snatRulesPresent(noJump, snatSet, lab, web));
  const noMasquerade = natDs.replace('-A LVSLAB-POSTROUTING -m comment --comment "lvslab: masquerade toward real servers" -j MASQUERADE\n', '');
  t.false(snatRulesPresent(noMasquerade, snatSet, lab, web));
  const noSetRule = natDs.replace(/-A LVSLAB-SERVICES .*--match-set LVSLAB-SNAT dst,dst .*\n/, '');
  t.not(noSetRule, natDs);
  t.false(snatRulesPresent(noSetRule, snatSet, lab, web));
});

test('masqueraded: the article\'s hand-made ipvs masquerade counts too', (t) => {
  const byHand = fixture('iptables-save-nat-fresh.txt').replace(
    'COMMIT',
    '-A POSTROUTING -m ipvs --vaddr 10.10.0.1/32 --vport 8410 -j MASQUERADE\nCOMMIT',
  );
  t.true(snatRulesPresent(byHand, '', lab, web));
});

test('ipvsServiceListed reads ipvsadm -S -n', (t) => {
  t.true(ipvsServiceListed(ipvsServiceKeys(fixture('ipvsadm-S-n.txt')), web));
  t.false(ipvsServiceListed(ipvsServiceKeys(fixture('ipvsadm-S-n.txt')), withVs({ protocol: 'udp' }).vs));
  t.false(ipvsServiceListed(ipvsServiceKeys(fixture('ipvsadm-S-n-empty.txt')), web));
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
