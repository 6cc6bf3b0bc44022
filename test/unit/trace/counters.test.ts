import test from 'ava';
import { parseIptablesSave } from '../../../daemon/kernel/iptables/index.js';
import { movedRules } from '../../../daemon/trace/index.js';
import { fixture } from '../kernel/helpers.js';

const nat = (rules: readonly string[]) => parseIptablesSave(`*nat\n:PREROUTING ACCEPT [0:0]\n:X - [0:0]\n${rules.join('\n')}\nCOMMIT\n`);

test('the captured director nat table against itself zeroed: every rule with a count, in file order', (t) => {
  const after = fixture('iptables-save-c-nat-ds.txt');
  const before = after.replace(/^\[\d+:\d+\]/gm, '[0:0]');
  t.deepEqual(movedRules(parseIptablesSave(before), parseIptablesSave(after)).map((m) => [m.chain, m.index, m.target, m.packets, m.bytes]), [
    ['PREROUTING', 0, 'LVSLAB-SERVICES', 4, 240],
    ['OUTPUT', 0, 'LVSLAB-SERVICES', 1, 60],
    ['POSTROUTING', 0, 'LVSLAB-POSTROUTING', 5, 300],
    ['LVSLAB-MARK-MASQ', 0, 'MARK', 5, 300],
    ['LVSLAB-POSTROUTING', 1, 'MARK', 5, 300],
    ['LVSLAB-POSTROUTING', 2, 'MASQUERADE', 5, 300],
    ['LVSLAB-SERVICES', 0, 'LVSLAB-MARK-MASQ', 5, 300],
  ]);
  t.deepEqual(movedRules(parseIptablesSave(after), parseIptablesSave(after)), []);
});

test('rules are found again by text and occurrence: an inserted rule shifts nothing; a new or zeroed rule counts from 0', (t) => {
  const before = nat(['[5:500] -A X -j A', '[2:200] -A X -j B', '[1:10] -A X -j B', '[9:900] -A X -j C']);
  const after = nat(['[1:10] -A X -j NEW', '[7:700] -A X -j A', '[2:200] -A X -j B', '[4:40] -A X -j B', '[3:300] -A X -j C']);
  t.deepEqual(movedRules(before, after).map((m) => [m.index, m.rule, m.packets, m.bytes]), [
    [0, '-j NEW', 1, 10], [1, '-j A', 2, 200], [3, '-j B', 3, 30], [4, '-j C', 3, 300],
  ]);
});

test('a table missing before counts from 0; a snapshot without -c is refused', (t) => {
  t.deepEqual(movedRules([], nat(['[2:120] -A X -j A'])).map((m) => m.packets), [2]);
  t.throws(() => movedRules([], nat(['-A X -j A'])), { message: /nat X.*iptables-save -c/ });
});
