import test from 'ava';
import type { Change } from '../../../daemon/kernel/changes.js';
import type { Chain, JumpRule } from '../../../daemon/kernel/types.js';
import {
  iptablesAdapter, jumpTarget, observeCounters, ownedFromTables, parseIptablesSave, renderIptablesRestore,
} from '../../../daemon/kernel/iptables/index.js';
import { fakeRunner, fixture, replayFailure } from './helpers.js';

const SEED = '-m comment --comment "lvslab:seed"';

test('parseIptablesSave: nat of the director, built-ins with policy, user chains, rules in normal form', (t) => {
  const [nat, ...more] = parseIptablesSave(fixture('iptables-save-nat-ds.txt'));
  t.deepEqual(more, []);
  t.is(nat?.name, 'nat');
  t.deepEqual(nat?.chains.map((c) => [c.name, c.builtin, c.policy]), [
    ['PREROUTING', true, 'ACCEPT'], ['INPUT', true, 'ACCEPT'], ['OUTPUT', true, 'ACCEPT'], ['POSTROUTING', true, 'ACCEPT'],
    ['LVSLAB-MARK-MASQ', false, undefined], ['LVSLAB-POSTROUTING', false, undefined], ['LVSLAB-SERVICES', false, undefined],
  ]);
  t.deepEqual(nat?.chains[0]?.rules, [`${SEED} -j LVSLAB-SERVICES`]);
  // what was loaded as --or-mark / --xor-mark comes back as --set-xmark
  t.deepEqual(nat?.chains.find((c) => c.name === 'LVSLAB-MARK-MASQ')?.rules, ['-j MARK --set-xmark 0x4000/0x4000']);
  t.deepEqual(nat?.chains.find((c) => c.name === 'LVSLAB-POSTROUTING')?.rules[1], '-j MARK --set-xmark 0x4000/0x0');
  t.is(nat?.chains[0]?.counters, undefined);
});

test('parseIptablesSave: counters from -c, a fresh table, errors', (t) => {
  const [nat] = parseIptablesSave(fixture('iptables-save-c-nat-ds.txt'));
  const post = nat?.chains.find((c) => c.name === 'POSTROUTING');
  t.deepEqual(post?.rules, [`${SEED} -j LVSLAB-POSTROUTING`, '-s 172.16.0.0/12 -m comment --comment "foreign rule" -j MASQUERADE']);
  t.deepEqual(post?.counters, [{ packets: 5, bytes: 300 }, { packets: 0, bytes: 0 }]);
  t.deepEqual(nat?.chains.find((c) => c.name === 'PREROUTING')?.counters, [{ packets: 4, bytes: 240 }]);
  t.deepEqual(parseIptablesSave(fixture('iptables-save-nat-fresh.txt'))[0]?.chains.map((c) => c.rules.length), [0, 0, 0, 0]);
  t.throws(() => parseIptablesSave('*nat\n-A NOPE -j RETURN\nCOMMIT\n'), { message: /undeclared chain NOPE/ });
  t.deepEqual(parseIptablesSave('*security\n:INPUT ACCEPT [0:0]\nCOMMIT\n'), []);
});

test('ownedFromTables: owned chains and the built-in rules that jump into them', (t) => {
  const tables = [...parseIptablesSave(fixture('iptables-save-filter-ds.txt')), ...parseIptablesSave(fixture('iptables-save-nat-ds.txt'))];
  const { chains, jumps } = ownedFromTables(tables, 'LVSLAB-');
  t.deepEqual(chains.map((c) => `${c.table}/${c.name}:${c.rules.length}`), [
    'filter/LVSLAB-INPUT:2', 'nat/LVSLAB-MARK-MASQ:1', 'nat/LVSLAB-POSTROUTING:3', 'nat/LVSLAB-SERVICES:1',
  ]);
  t.is(chains[0]?.rules[1], '-m set --match-set LVSLAB-nets src -m comment --comment "lvslab: blocklist nets" -j DROP');
  t.deepEqual(jumps, [
    { table: 'filter', chain: 'INPUT', rule: `${SEED} -j LVSLAB-INPUT` },
    { table: 'nat', chain: 'PREROUTING', rule: `${SEED} -j LVSLAB-SERVICES` },
    { table: 'nat', chain: 'OUTPUT', rule: `${SEED} -j LVSLAB-SERVICES` },
    { table: 'nat', chain: 'POSTROUTING', rule: `${SEED} -j LVSLAB-POSTROUTING` },
  ]);
  t.is(jumpTarget('-m comment --comment "x -j LVSLAB-FAKE" -g LVSLAB-REAL'), 'LVSLAB-REAL');
  t.is(jumpTarget('-p tcp -m tcp --dport 22'), undefined);
});

const chain = (name: string, rules: string[]): Chain => ({ table: 'nat', name, rules });
const jump = (chainName: string, target: string): JumpRule => ({ table: 'nat', chain: chainName, rule: `${SEED} -j ${target}` });

test('renderIptablesRestore: declarations, -D, rules, -A jumps, -X, COMMIT; one table only', (t) => {
  const changes: Change[] = [
    { kind: 'jump-add', jump: jump('PREROUTING', 'LVSLAB-SERVICES') },
    { kind: 'chain-write', chain: chain('LVSLAB-SERVICES', ['-d 10.10.0.1/32 -j LVSLAB-MARK-MASQ']) },
    { kind: 'chain-delete', chain: chain('LVSLAB-OLD', []) },
    { kind: 'jump-del', jump: jump('OUTPUT', 'LVSLAB-OLD') },
    { kind: 'chain-write', chain: chain('LVSLAB-MARK-MASQ', ['-j MARK --set-xmark 0x4000/0x4000']), from: chain('LVSLAB-MARK-MASQ', []) },
    { kind: 'chain-write', chain: { table: 'filter', name: 'LVSLAB-INPUT', rules: ['-j DROP'] } },
  ];
  t.is(renderIptablesRestore('nat', changes), [
    '*nat',
    ':LVSLAB-SERVICES - [0:0]',
    ':LVSLAB-OLD - [0:0]',
    ':LVSLAB-MARK-MASQ - [0:0]',
    `-D OUTPUT ${SEED} -j LVSLAB-OLD`,
    '-A LVSLAB-SERVICES -d 10.10.0.1/32 -j LVSLAB-MARK-MASQ',
    '-A LVSLAB-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    `-A PREROUTING ${SEED} -j LVSLAB-SERVICES`,
    '-X LVSLAB-OLD',
    'COMMIT',
    '',
  ].join('\n'));
  t.is(renderIptablesRestore('filter', changes), '*filter\n:LVSLAB-INPUT - [0:0]\n-A LVSLAB-INPUT -j DROP\nCOMMIT\n');
  t.is(renderIptablesRestore('raw', changes), '');
});

test('iptablesAdapter.observe: one iptables-save for all tables, only the asked tables kept', async (t) => {
  const bothTables = fixture('iptables-save-nat-ds.txt') + fixture('iptables-save-filter-ds.txt');
  const { runner, calls } = fakeRunner(() => ({ stdout: bothTables }));
  const { chains, jumps } = await iptablesAdapter(runner).observe('LVSLAB-', ['filter', 'nat']);
  t.deepEqual(calls.map((c) => c.argv), [['iptables-save']]);
  t.is(chains.length, 4);
  t.is(jumps.length, 4);
  const natOnly = await iptablesAdapter(runner).observe('LVSLAB-', ['nat']);
  t.deepEqual(natOnly.chains.map((c) => c.name), ['LVSLAB-MARK-MASQ', 'LVSLAB-POSTROUTING', 'LVSLAB-SERVICES']);
});

test('iptablesAdapter.apply: one iptables-restore --noflush -w 10 per table; nothing when empty', async (t) => {
  const { runner, calls } = fakeRunner();
  const iptables = iptablesAdapter(runner);
  t.is(await iptables.apply([{ kind: 'sysctl-set', sysctl: { key: 'k', value: '1' }, from: undefined }]), 0);
  t.is(calls.length, 0);
  const lines = await iptables.apply([
    { kind: 'jump-del', jump: { table: 'filter', chain: 'INPUT', rule: '-j LVSLAB-INPUT' } },
    { kind: 'jump-del', jump: jump('OUTPUT', 'LVSLAB-X') },
  ]);
  t.is(lines, 6);
  t.deepEqual(calls.map((c) => c.argv), [['iptables-restore', '--noflush', '-w', '10'], ['iptables-restore', '--noflush', '-w', '10']]);
  t.deepEqual(calls.map((c) => c.options?.input?.split('\n')[0]), ['*filter', '*nat']);
});

test('iptablesAdapter.apply: a failed batch quotes the line iptables-restore names, with 2 around', async (t) => {
  const { runner } = fakeRunner(() => replayFailure('err-iptables-restore-bad-line.txt'));
  const bad = chain('LVSLAB-X', ['-j RETURN', '-m set --match-set NOSUCHSET src -j RETURN']);
  const err = await t.throwsAsync(iptablesAdapter(runner).apply([{ kind: 'chain-write', chain: bad }]));
  const message = err?.message ?? '';
  t.regex(message, /Set NOSUCHSET doesn't exist\./);
  t.true(message.includes([
    'batch line 4:', '  2: :LVSLAB-X - [0:0]', '  3: -A LVSLAB-X -j RETURN',
    '> 4: -A LVSLAB-X -m set --match-set NOSUCHSET src -j RETURN', '  5: COMMIT',
  ].join('\n')));
  t.false(message.includes('  6:'));
});

test('observeCounters: one iptables-save -c of every table, with counters', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: fixture('iptables-save-c-nat-ds.txt') }));
  const nat = (await observeCounters(runner)).find((table) => table.name === 'nat');
  t.deepEqual(calls.map((c) => c.argv), [['iptables-save', '-c']]);
  t.deepEqual(nat?.chains.find((c) => c.name === 'LVSLAB-SERVICES')?.counters, [{ packets: 5, bytes: 300 }]);
});
