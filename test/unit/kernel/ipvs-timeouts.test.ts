/**
 * IPVS's connection timeouts: the `ipvsadm -L --timeout` parser on captured output, the `ipvsadm --set`
 * arguments, and what a node's kernel does with them across runs: read only when the plan names them or
 * the ledger holds the node's own, the node's own recorded at the first observation, drift repaired,
 * and the node's own written back (and their record forgotten) at cleanup or when the lab drops the key.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../temp-dir.js';
import type { LabConfig } from '../../../daemon/config/types.js';
import { ofKind, type Change } from '../../../daemon/kernel/changes.js';
import { ipvsAdapter, parseIpvsTimeouts, renderIpvsTimeoutsSet } from '../../../daemon/kernel/ipvs/index.js';
import { fileLedger } from '../../../daemon/kernel/ledger.js';
import { nodeKernel } from '../../../daemon/kernel/node-kernel.js';
import { changeKeys } from '../../../daemon/kernel/ownership.js';
import type { RunOptions, RunResult, Runner } from '../../../daemon/kernel/runner.js';
import type { IpvsTimeouts } from '../../../daemon/kernel/types.js';
import { describeChange } from '../../../daemon/plan/describe.js';
import { diff } from '../../../daemon/plan/diff.js';
import { planNode } from '../../../daemon/plan/plan.js';
import { reconcile } from '../../../daemon/reconcile/reconcile.js';
import { seedLab } from '../health/helpers.js';
import { capturedDirector, capturedError, fakeRunner, fixture, replayingNode } from './helpers.js';

test('parseIpvsTimeouts: the captured defaults, values after --set, the largest value lvslab writes', (t) => {
  t.deepEqual(parseIpvsTimeouts(fixture('ipvsadm-L-timeout.txt')), { tcp: 900, tcpFin: 120, udp: 300 });
  t.deepEqual(parseIpvsTimeouts(fixture('ipvsadm-L-timeout-set.txt')), { tcp: 7200, tcpFin: 30, udp: 60 });
  // --set 0 0 0 after --set 7200 30 60: 0 leaves each value as it is
  t.deepEqual(parseIpvsTimeouts(fixture('ipvsadm-L-timeout-set-000.txt')), { tcp: 7200, tcpFin: 30, udp: 60 });
  // another namespace keeps its own
  t.deepEqual(parseIpvsTimeouts(fixture('ipvsadm-L-timeout-other-ns.txt')), { tcp: 900, tcpFin: 120, udp: 300 });
  t.deepEqual(parseIpvsTimeouts(fixture('ipvsadm-L-timeout-max.txt')), { tcp: 2147483, tcpFin: 2147483, udp: 2147483 });
});

test('parseIpvsTimeouts: an unknown line is an error naming it; no Timeout line, or two, is an error', (t) => {
  t.throws(() => parseIpvsTimeouts(`IP Virtual Server version 1.2.1 (size=4096)\n${fixture('ipvsadm-L-timeout.txt')}`), {
    message: 'ipvsadm -L --timeout: unknown line: IP Virtual Server version 1.2.1 (size=4096)',
  });
  t.throws(() => parseIpvsTimeouts('Timeout (tcp tcpfin udp): 900 120\n'), { message: /unknown line: Timeout \(tcp tcpfin udp\): 900 120$/ });
  t.throws(() => parseIpvsTimeouts(''), { message: /expected one "Timeout \(tcp tcpfin udp\):" line, found 0/ });
  t.throws(() => parseIpvsTimeouts(fixture('ipvsadm-L-timeout.txt').repeat(2)), { message: /found 2/ });
});

const set = (timeouts: Partial<IpvsTimeouts>, from?: IpvsTimeouts): Change => ({ kind: 'ipvs-timeouts-set', timeouts, from });

test('renderIpvsTimeoutsSet: --set TCP TCPFIN UDP with 0 for a value the lab leaves alone; nothing without the change', (t) => {
  t.deepEqual(renderIpvsTimeoutsSet([set({ tcp: 600, tcpFin: 30, udp: 60 })]), ['--set', '600', '30', '60']);
  t.deepEqual(renderIpvsTimeoutsSet([set({ udp: 60 })]), ['--set', '0', '0', '60']);
  t.deepEqual(renderIpvsTimeoutsSet([{ kind: 'sysctl-set', sysctl: { key: 'k', value: '1' }, from: undefined }]), []);
});

test('the ipvs adapter reads with `ipvsadm -L --timeout` and writes with one `ipvsadm --set`, only when there is a change', async (t) => {
  const { runner, calls } = fakeRunner((argv) => (argv.includes('-L') ? { stdout: fixture('ipvsadm-L-timeout.txt') } : {}));
  const ipvs = ipvsAdapter(runner);
  t.deepEqual(await ipvs.timeouts(), { tcp: 900, tcpFin: 120, udp: 300 });
  t.is(await ipvs.applyTimeouts([]), 0);
  t.is(await ipvs.applyTimeouts([set({ tcp: 600 }, { tcp: 900, tcpFin: 120, udp: 300 })]), 1);
  t.deepEqual(calls.map((c) => c.argv), [['ipvsadm', '-L', '--timeout'], ['ipvsadm', '--set', '600', '0', '0']]);
});

test('ipvsadm refusing a value (more than 31 days) fails the apply with its own words', async (t) => {
  const argv = ['ipvsadm', '--set', '2678401', '1', '1'];
  const { runner } = fakeRunner(() => { throw capturedError('err-ipvsadm-set-over-31-days.txt', argv); });
  await t.throwsAsync(ipvsAdapter(runner).applyTimeouts([set({ tcp: 2678401, tcpFin: 1, udp: 1 })]), { message: /invalid timeout value `2678401' specified/ });
});

/** The captured director, whose IPVS timeouts live in `state` and change with `ipvsadm --set` as the kernel's do. */
function timeoutsNode(state: { timeouts: IpvsTimeouts }, path: string) {
  const node = replayingNode(capturedDirector());
  const runs: string[] = [];
  const runner = {
    netns: undefined,
    run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
      runs.push(argv.join(' '));
      if (argv[0] === 'ipvsadm' && argv[1] === '-L' && argv[2] === '--timeout') {
        const { tcp, tcpFin, udp } = state.timeouts;
        return Promise.resolve({ argv, exitCode: 0, stdout: `Timeout (tcp tcpfin udp): ${tcp} ${tcpFin} ${udp}\n`, stderr: '', durationMs: 1 });
      }
      if (argv[0] === 'ipvsadm' && argv[1] === '--set') {
        const [tcp, tcpFin, udp] = argv.slice(2).map(Number);
        const was = state.timeouts;
        state.timeouts = { tcp: tcp || was.tcp, tcpFin: tcpFin || was.tcpFin, udp: udp || was.udp };
      }
      return node.runner.run(argv, options);
    },
  } satisfies Runner;
  return { runs, kernel: nodeKernel(runner, { interface: 'lvslab0', ledger: fileLedger(path) }) };
}

const ledgerFile = (): string => join(tempDir('lvslab-ledger-'), 'ds.owned.json');
const recorded = (path: string): string[] => {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { keys: string[] }).keys;
  } catch {
    return [];
  }
};
const hostRecords = (path: string): string[] => recorded(path).filter((k) => k.startsWith('host-ipvs-timeouts:'));
const timeoutChanges = (changes: readonly Change[]): string[] => ofKind(changes, 'ipvs-timeouts-set').map(describeChange);

const seed = seedLab();
const withTimeouts = (ipvsTimeouts: LabConfig['ipvsTimeouts']): LabConfig => ({ ...seed, ...(ipvsTimeouts ? { ipvsTimeouts } : {}) });
const DEFAULTS: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };

test('a lab without ipvsTimeouts never reads nor writes them: no ipvsadm -L --timeout, no change, no record', async (t) => {
  const path = ledgerFile();
  const { runs, kernel } = timeoutsNode({ timeouts: DEFAULTS }, path);
  const desired = planNode(seed, 'ds').desired;
  t.false('ipvsTimeouts' in desired);
  const observed = await kernel.observe(desired);
  t.deepEqual(timeoutChanges(diff(desired, observed)), []);
  t.false(runs.some((r) => r.includes('--timeout') || r.includes('--set')));
  t.deepEqual(hostRecords(path), []);
});

test('the first observation records the node\'s own timeouts; the lab\'s are set with one ipvsadm --set; drift is set back; the record stays the node\'s own', async (t) => {
  const path = ledgerFile();
  const state = { timeouts: DEFAULTS };
  const { runs, kernel } = timeoutsNode(state, path);
  const desired = planNode(withTimeouts({ tcp: 600, tcpFin: 30, udp: 60 }), 'ds').desired;
  t.deepEqual(desired.ipvsTimeouts, { tcp: 600, tcpFin: 30, udp: 60 });
  const first = diff(desired, await kernel.observe(desired));
  t.deepEqual(hostRecords(path), ['host-ipvs-timeouts:900,120,300'], 'recorded before any change is applied');
  t.deepEqual(timeoutChanges(first), ['ipvs timeouts: tcp 900s → 600s, tcpfin 120s → 30s, udp 300s → 60s']);
  await kernel.apply(first);
  t.true(runs.includes('ipvsadm --set 600 30 60'));
  t.deepEqual(state.timeouts, { tcp: 600, tcpFin: 30, udp: 60 });
  t.deepEqual(timeoutChanges(diff(desired, await kernel.observe(desired))), [], 'converged');
  state.timeouts = { ...state.timeouts, tcp: 7200 }; // someone runs ipvsadm --set 7200 0 0
  const repair = diff(desired, await kernel.observe(desired));
  t.deepEqual(timeoutChanges(repair), ['ipvs timeouts: tcp 7200s → 600s']);
  await kernel.apply(repair);
  t.deepEqual(state.timeouts, { tcp: 600, tcpFin: 30, udp: 60 });
  t.deepEqual(hostRecords(path), ['host-ipvs-timeouts:900,120,300'], 'the drift was not taken for the node\'s own');
});

test('cleanup writes the node\'s own timeouts back and forgets their record; the next cleanup reads them no more', async (t) => {
  const path = ledgerFile();
  const state = { timeouts: DEFAULTS };
  const { runs, kernel } = timeoutsNode(state, path);
  const lab = withTimeouts({ tcp: 600, udp: 60 });
  const desired = planNode(lab, 'ds').desired;
  await kernel.apply(diff(desired, await kernel.observe(desired)));
  t.deepEqual(state.timeouts, { tcp: 600, tcpFin: 120, udp: 60 }, 'tcpFin, which the lab does not name, stays');
  const result = await reconcile(lab, 'ds', kernel, { cleanup: true });
  t.true(result.changes.includes('ipvs timeouts: tcp 600s → 900s, udp 60s → 300s (the node\'s own, back: the lab no longer sets them)'), result.changes.join('\n'));
  t.true(runs.includes('ipvsadm --set 900 120 300'));
  t.deepEqual(state.timeouts, DEFAULTS);
  t.deepEqual(hostRecords(path), []);
  const reads = runs.filter((r) => r === 'ipvsadm -L --timeout').length;
  await reconcile(lab, 'ds', kernel, { cleanup: true });
  t.is(runs.filter((r) => r === 'ipvsadm -L --timeout').length, reads);
});

test('a reload that drops ipvsTimeouts writes the node\'s own back; one whose node already holds them only forgets the record', async (t) => {
  const path = ledgerFile();
  const state = { timeouts: DEFAULTS };
  const { runs, kernel } = timeoutsNode(state, path);
  const withKey = planNode(withTimeouts({ udp: 60 }), 'ds').desired;
  await kernel.apply(diff(withKey, await kernel.observe(withKey)));
  t.is(state.timeouts.udp, 60);
  const without = planNode(seed, 'ds').desired;
  const restore = diff(without, await kernel.observe(without));
  t.deepEqual(timeoutChanges(restore), ['ipvs timeouts: udp 60s → 300s (the node\'s own, back: the lab no longer sets them)']);
  await kernel.apply(restore);
  t.deepEqual(state.timeouts, DEFAULTS);
  t.deepEqual(hostRecords(path), []);

  await kernel.apply(diff(withKey, await kernel.observe(withKey)));
  state.timeouts = DEFAULTS; // someone set them back by hand
  const sets = runs.filter((r) => r.startsWith('ipvsadm --set')).length;
  t.deepEqual(timeoutChanges(diff(without, await kernel.observe(without))), []);
  t.deepEqual(hostRecords(path), [], 'the record goes without a write');
  t.is(runs.filter((r) => r.startsWith('ipvsadm --set')).length, sets);
});

test('changeKeys: writing the node\'s own back forgets their record after the write; setting the lab\'s records nothing (observe did)', (t) => {
  const host = { tcp: 900, tcpFin: 120, udp: 300 };
  t.deepEqual(changeKeys([{ kind: 'ipvs-timeouts-set', timeouts: host, from: { ...host, udp: 60 }, restore: true }]), { created: [], forgotten: ['host-ipvs-timeouts:900,120,300'] });
  t.deepEqual(changeKeys([set({ udp: 60 }, host)]), { created: [], forgotten: [] });
});
