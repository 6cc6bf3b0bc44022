/**
 * lvslab touches only what it owns: foreign IPVS services, iptables rules and ipsets survive `apply`
 * and `cleanup` byte for byte; a second apply writes nothing; a bad lab file touches nothing.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { inNs, lvslab, ok, root, run, withoutComments } from './helpers.js';

const ns = 'own-ds';
const lab = `${root}test/fixtures/labs/own.yaml`;

const kernelState = async () => ({
  ipvs: (await ok(inNs(ns, ['ipvsadm', '-S', '-n']))).stdout,
  nat: withoutComments((await ok(inNs(ns, ['iptables-save', '-t', 'nat']))).stdout),
  filter: withoutComments((await ok(inNs(ns, ['iptables-save', '-t', 'filter']))).stdout),
  sets: (await ok(inNs(ns, ['ipset', 'save']))).stdout.replace(/ initval 0x[0-9a-f]+/g, ''),
});

test.before(async () => {
  await run(['ip', 'netns', 'del', ns]);
  await ok(run(['ip', 'netns', 'add', ns]));
  await ok(inNs(ns, ['modprobe', 'ip_vs']));
  // IPVS accepts only real servers it can route to: give the director its lab address, as in the lab.
  await ok(run(['ip', '-n', ns, '-batch', '-'], 'link set lo up\nlink add eth0 type dummy\naddress add 192.168.113.101/24 dev eth0\nlink set eth0 up\nroute add 10.99.1.0/24 dev eth0\n'));
  await ok(inNs(ns, ['ipvsadm', '-R'], '-A -t 10.99.0.1:80 -s wlc\n-a -t 10.99.0.1:80 -r 10.99.1.1:80 -m -w 5\n'));
  await ok(inNs(ns, ['ipset', 'restore'], 'create foreign hash:ip family inet\nadd foreign 1.2.3.4\n'));
  await ok(inNs(ns, ['iptables-restore', '--noflush'],
    '*nat\n-A POSTROUTING -s 172.16.0.0/12 -m comment --comment "foreign masquerade" -j MASQUERADE\nCOMMIT\n' +
    '*filter\n-A INPUT -m set --match-set foreign src -j DROP\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n'));
});

test.after.always(async () => {
  await run(['ip', 'netns', 'del', ns]);
});

test('foreign objects survive apply and cleanup byte for byte; a converged apply writes nothing', async (t) => {
  const before = await kernelState();

  const first = await ok(lvslab('apply', '--node', 'ds', lab));
  t.regex(first.stdout, /^ds: \d+ changes applied/m);
  const applied = await kernelState();
  t.regex(applied.ipvs, /-A -t 10\.10\.0\.1:8410 -s rr/);
  t.regex(applied.nat, /-A LVSLAB-SERVICES -d 10\.10\.0\.1\/32/);
  t.regex(applied.sets, /create LVSLAB-blacklist hash:ip/);
  // every foreign line is still there, unchanged
  for (const key of ['ipvs', 'nat', 'filter', 'sets'] as const) {
    for (const line of before[key].split('\n').filter((l) => l && !l.startsWith(':') && !l.startsWith('*') && l !== 'COMMIT')) {
      t.true(applied[key].includes(line), `${key}: foreign line lost after apply: ${line}`);
    }
  }

  const second = await ok(lvslab('apply', '--node', 'ds', lab));
  t.regex(second.stdout, /^ds: 0 changes \(converged\)/m);
  t.deepEqual(await kernelState(), applied, 'a converged apply changed the kernel');

  const cleanup = await ok(lvslab('cleanup', '--node', 'ds', lab));
  t.regex(cleanup.stdout, /^ds: \d+ changes applied/m);
  t.deepEqual(await kernelState(), before, 'cleanup did not restore the foreign-only state byte for byte');
});

test('a malformed lab file is refused with exit 2 and the kernel is left untouched', async (t) => {
  const before = await kernelState();
  const bad = '/tmp/lvslab-bad-lab.yaml';
  await writeFile(bad, 'lab: own\nnodes:\n  ds: { role: director, address: 192.168.113.300/24 }\nvirtualServers:\n  - { name: "x; $(reboot)", vip: 10.10.0.1, port: 70000, realServers: [] }\n');
  const r = await lvslab('apply', '--node', 'ds', bad);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /192\.168\.113\.300/);
  t.regex(r.stderr, /70000/);
  t.deepEqual(await kernelState(), before);
});
