/**
 * scripts/provision.sh for real, as `vagrant up` runs it on each VM, under systemd (PID 1 in the
 * micro-VM): the four nodes of labs/seed.yaml are network namespaces here (a drop-in puts each unit in
 * its node's namespace, the one thing a VM would not need). The packages are already on this machine,
 * so the install step must see that and skip without network. Then `lvslab verify` from inside the
 * client, as `vagrant ssh client -c 'sudo lvslab verify'` would: the client is "here", the director
 * another machine, read through its status API. A second provision run changes nothing.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import pino from 'pino';
import { loadLab } from '../../daemon/config/load.js';
import type { LabConfig } from '../../daemon/config/types.js';
import { createRunner } from '../../daemon/kernel/runner.js';
import { buildTopology, removeTopology } from '../../daemon/lab/namespace-lab.js';
import { inNs, ok, root, run, until } from './helpers.js';

const nodes = ['ds', 'client', 'rs1', 'rs2'];
const units = nodes.map((n) => `lvslabd@${n}`);
const dropIn = (n: string) => `/etc/systemd/system/lvslabd@${n}.service.d`;
const runner = createRunner({ log: pino({ level: 'silent' }) });
const provision = (...args: string[]) => run(['bash', `${root}scripts/provision.sh`, ...args]);
const systemctl = (...args: string[]) => run(['systemctl', ...args]);
const mainPids = async () => Promise.all(units.map(async (u) => (await systemctl('show', '-p', 'MainPID', '--value', u)).stdout.trim()));
let lab: LabConfig;

async function clean(): Promise<void> {
  await systemctl('disable', '--now', ...units);
  for (const n of nodes) await rm(dropIn(n), { recursive: true, force: true });
  await rm('/etc/systemd/system/lvslabd@.service', { force: true });
  await systemctl('daemon-reload');
  await rm('/opt/lvslab', { recursive: true, force: true });
  await rm('/usr/local/bin/lvslab', { force: true });
  await rm('/etc/lvslab', { recursive: true, force: true });
  if (lab) await removeTopology(lab, runner);
}

test.before(async () => {
  const loaded = await loadLab(`${root}labs/seed.yaml`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  lab = loaded.lab;
  await clean();
  await buildTopology(lab, runner);
  for (const n of nodes) {
    await mkdir(dropIn(n), { recursive: true });
    await writeFile(`${dropIn(n)}/netns.conf`, `[Service]\nNetworkNamespacePath=/run/netns/seed-${n}\n`);
  }
});

test.after.always(clean);

test.serial('a bad node name or a lab without the node is refused, and nothing is installed', async (t) => {
  const hostile = await provision('ds; reboot');
  t.is(hostile.exitCode, 2);
  t.regex(hostile.stderr, /NODE 'ds; reboot' is not a node name/);
  const stranger = await provision('lb', 'labs/seed.yaml');
  t.is(stranger.exitCode, 2, stranger.stdout + stranger.stderr);
  t.regex(stranger.stderr, /node 'lb' is not in lab 'seed'/);
  t.regex(stranger.stderr, /nothing was installed/);
  t.false(existsSync('/opt/lvslab'), '/opt/lvslab was created');
  t.false(existsSync('/etc/lvslab/lab.yaml'), 'a lab file was installed');
});

test.serial('provision.sh NODE for the four nodes: packages seen as present, units enabled and running, verify passes from the client', async (t) => {
  for (const n of nodes) {
    const started = Date.now();
    const r = await provision(n);
    t.is(r.exitCode, 0, `${n}\n${r.stdout}\n${r.stderr}`);
    t.regex(r.stdout, /packages: all present/);
    t.regex(r.stdout, new RegExp(`started lvslabd@${n}\\.service`));
    t.log(`provision ${n}: ${Date.now() - started} ms; ${r.stdout.trim().split('\n').filter((l) => /changed|npm|building/.test(l)).join(' | ').slice(0, 400)}`);
  }
  for (const u of units) {
    t.is((await systemctl('is-enabled', u)).stdout.trim(), 'enabled', u);
    t.is((await systemctl('is-active', u)).stdout.trim(), 'active', u);
  }
  // `vagrant ssh client -c 'sudo lvslab verify'`: the installed command, inside the client
  let last = '';
  const ms = await until('verify passes from the client', 90_000, async () => {
    const verify = await inNs('seed-client', ['lvslab', 'verify', '--requests', '6']);
    last = verify.stdout + verify.stderr;
    return verify.exitCode === 0;
  }).catch((e: Error) => t.fail(`${e.message}\n${last}`));
  t.log(`verify from the client passed ${ms} ms after the last provision:\n${last.trim()}`);
  t.regex(last, /verify: PASS/);
  // the director is another machine seen from the client: its flows came through its API
  t.regex(last, /conntrack: flows of 6\/6 probes on client, 6\/6 on ds/);
});

test.serial('a second provision run reports no change and restarts nothing', async (t) => {
  const before = await mainPids();
  for (const n of nodes) {
    const r = await ok(provision(n));
    t.regex(r.stdout, new RegExp(`provision ${n}: no change \\(lvslabd@${n}\\.service active\\)`), r.stdout);
    t.notRegex(r.stdout, /changed:|installing|npm ci|building|restarting/);
  }
  t.deepEqual(await mainPids(), before);
});
