import test from 'ava';
import type { Change } from '../../../daemon/kernel/changes.js';
import type { IpSet } from '../../../daemon/kernel/types.js';
import { ipsetAdapter, parseIpsetSave, renderIpsetRestore, sameIpSetDefinition, sameIpSetEntries } from '../../../daemon/kernel/ipset/index.js';
import { fakeRunner, fixture, replayFailure } from './helpers.js';

const saved = () => parseIpsetSave(fixture('ipset-save.txt'));
const byName = (sets: IpSet[], name: string) => sets.find((s) => s.name === name);

test('parseIpsetSave: every captured set, options in printed order, entries as printed', (t) => {
  const sets = saved();
  t.deepEqual(sets.map((s) => s.name), ['LVSLAB-blacklist', 'LVSLAB-nets', 'LVSLAB-empty', 'LVSLAB-SNAT', 'KUBE-CLUSTER-IP', 'KUBE-NODE-PORT-TCP', 'foreign-set']);
  t.deepEqual(byName(sets, 'LVSLAB-blacklist'), {
    name: 'LVSLAB-blacklist', type: 'hash:ip',
    options: { family: 'inet', hashsize: '1024', maxelem: '65536', bucketsize: '12', initval: '0x57dfc67c' },
    entries: ['192.168.113.97', '192.168.113.100'],
  });
  t.deepEqual(byName(sets, 'LVSLAB-SNAT')?.entries, ['10.10.0.1,tcp:8410', '10.10.0.2,udp:53']);
  t.deepEqual(byName(sets, 'LVSLAB-nets')?.entries, ['10.20.0.0/16', '10.30.1.7']);
  t.deepEqual(byName(sets, 'LVSLAB-empty')?.entries, []);
  // saved in the reverse of the order they were added
  t.deepEqual(byName(sets, 'KUBE-CLUSTER-IP')?.entries, ['10.108.113.238,udp:53', '10.108.113.237,tcp:80']);
  t.deepEqual(byName(sets, 'KUBE-NODE-PORT-TCP'), { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', options: { range: '0-65535' }, entries: ['30080'] });
});

test('parseIpsetSave: empty output, flag options, bad lines', (t) => {
  t.deepEqual(parseIpsetSave(fixture('ipset-save-empty.txt')), []);
  t.deepEqual(parseIpsetSave('create X hash:ip family inet counters comment timeout 0\n')[0]?.options, { family: 'inet', counters: '', comment: '', timeout: '0' });
  t.throws(() => parseIpsetSave('add NOPE 1.2.3.4\n'), { message: /unknown set NOPE.*add NOPE 1\.2\.3\.4/ });
  t.throws(() => parseIpsetSave('list X\n'), { message: /list X/ });
});

const set = (name: string, entries: string[]): IpSet => ({ name, type: 'hash:ip', options: { family: 'inet', hashsize: '1024' }, entries });

test('renderIpsetRestore prepare: create + add, and update as create/flush/add/swap/destroy of NAME.t', (t) => {
  const changes: Change[] = [
    { kind: 'ipset-create', set: set('LVSLAB-a', ['10.0.0.1', '10.0.0.2']) },
    { kind: 'ipset-update', set: set('LVSLAB-b', ['10.0.0.3']), from: set('LVSLAB-b', []) },
    { kind: 'ipset-destroy', set: set('LVSLAB-c', []) },
  ];
  t.is(renderIpsetRestore(changes, 'prepare'), [
    'create LVSLAB-a hash:ip family inet hashsize 1024',
    'add LVSLAB-a 10.0.0.1',
    'add LVSLAB-a 10.0.0.2',
    'create LVSLAB-b.t hash:ip family inet hashsize 1024',
    'flush LVSLAB-b.t',
    'add LVSLAB-b.t 10.0.0.3',
    'swap LVSLAB-b.t LVSLAB-b',
    'destroy LVSLAB-b.t',
    '',
  ].join('\n'));
  t.is(renderIpsetRestore(changes, 'destroy'), 'destroy LVSLAB-c\n');
  t.is(renderIpsetRestore([], 'prepare'), '');
  t.is(renderIpsetRestore(changes.slice(0, 2), 'destroy'), '');
});

test('renderIpsetRestore: bitmap range and flag options', (t) => {
  const ports: IpSet = { name: 'LVSLAB-p', type: 'bitmap:port', options: { range: '0-65535', counters: '' }, entries: ['30080'] };
  t.is(renderIpsetRestore([{ kind: 'ipset-create', set: ports }], 'prepare'), 'create LVSLAB-p bitmap:port range 0-65535 counters\nadd LVSLAB-p 30080\n');
});

test('sameIpSetDefinition / sameIpSetEntries', (t) => {
  const observed = byName(saved(), 'LVSLAB-blacklist') as IpSet;
  const desired: IpSet = { name: 'LVSLAB-blacklist', type: 'hash:ip', options: { family: 'inet' }, entries: ['192.168.113.97', '192.168.113.100'] };
  t.true(sameIpSetDefinition(desired, observed));
  t.false(sameIpSetDefinition({ ...desired, type: 'hash:net' }, observed));
  t.false(sameIpSetDefinition({ ...desired, options: { family: 'inet6' } }, observed));
  // hashsize grows with the entries and never shrinks: a larger one observed is the same definition
  const grown = { ...observed, options: { ...observed.options, hashsize: '4096' } };
  t.true(sameIpSetDefinition({ ...desired, options: { family: 'inet', hashsize: '1024' } }, grown));
  t.true(sameIpSetDefinition({ ...desired, options: { family: 'inet', hashsize: '4096' } }, grown));
  t.false(sameIpSetDefinition({ ...desired, options: { family: 'inet', hashsize: '8192' } }, grown));
  t.false(sameIpSetDefinition({ ...desired, options: { family: 'inet', hashsize: '1024' } }, { ...observed, options: { family: 'inet' } }));
  t.false(sameIpSetDefinition({ ...desired, options: { family: 'inet', maxelem: '131072' } }, grown), 'maxelem compares equal');
  t.true(sameIpSetEntries(desired, observed));
  t.false(sameIpSetEntries({ entries: ['192.168.113.97'] }, observed));
  t.false(sameIpSetEntries({ entries: ['192.168.113.97', '192.168.113.97'] }, observed));
});

test('ipsetAdapter.observe: one ipset save, prefix only, without initval and bucketsize', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: fixture('ipset-save.txt') }));
  const sets = await ipsetAdapter(runner).observe('LVSLAB-');
  t.deepEqual(calls.map((c) => c.argv), [['ipset', 'save']]);
  t.deepEqual(sets.map((s) => s.name), ['LVSLAB-blacklist', 'LVSLAB-nets', 'LVSLAB-empty', 'LVSLAB-SNAT']);
  t.deepEqual(sets[0]?.options, { family: 'inet', hashsize: '1024', maxelem: '65536' });
});

test('ipsetAdapter.apply: one ipset restore -exist per phase; nothing spawned when empty', async (t) => {
  const { runner, calls } = fakeRunner();
  const ipset = ipsetAdapter(runner);
  const changes: Change[] = [{ kind: 'ipset-destroy', set: set('LVSLAB-c', []) }];
  t.is(await ipset.apply(changes, 'prepare'), 0);
  t.is(calls.length, 0);
  t.is(await ipset.apply(changes, 'destroy'), 1);
  t.deepEqual(calls.map((c) => [c.argv, c.options?.input]), [[['ipset', 'restore', '-exist'], 'destroy LVSLAB-c\n']]);
});

test('ipsetAdapter.apply: a failed batch quotes the line ipset names and its neighbours', async (t) => {
  const { runner } = fakeRunner(() => replayFailure('err-ipset-restore-bad-line.txt'));
  const bad: IpSet = { name: 'LVSLAB-y', type: 'hash:ip', options: { family: 'inet' }, entries: ['1.1.1.1', '300.1.1.1'] };
  const err = await t.throwsAsync(ipsetAdapter(runner).apply([{ kind: 'ipset-create', set: bad }], 'prepare'));
  const message = err?.message ?? '';
  t.regex(message, /Error in line 3: Syntax error: cannot parse 300\.1\.1\.1/);
  t.regex(message, /batch line 3:\n {2}1: create LVSLAB-y hash:ip family inet\n {2}2: add LVSLAB-y 1\.1\.1\.1\n> 3: add LVSLAB-y 300\.1\.1\.1/);
});
