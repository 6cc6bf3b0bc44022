/**
 * The Vagrantfile, evaluated for real: by Ruby against a recorder of Vagrant's settings
 * (test/vagrant/inspect-vagrantfile.rb) to check the machines and addresses it derives from a lab
 * file, and by `vagrant validate` itself (Debian's vagrant package; scripts/test.sh installs it).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
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

for (const labFile of ['labs/seed.yaml', 'labs/vbox.yaml', 'labs/ha.yaml']) {
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

test('the rsync excludes are anchored at the folder: the build\'s dist/node_modules (the compiled addon) and bundles are synced, tsc\'s test output and the tests are not', async (t) => {
  const [folder] = calls((await configured()).vm, 'synced_folder');
  t.deepEqual(folder?.options.rsync__exclude, ['/.git/', '/node_modules/', '/.vagrant/', '/dist/daemon/', '/dist/test/', '/test/']);
});

const libvirtOf = (config: Recorded) => calls(config.vm, 'provider').find((p) => p.args[0] === 'libvirt')?.block;

test('LVSLAB_BOX=local: the box of scripts/vagrant-box.sh, and a management network that forwards nowhere', async (t) => {
  const r = await withLab(undefined, ['env', 'LVSLAB_BOX=local', 'ruby', 'test/vagrant/inspect-vagrantfile.rb']);
  const [only] = JSON.parse(r.stdout) as { config: Recorded }[];
  t.is(only!.config.vm?.box, 'lvslab/debian13');
  t.like(libvirtOf(only!.config), { management_network_mode: 'none', management_network_name: 'lvslab-mgmt' });
  // the public box keeps libvirt's default management network (NAT): provisioning installs packages
  t.is(libvirtOf(await configured())?.management_network_mode, undefined);
});

test('LVSLAB_BOX other than public or local: refused with one message naming the choices', async (t) => {
  const r = await withLab(undefined, ['env', 'LVSLAB_BOX=trixie', 'ruby', 'test/vagrant/inspect-vagrantfile.rb']);
  t.is(r.exitCode, 1);
  t.is(r.stderr.trim(), 'lvslab: LVSLAB_BOX="trixie" is not a box choice: public (debian/trixie64, the default) or local (lvslab/debian13, scripts/vagrant-box.sh)');
});

test('libvirt\'s driver follows /dev/kvm: kvm where it exists, else qemu (software emulation), said on stderr by vagrant up only', async (t) => {
  const ssh = await withLab(undefined, ['ruby', 'test/vagrant/inspect-vagrantfile.rb', 'Vagrantfile', 'ssh', 'client']);
  t.is(ssh.stderr, '', 'nothing said in vagrant ssh');
  const r = await withLab(undefined, ['ruby', 'test/vagrant/inspect-vagrantfile.rb', 'Vagrantfile', 'up']);
  const [only] = JSON.parse(r.stdout) as { config: Recorded }[];
  const driver = libvirtOf(only!.config)?.driver;
  if (existsSync('/dev/kvm')) {
    t.is(driver, undefined, 'vagrant-libvirt\'s default, kvm');
    t.notRegex(r.stderr, /software emulation/);
  } else {
    t.is(driver, 'qemu');
    t.regex(r.stderr, /^lvslab: no \/dev\/kvm here: libvirt runs the VMs under qemu's software emulation \(driver qemu\)/m);
  }
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
