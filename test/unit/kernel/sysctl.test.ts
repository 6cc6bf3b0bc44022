import test from 'ava';
import type { Change } from '../../../daemon/kernel/changes.js';
import { parseSysctlOutput, renderSysctlWrite, sysctlAdapter } from '../../../daemon/kernel/sysctl/index.js';
import { capturedStderr, fakeRunner, fixture } from './helpers.js';

// Canned, not captured: the capture script ran `sysctl -n`, which prints values only.
const CANNED = 'net.ipv4.ip_forward = 1\nnet.ipv4.vs.conntrack = 1\nnet.ipv4.ip_local_port_range = 32768\t60999\nkernel.domainname = \n';

test('parseSysctlOutput: key = value lines; values with tabs and empty values', (t) => {
  t.deepEqual([...parseSysctlOutput(CANNED)], [
    ['net.ipv4.ip_forward', '1'], ['net.ipv4.vs.conntrack', '1'], ['net.ipv4.ip_local_port_range', '32768\t60999'], ['kernel.domainname', ''],
  ]);
  t.is(parseSysctlOutput('').size, 0);
});

test('the captured missing-key run exits 1 and reports on stderr only', (t) => {
  const { stderr, exitCode } = capturedStderr('sysctl-n-missing.txt');
  t.is(exitCode, 1);
  t.regex(stderr, /cannot stat \/proc\/sys\/net\/ipv4\/vs\/nosuchkey/);
  t.is(fixture('sysctl-n-missing.txt'), '0\n');
});

test('sysctlAdapter.observe: sysctl KEY...; a missing key is absent, its exit code is not an error', async (t) => {
  const { stderr, exitCode } = capturedStderr('sysctl-n-missing.txt');
  const { runner, calls } = fakeRunner(() => ({ stdout: 'net.ipv4.ip_forward = 0\n', stderr, exitCode }));
  const values = await sysctlAdapter(runner).observe(['net.ipv4.ip_forward', 'net.ipv4.vs.nosuchkey']);
  t.deepEqual(calls.map((c) => c.argv), [['sysctl', 'net.ipv4.ip_forward', 'net.ipv4.vs.nosuchkey']]);
  t.deepEqual([...values], [['net.ipv4.ip_forward', '0']]);
  t.is(await sysctlAdapter(runner).observe([]).then((m) => m.size), 0);
  t.is(calls.length, 1);
});

test('sysctlAdapter.apply: one sysctl -w k=v ...; nothing spawned when empty', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: CANNED }));
  const changes: Change[] = [
    { kind: 'sysctl-set', sysctl: { key: 'net.ipv4.ip_forward', value: '1' }, from: '0' },
    { kind: 'link-add', link: { name: 'lvslab0', up: true } },
    { kind: 'sysctl-set', sysctl: { key: 'net.ipv4.vs.conntrack', value: '1' }, from: undefined },
  ];
  t.deepEqual(renderSysctlWrite(changes), ['-w', 'net.ipv4.ip_forward=1', 'net.ipv4.vs.conntrack=1']);
  t.is(await sysctlAdapter(runner).apply(changes.slice(1, 2)), 0);
  t.is(calls.length, 0);
  t.is(await sysctlAdapter(runner).apply(changes), 2);
  t.deepEqual(calls.map((c) => c.argv), [['sysctl', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.vs.conntrack=1']]);
});

test('sysctlAdapter.apply: a failing write is a ToolError', async (t) => {
  const { runner } = fakeRunner(() => ({ stderr: 'sysctl: permission denied on key "net.ipv4.ip_forward"\n', exitCode: 255 }));
  await t.throwsAsync(sysctlAdapter(runner).apply([{ kind: 'sysctl-set', sysctl: { key: 'net.ipv4.ip_forward', value: '1' }, from: '0' }]), {
    message: /permission denied/,
  });
});

test('sysctlAdapter.observe: three missing keys exit 3 (procps counts them) and are just absent', async (t) => {
  // seen on a kernel without IPVS: the three vs.* keys do not exist
  const stderr = ['conntrack', 'expire_nodest_conn', 'expire_quiescent_template']
    .map((k) => `sysctl: cannot stat /proc/sys/net/ipv4/vs/${k}: No such file or directory\n`).join('');
  const { runner } = fakeRunner(() => ({ stdout: 'net.ipv4.ip_forward = 1\n', stderr, exitCode: 3 }));
  const values = await sysctlAdapter(runner).observe(['net.ipv4.ip_forward', 'net.ipv4.vs.conntrack', 'net.ipv4.vs.expire_nodest_conn', 'net.ipv4.vs.expire_quiescent_template']);
  t.deepEqual([...values], [['net.ipv4.ip_forward', '1']]);
});

test('sysctlAdapter.observe: any other complaint is a ToolError, whatever the exit code', async (t) => {
  const { runner } = fakeRunner(() => ({ stdout: '', stderr: 'sysctl: permission denied on key "net.ipv4.ip_forward"\n', exitCode: 1 }));
  await t.throwsAsync(sysctlAdapter(runner).observe(['net.ipv4.ip_forward']), { message: /permission denied/ });
});
