/**
 * lvslab touches only what it owns: foreign IPVS services, iptables rules and ipsets survive `apply`
 * and `cleanup` byte for byte; a second apply writes nothing; a bad lab file touches nothing. The
 * neighbours test: 50 foreign IPVS services (some on the lab's VIPs), 2 made by a running keepalived,
 * sets, chains, rules and routes survive the syncs, with the lab changing under them, and `cleanup`.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { inNs, lvslab, ok, root, run, withoutComments } from './helpers.js';
import { ledgerPath } from '../../daemon/kernel/node-kernel.js';
import { startKeepalived, stopKeepalived, type KeepalivedService } from './keepalived.js';

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
  await run(['ip', 'netns', 'del', nb]);
});

test('foreign objects survive apply and cleanup byte for byte; a converged apply writes nothing', async (t) => {
  const before = await kernelState();

  const first = await ok(lvslab('apply', '--node', 'ds', lab));
  t.regex(first.stdout, /^ds: \d+ changes applied/m);
  t.regex(first.stdout, /^ds: network namespace own-ds\n/, 'apply says where it writes first');
  const applied = await kernelState();
  t.regex(applied.ipvs, /-A -t 10\.10\.0\.1:8410 -s rr/);
  t.regex(applied.nat, /-A LVSLAB-SERVICES .*--match-set LVSLAB-SNAT dst,dst -j LVSLAB-MARK-MASQ/);
  t.regex(applied.sets, /^add LVSLAB-SNAT 10\.10\.0\.1,tcp:8410$/m);
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

// --- neighbours: lab nb, its director in namespace nb-ds (the CLI's name for it)
const nb = 'nb-ds';
const nbLab = `${root}test/fixtures/labs/neighbours.yaml`;
/**
 * Syncs the driver runs, in two rounds with a byte-for-byte check of the neighbours after each. Each
 * costs six tool runs (about 1 s in the micro-VM on an idle machine): 40 keep this file near 4 minutes
 * there; LVSLAB_NEIGHBOUR_SYNCS=1000 runs the full count (a multiple of 20).
 */
const SYNCS = Number(process.env.LVSLAB_NEIGHBOUR_SYNCS ?? 40);
const SYNC_ROUNDS = 2;
const SYNCS_PER_ROUND = SYNCS / SYNC_ROUNDS;
/** In every block of 10 syncs the lab changes once and changes back (the driver's EVERY). */
const CHANGE_EVERY = 10;
if (!Number.isInteger(SYNCS_PER_ROUND / CHANGE_EVERY) || SYNCS <= 0) throw new Error(`LVSLAB_NEIGHBOUR_SYNCS=${SYNCS}: must be a positive multiple of ${SYNC_ROUNDS * CHANGE_EVERY}`);

/** 50 foreign IPVS services: 12 on the lab's VIPs (other ports, other protocols), a fwmark one with persistence (keepalived's kind), 5 on the director's address, 32 elsewhere. */
function foreignIpvs(): string {
  const lines: string[] = [];
  const service = (kind: '-t' | '-u', at: string, sched: string, reals: number, extra = ''): void => {
    lines.push(`-A ${kind} ${at} -s ${sched}${extra}`);
    for (let r = 1; r <= reals; r++) lines.push(`-a ${kind} ${at} -r 10.99.1.${r}:${at.split(':')[1]} -m -w ${r}`);
  };
  for (const at of ['10.10.0.1:443', '10.10.0.1:80', '10.10.0.1:8411', '10.10.0.1:22']) service('-t', at, 'wlc', 2);
  for (const at of ['10.10.0.1:53', '10.10.0.1:8410']) service('-u', at, 'rr', 1);
  for (const at of ['10.10.0.2:53', '10.10.0.2:80', '10.10.0.2:443', '10.10.0.2:8410']) service('-t', at, 'lc', 1, ' -p 60');
  for (const at of ['10.10.0.2:54', '10.10.0.2:123']) service('-u', at, 'sh', 2);
  lines.push('-A -f 7 -s rr -p 50', '-a -f 7 -r 10.99.1.3:0 -m -w 1');
  for (let p = 30000; p < 30005; p++) service('-t', `192.168.113.101:${p}`, 'rr', 1);
  for (let h = 1; h <= 32; h++) service(h % 4 === 0 ? '-u' : '-t', `10.50.0.${h}:${h % 4 === 0 ? 53 : 80}`, 'wrr', 1 + (h % 3));
  return `${lines.join('\n')}\n`;
}

const FOREIGN_SETS = [
  'create nb-foreign hash:ip family inet', 'add nb-foreign 1.2.3.4', 'add nb-foreign 5.6.7.8',
  'create nb-ports bitmap:port range 0-65535', 'add nb-ports 22', 'add nb-ports 30000',
  'create LVSLAB-theirs hash:net family inet', 'add LVSLAB-theirs 10.66.0.0/16',
  'create KUBE-LOOP-BACK hash:ip,port,ip family inet', 'add KUBE-LOOP-BACK 10.0.0.1,tcp:80,10.0.0.1',
].join('\n');

const FOREIGN_RULES = `*nat
:NB-PRE - [0:0]
-A PREROUTING -d 10.10.0.1/32 -p tcp -m tcp --dport 443 -j NB-PRE
-A OUTPUT -d 10.10.0.2/32 -p udp -m udp --dport 54 -j RETURN
-A POSTROUTING -s 172.16.0.0/12 -m comment --comment "foreign masquerade" -j MASQUERADE
-A NB-PRE -j RETURN
COMMIT
*filter
:NB-IN - [0:0]
:LVSLAB-THEIRS - [0:0]
-A INPUT -m set --match-set nb-foreign src -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 10.66.0.0/16 -j LVSLAB-THEIRS
-A FORWARD -j NB-IN
-A NB-IN -m set --match-set LVSLAB-theirs src -j DROP
-A LVSLAB-THEIRS -j RETURN
COMMIT
*mangle
-A PREROUTING -d 10.10.0.1/32 -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x7/0xffffffff
COMMIT
`;

/** Links, addresses, routes: eth0 (the lab address), a foreign dummy on a VIP-like address, a proto-241 route to a non-lab destination, static and boot routes. */
const FOREIGN_IP = [
  'link set lo up', 'link add eth0 type dummy', 'address add 192.168.113.101/24 dev eth0', 'link set eth0 up',
  'link add nb0 type dummy', 'address add 10.10.0.3/32 dev nb0', 'address add 10.50.0.1/32 dev nb0',
  'route add 10.99.1.0/24 dev eth0',
  'route add 10.241.0.0/16 via 192.168.113.1 proto 241',
  'route add 10.60.0.0/16 via 192.168.113.1 proto static',
  'route add 10.70.0.0/16 via 192.168.113.1',
].join('\n');

/** keepalived's own virtual servers (it makes them through netlink, as its users run it): on the lab's VIPs, other ports. */
const KEEPALIVED: readonly KeepalivedService[] = [
  { protocol: 'TCP', vip: '10.10.0.1', port: 9000, scheduler: 'wrr', realServers: [{ ip: '10.99.1.7', port: 9000, weight: 3 }, { ip: '10.99.1.8', port: 9000, weight: 1 }] },
  { protocol: 'UDP', vip: '10.10.0.2', port: 5353, scheduler: 'rr', realServers: [{ ip: '10.99.1.9', port: 5353, weight: 1 }] },
];

const neighbourState = async () => {
  const text = async (argv: string[]) => (await ok(inNs(nb, argv))).stdout;
  return {
    ipvs: await text(['ipvsadm', '-S', '-n']),
    iptables: withoutComments(await text(['iptables-save'])),
    // a set lvslab swaps gets a new initval: not a difference
    sets: (await text(['ipset', 'save'])).replace(/ initval 0x[0-9a-f]+/g, ''),
    routes: await text(['ip', 'route', 'show', 'table', 'all']),
    links: await text(['ip', '-o', '-d', 'link', 'show']),
    addresses: await text(['ip', '-o', 'addr', 'show']),
  };
};

/** The lines of `now` that were there before, in order: equal to `before` when every foreign line is unchanged and in place. */
const foreignLines = (now: string, before: string): string[] => {
  const known = new Set(before.split('\n'));
  return now.split('\n').filter((l) => known.has(l));
};

test(`neighbours: 50 foreign IPVS services, 2 of a running keepalived, sets, chains, rules and routes are byte for byte equal after ${SYNCS} syncs and after cleanup, which leaves 0 owned objects`, async (t) => {
  await run(['ip', 'netns', 'del', nb]);
  await ok(run(['ip', 'netns', 'add', nb]));
  await ok(inNs(nb, ['modprobe', 'ip_vs']));
  await ok(run(['ip', '-n', nb, '-batch', '-'], `${FOREIGN_IP}\n`));
  await ok(inNs(nb, ['ipvsadm', '-R'], foreignIpvs()));
  await ok(inNs(nb, ['ipset', 'restore'], `${FOREIGN_SETS}\n`));
  await ok(inNs(nb, ['iptables-restore', '--noflush'], FOREIGN_RULES));
  t.teardown(stopKeepalived);
  await startKeepalived(nb, KEEPALIVED);
  await run(['rm', '-f', ledgerPath('nb', 'ds')]);
  const before = await neighbourState();
  t.is(before.ipvs.split('\n').filter((l) => l.startsWith('-A ')).length, 52, 'the neighbours hold 50 IPVS services and keepalived 2');

  const first = await ok(lvslab('apply', '--node', 'ds', nbLab));
  t.regex(first.stdout, /^ds: \d+ changes applied/m);
  const applied = await neighbourState();
  t.regex(applied.ipvs, /-A -t 10\.10\.0\.1:8410 -s rr/);
  t.regex(applied.ipvs, /-A -u 10\.10\.0\.2:53 -s sh/);
  const check = (now: typeof before, when: string): void => {
    for (const key of Object.keys(before) as (keyof typeof before)[]) {
      t.deepEqual(foreignLines(now[key], before[key]), before[key].split('\n'), `${key}: a neighbour's line changed, moved or went ${when}`);
    }
  };
  check(applied, 'after the first apply');

  const started = performance.now();
  const summaries = [];
  for (let round = 1; round <= SYNC_ROUNDS; round++) {
    // 15 s a sync at most (about 1 s on an idle machine, 6 s seen with three micro-VMs on two cores)
    const driver = await ok(inNs(nb, [process.execPath, `${root}dist/test/e2e/sync-driver.js`, nbLab, 'ds', String(SYNCS_PER_ROUND), String(CHANGE_EVERY)], undefined, SYNCS_PER_ROUND * 15_000));
    const summary = JSON.parse(driver.stdout) as { syncs: number; changingSyncs: number; failures: string[]; unexpectedChanges: string[]; writes: Record<string, number>; durationMs: number };
    summaries.push(summary);
    t.deepEqual(summary.failures, [], `round ${round}`);
    t.deepEqual(summary.unexpectedChanges, [], `round ${round}: a converged node changed`);
    t.is(summary.changingSyncs, 2 * (SYNCS_PER_ROUND / CHANGE_EVERY), `round ${round}: only the lab changes (away and back) write`);
    const now = await neighbourState();
    check(now, `after ${round * SYNCS_PER_ROUND} syncs`);
    t.deepEqual(now, applied, `round ${round}: after the lab came back the node is byte for byte what the first apply made`);
  }
  const syncs = summaries.reduce((n, s) => n + s.syncs, 0);
  t.is(syncs, SYNCS);
  t.log(`${syncs} syncs in ${Math.round(performance.now() - started)} ms (driver: ${summaries.map((s) => s.durationMs).join(' + ')} ms); writes ${JSON.stringify(summaries.map((s) => s.writes))}`);

  const cleanup = await ok(lvslab('cleanup', '--node', 'ds', nbLab));
  t.regex(cleanup.stdout, /^ds: \d+ changes applied/m);
  t.deepEqual(await neighbourState(), before, 'cleanup did not restore the neighbours-only state byte for byte');
  const again = await ok(lvslab('cleanup', '--node', 'ds', nbLab));
  t.regex(again.stdout, /^ds: 0 changes \(converged\)/m, 'cleanup left owned objects');
  // a ledger that names nothing is no file at all: nothing of lvslab's is left in /run either
  t.false(existsSync(ledgerPath('nb', 'ds')), 'the ledger file is still there');
});
