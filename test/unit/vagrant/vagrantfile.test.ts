/**
 * The Vagrantfile, evaluated for real: by Ruby against a recorder of Vagrant's settings
 * (test/vagrant/inspect-vagrantfile.rb) to check the machines and addresses it derives from a lab
 * file, and by `vagrant validate` itself (Debian's vagrant package; scripts/test.sh installs it).
 */
import test from 'ava';
import pino from 'pino';
import { loadLab } from '../../../daemon/config/load.js';
import { createRunner } from '../../../daemon/kernel/runner.js';

const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 60_000 });
const withLab = (lab: string | undefined, argv: string[]) =>
  runner.run(lab === undefined ? argv : ['env', `LVSLAB_LAB=${lab}`, ...argv], { okExitCodes: [1] });

interface Call { call: string; args: unknown[]; options: Record<string, unknown>; block?: Recorded }
interface Recorded { vm?: Recorded; calls?: Call[]; [setting: string]: unknown }

async function configured(lab?: string): Promise<Recorded> {
  const r = await withLab(lab, ['ruby', 'test/vagrant/inspect-vagrantfile.rb']);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  const [only] = JSON.parse(r.stdout) as { version: string; config: Recorded }[];
  return only!.config;
}
const calls = (r: Recorded | undefined, name: string): Call[] => (r?.calls ?? []).filter((c) => c.call === name);

/** Per VM: name, hostname, private network address and mask, provisioner arguments. */
function machines(config: Recorded) {
  return calls(config.vm, 'define').map((d) => {
    const vm = d.block?.vm;
    const [net] = calls(vm, 'network');
    const [provision] = calls(vm, 'provision');
    return {
      name: d.args[0], hostname: vm?.hostname, network: net?.args[0], ip: net?.options.ip, netmask: net?.options.netmask,
      provision: provision?.options,
    };
  });
}

for (const labFile of ['labs/seed.yaml', 'labs/vbox.yaml']) {
  test(`${labFile}: one VM per node, in the file's order, with the node's address on one private network`, async (t) => {
    const loaded = await loadLab(labFile);
    if (!loaded.ok) return t.fail(JSON.stringify(loaded.problems));
    const config = await configured(labFile === 'labs/seed.yaml' ? undefined : labFile);
    t.deepEqual(machines(config), loaded.lab.nodes.map((n) => ({
      name: n.name, hostname: n.name, network: 'private_network', ip: n.ip, netmask: '255.255.255.0',
      provision: { path: 'scripts/provision.sh', args: [n.name, labFile] },
    })));
  });
}

test('a Debian 13 box (Node.js 20 in its own packages), 512 MB under libvirt and VirtualBox, the folder synced by rsync', async (t) => {
  const config = await configured();
  t.is(config.vm?.box, 'debian/trixie64');
  const providers = Object.fromEntries(calls(config.vm, 'provider').map((p) => [p.args[0], p.block]));
  t.like(providers, { libvirt: { memory: 512 }, virtualbox: { memory: 512 } });
  t.like(calls(config.vm, 'synced_folder')[0], { args: ['.', '/vagrant'], options: { type: 'rsync' } });
});

test('the netmask follows the prefix length', async (t) => {
  const [first] = machines(await configured('test/fixtures/labs/vagrant-16.yaml'));
  t.like(first, { ip: '172.20.3.10', netmask: '255.255.0.0' });
});

for (const [title, lab, message] of [
  ['a lab outside the folder the VMs see', '/etc/passwd', 'LVSLAB_LAB="/etc/passwd" must be a lab file inside'],
  ['a missing lab file', 'labs/nosuch.yaml', 'labs/nosuch.yaml: no such lab file'],
  ['a node on .1, which the host takes', 'labs/wrr.yaml', 'nodes.lb.address: 172.31.7.1/24 ends in .1'],
  ['malformed YAML', 'test/fixtures/config/not-yaml.yaml', 'not-yaml.yaml'],
] as const) {
  test(`refused with one message, before any VM: ${title}`, async (t) => {
    const r = await withLab(lab, ['ruby', 'test/vagrant/inspect-vagrantfile.rb']);
    t.is(r.exitCode, 1);
    t.true(r.stderr.startsWith('lvslab: '), r.stderr);
    t.true(r.stderr.includes(message), r.stderr);
    t.false(r.stderr.includes('.rb:'), 'no Ruby backtrace');
  });
}

test('vagrant validate passes (provider settings aside: no provider can run here)', async (t) => {
  const r = await withLab(undefined, ['vagrant', 'validate', '--ignore-provider']);
  t.is(r.exitCode, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /Vagrantfile validated successfully/);
  for (const n of ['ds', 'client', 'rs1', 'rs2']) t.regex(r.stdout, new RegExp(`==> ${n}:`));
});
