import test from 'ava';
import type { Change } from '../../../daemon/kernel/changes.js';
import { ToolError } from '../../../daemon/kernel/tool-error.js';
import type { RealServer, VirtualService } from '../../../daemon/kernel/types.js';
import { ipvsAdapter, ipvsFingerprint, parseIpvsSave, renderIpvsRestore, type IpvsTableMemo } from '../../../daemon/kernel/ipvs/index.js';
import { fakeRunner, fixture, replayFailure } from './helpers.js';

const saved = () => parseIpvsSave(fixture('ipvsadm-S-n.txt'));
const find = (services: VirtualService[], address: string, port: number) =>
  services.find((s) => s.address === address && s.port === port);
const real = (address: string, port: number, forwarding: RealServer['forwarding'], weight: number): RealServer => ({ address, port, forwarding, weight });

test('parseIpvsSave: the five services of the captured director', (t) => {
  const services = saved();
  t.deepEqual(services.map((s) => `${s.protocol}:${s.address}:${s.port} ${s.scheduler}`), [
    'tcp:192.168.113.101:9999 lc', 'tcp:10.10.0.1:8410 rr', 'tcp:10.10.0.2:80 wrr', 'tcp:10.10.0.2:443 wlc', 'udp:10.10.0.2:53 sh',
  ]);
});

test('parseIpvsSave: the seed service has two nat reals of weight 1', (t) => {
  t.deepEqual(find(saved(), '10.10.0.1', 8410), {
    protocol: 'tcp', address: '10.10.0.1', port: 8410, scheduler: 'rr',
    realServers: [real('192.168.113.98', 8080, 'nat', 1), real('192.168.113.99', 8080, 'nat', 1)],
  });
});

test('parseIpvsSave: persistence, weight 0, dr and tun (with --tun-type ipip), udp, no reals', (t) => {
  const services = saved();
  const web80 = find(services, '10.10.0.2', 80);
  t.is(web80?.persistence, 300);
  t.deepEqual(web80?.realServers, [real('192.168.113.98', 8080, 'nat', 0), real('192.168.113.99', 8080, 'nat', 3)]);
  t.deepEqual(find(services, '10.10.0.2', 443)?.realServers, [real('192.168.113.98', 443, 'tun', 1), real('192.168.113.99', 443, 'dr', 2)]);
  t.deepEqual(find(services, '10.10.0.2', 53)?.realServers, [real('192.168.113.99', 5353, 'nat', 1)]);
  t.is(find(services, '10.10.0.2', 53)?.protocol, 'udp');
  t.deepEqual(find(services, '192.168.113.101', 9999)?.realServers, []);
  t.false('persistence' in (find(services, '10.10.0.1', 8410) ?? {}));
});

test('parseIpvsSave: empty output, unknown flag, foreign fwmark service', (t) => {
  t.deepEqual(parseIpvsSave(fixture('ipvsadm-S-n-empty.txt')), []);
  const err = t.throws(() => parseIpvsSave('-A -t 10.0.0.1:80 -s rr --frobnicate\n'));
  t.regex(err?.message ?? '', /--frobnicate.*-A -t 10\.0\.0\.1:80 -s rr --frobnicate/);
  t.throws(() => parseIpvsSave('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n'), { message: /before its service/ });
  t.deepEqual(parseIpvsSave('-A -f 1 -s rr\n-a -f 1 -r 10.0.0.2:0 -g -w 1\n'), []);
  t.deepEqual(parseIpvsSave('-A -t [fd00::1]:80 -s rr\n')[0]?.address, 'fd00::1');
});

const seed = (): VirtualService => find(saved(), '10.10.0.1', 8410) as VirtualService;

test('renderIpvsRestore: every kind, in order rs-del, vs-del, vs-add, vs-edit, rs-add, rs-edit', (t) => {
  const s = seed();
  const [r98, r99] = s.realServers as [RealServer, RealServer];
  const dns: VirtualService = { protocol: 'udp', address: '10.10.0.2', port: 53, scheduler: 'sh', realServers: [] };
  const changes: Change[] = [
    { kind: 'rs-edit', service: s, real: { ...r99, weight: 5 }, from: r99 },
    { kind: 'rs-add', service: dns, real: real('192.168.113.99', 5353, 'dr', 1) },
    { kind: 'vs-edit', service: { ...s, scheduler: 'wrr', persistence: 60 }, from: s },
    { kind: 'vs-add', service: dns },
    { kind: 'vs-del', service: { ...dns, port: 54 } },
    { kind: 'rs-del', service: s, real: r98 },
    { kind: 'sysctl-set', sysctl: { key: 'net.ipv4.ip_forward', value: '1' }, from: '0' },
  ];
  t.is(renderIpvsRestore(changes), [
    '-d -t 10.10.0.1:8410 -r 192.168.113.98:8080',
    '-D -u 10.10.0.2:54',
    '-A -u 10.10.0.2:53 -s sh',
    '-E -t 10.10.0.1:8410 -s wrr -p 60',
    '-a -u 10.10.0.2:53 -r 192.168.113.99:5353 -g -w 1',
    '-e -t 10.10.0.1:8410 -r 192.168.113.99:8080 -m -w 5',
    '',
  ].join('\n'));
  t.is(renderIpvsRestore([changes[6] as Change]), '');
});

test('renderIpvsRestore → parseIpvsSave rebuilds every captured service', (t) => {
  const services = saved();
  const adds: Change[] = services.flatMap((service): Change[] => [
    { kind: 'vs-add', service },
    ...service.realServers.map((r): Change => ({ kind: 'rs-add', service, real: r })),
  ]);
  t.deepEqual(parseIpvsSave(renderIpvsRestore(adds)), services);
});

test('ipvsAdapter.observe: one ipvsadm -S -n, only owned addresses', async (t) => {
  const { runner, calls } = fakeRunner(() => ({ stdout: fixture('ipvsadm-S-n.txt') }));
  const services = await ipvsAdapter(runner).observe((s) => s.address === '10.10.0.1');
  t.deepEqual(calls.map((c) => c.argv), [['ipvsadm', '-S', '-n']]);
  t.deepEqual(services.map((s) => `${s.address}:${s.port}`), ['10.10.0.1:8410']);
});

test('ipvsFingerprint of /proc/net/ip_vs: connection counts do not change it; a weight, scheduler, persistence, forwarding or real server does', (t) => {
  const proc = fixture('proc-net-ip_vs.txt');
  const print = ipvsFingerprint(proc);
  const edit = (from: string, to: string): string => {
    t.true(proc.includes(from), from);
    return ipvsFingerprint(proc.replace(from, to));
  };
  t.is(edit('  -> C0A87162:1F90      Masq    1      0          3', '  -> C0A87162:1F90      Masq    1      17         42'), print, 'traffic');
  t.is(ipvsFingerprint(proc.replaceAll('\n', '   \n')), print, 'trailing blanks');
  for (const [from, to] of [
    ['  -> C0A87162:1F90      Masq    1      0          3', '  -> C0A87162:1F90      Masq    0      0          3'],
    ['TCP  0A0A0001:20DA rr', 'TCP  0A0A0001:20DA wrr'],
    ['persistent 75000 FFFFFFFF', 'persistent 75250 FFFFFFFF'],
    ['  -> C0A87162:01BB      Tunnel  1', '  -> C0A87162:01BB      Route   1'],
    ['  -> C0A87163:14E9      Masq    1      0          0', '  -> C0A87163:14E9      Masq    1      0          0\n  -> C0A87162:14E9      Masq    1      0          0'],
    ['TCP  C0A87165:270F lc  \n', ''],
  ] as const) t.not(edit(from, to), print, `${from} → ${to}`);
});

test('ipvsAdapter.observe with a memo: the full read only when /proc/net/ip_vs shows another table than the last full read', async (t) => {
  let proc = fixture('proc-net-ip_vs.txt');
  const { runner, calls } = fakeRunner((argv) => ({ stdout: argv[0] === 'cat' ? proc : fixture('ipvsadm-S-n.txt') }));
  const memo: IpvsTableMemo = {};
  const ipvs = ipvsAdapter(runner, memo);
  const owned = (s: { address: string }) => s.address === '10.10.0.1';
  const reads = async () => {
    calls.length = 0;
    const services = await ipvs.observe(owned);
    t.deepEqual(services.map((s) => `${s.address}:${s.port}`), ['10.10.0.1:8410']);
    return calls.map((c) => c.argv.join(' '));
  };
  t.deepEqual(await reads(), ['cat /proc/net/ip_vs', 'ipvsadm -S -n'], 'first: nothing remembered');
  t.deepEqual(await reads(), ['cat /proc/net/ip_vs'], 'same table');
  proc = proc.replace('Masq    1      0          3', 'Masq    1      5          9');
  t.deepEqual(await reads(), ['cat /proc/net/ip_vs'], 'only connection counts moved');
  proc = proc.replace('TCP  0A0A0001:20DA rr', 'TCP  0A0A0001:20DA wrr');
  t.deepEqual(await reads(), ['cat /proc/net/ip_vs', 'ipvsadm -S -n'], 'the scheduler changed');
  t.deepEqual(await reads(), ['cat /proc/net/ip_vs'], 'remembered again');
  const second = ipvsAdapter(runner, memo);
  calls.length = 0;
  await second.observe(owned);
  t.deepEqual(calls.map((c) => c.argv.join(' ')), ['cat /proc/net/ip_vs'], 'the memo outlives the adapter (the daemon makes one per run)');
});

test('ipvsAdapter.observe with a memo: no /proc/net/ip_vs (ip_vs not loaded) is a full read each time, nothing remembered', async (t) => {
  const { runner, calls } = fakeRunner((argv) =>
    argv[0] === 'cat' ? { stderr: 'cat: /proc/net/ip_vs: No such file or directory\n', exitCode: 1 } : { stdout: fixture('ipvsadm-S-n.txt') });
  const memo: IpvsTableMemo = {};
  const ipvs = ipvsAdapter(runner, memo);
  await ipvs.observe(() => true);
  await ipvs.observe(() => true);
  t.deepEqual(calls.map((c) => c.argv.join(' ')), ['cat /proc/net/ip_vs', 'ipvsadm -S -n', 'cat /proc/net/ip_vs', 'ipvsadm -S -n']);
  t.is(memo.last, undefined);
});

test('ipvsAdapter.apply: one ipvsadm -R with the batch; nothing spawned when empty', async (t) => {
  const { runner, calls } = fakeRunner();
  const ipvs = ipvsAdapter(runner);
  t.is(await ipvs.apply([]), 0);
  t.is(calls.length, 0);
  const s = seed();
  t.is(await ipvs.apply([{ kind: 'vs-add', service: s }, { kind: 'rs-add', service: s, real: s.realServers[0] as RealServer }]), 2);
  t.deepEqual(calls.map((c) => c.argv), [['ipvsadm', '-R']]);
  t.is(calls[0]?.options?.input, '-A -t 10.10.0.1:8410 -s rr\n-a -t 10.10.0.1:8410 -r 192.168.113.98:8080 -m -w 1\n');
  t.is(calls[0]?.options?.timeoutMs, 30_010, 'the hang bound: 30 s and 5 ms a line');
});

test('ipvsAdapter.apply: 10,000 services × 2 real servers are one 30,000-line batch bounded at 180 s, not 30', async (t) => {
  const { runner, calls } = fakeRunner();
  const changes: Change[] = Array.from({ length: 10_000 }, (_, i): Change[] => {
    const service: VirtualService = { protocol: 'tcp', address: `10.${(i >> 8) & 255}.${i & 255}.1`, port: 80, scheduler: 'rr', realServers: [] };
    return [{ kind: 'vs-add', service }, ...[1, 2].map((n): Change => ({ kind: 'rs-add', service, real: real(`192.168.${n}.${(i % 250) + 1}`, 8080, 'nat', 1) }))];
  }).flat();
  t.is(await ipvsAdapter(runner).apply(changes), 30_000);
  t.is(calls.length, 1);
  t.is(calls[0]?.options?.timeoutMs, 180_000);
});

test('ipvsAdapter.apply: a batch of one line runs as ipvsadm\'s own arguments, without stdin', async (t) => {
  const { runner, calls } = fakeRunner();
  const s: VirtualService = { protocol: 'udp', address: '10.108.113.238', port: 7, scheduler: 'rr', realServers: [] };
  t.is(await ipvsAdapter(runner).apply([{ kind: 'rs-del', service: s, real: real('192.168.113.99', 9007, 'nat', 1) }]), 1);
  t.deepEqual(calls.map((c) => c.argv), [['ipvsadm', '-d', '-u', '10.108.113.238:7', '-r', '192.168.113.99:9007']]);
  t.is(calls[0]?.options?.input, undefined);
});

test('ipvsAdapter.apply: a failed batch shows stderr and the batch, still a ToolError', async (t) => {
  const { runner } = fakeRunner(() => replayFailure('err-ipvsadm-R-bad-line.txt'));
  const bad: VirtualService = { protocol: 'tcp', address: '10.10.0.9', port: 81, scheduler: 'nosuchsched', realServers: [] };
  const err = await t.throwsAsync(ipvsAdapter(runner).apply([{ kind: 'vs-add', service: bad }]));
  t.true(err instanceof ToolError);
  t.regex(err?.message ?? '', /Scheduler or persistence engine not found/);
  t.regex(err?.message ?? '', /1: -A -t 10\.10\.0\.9:81 -s nosuchsched/);
});
