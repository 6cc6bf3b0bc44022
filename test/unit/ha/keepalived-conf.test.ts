/**
 * keepalived.conf for each director of labs/ha.yaml (ha/keepalived-conf.ts): the full text for ds,
 * what differs for ds2 and with other ha settings, and Debian's keepalived's own config test
 * (`keepalived -t`) on what lvslab renders. Also onPath (lab/ha-lab.ts), which finds the absolute
 * paths of curl and keepalived that keepalived and its config need.
 */
import test from 'ava';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pino from 'pino';
import type { LabConfig } from '../../../daemon/config/types.js';
import { keepalivedConf } from '../../../daemon/ha/keepalived-conf.js';
import { onPath } from '../../../daemon/lab/ha-lab.js';
import { createRunner } from '../../../daemon/kernel/runner.js';
import { ToolError } from '../../../daemon/kernel/tool-error.js';
import { labFrom } from '../plan/helpers.js';
import { tempDir } from '../temp-dir.js';

const HA_LINE = 'ha: { floatingAddress: 192.168.113.110/24, virtualRouterId: 51, advertInterval: 1s, preempt: false }';
const PLACE = { interface: 'eth0', curl: '/usr/bin/curl', notify: '/run/lvslab/ha/ds.conntrackd-notify.sh' } as const;

const ha = labFrom('labs/ha.yaml');
const haWith = (from: string, to: string): LabConfig => labFrom('labs/ha.yaml', (text) => {
  if (!text.includes(from)) throw new Error(`ha.yaml does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
});

const DS_CONF = `# lvslab: keepalived's VRRP for director ds of lab ha. Written by lvslab from the lab file;
# edits here are overwritten. lvslab programs IPVS on both directors; keepalived only moves the addresses.
global_defs {
  router_id ha-ds
  enable_script_security
  script_user root
  vrrp_version 3
  lvs_sync_daemon eth0 lvslab id 51
}

# the local lvslabd: 3 failed checks in a row and this director gives up master (FAULT)
vrrp_script lvslabd_healthy {
  script "/usr/bin/curl -fsS -m 2 -o /dev/null http://127.0.0.1:9410/healthz"
  interval 2
  timeout 2
  fall 3
  rise 2
}

vrrp_instance lvslab {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  nopreempt
  unicast_src_ip 192.168.113.101
  unicast_peer {
    192.168.113.103
  }
  track_script {
    lvslabd_healthy
  }
  notify_master "/run/lvslab/ha/ds.conntrackd-notify.sh primary"
  notify_backup "/run/lvslab/ha/ds.conntrackd-notify.sh backup"
  notify_fault "/run/lvslab/ha/ds.conntrackd-notify.sh fault"
  virtual_ipaddress {
    192.168.113.110/24 dev eth0
    10.10.0.1/32 dev eth0
  }
}
`;

/** The lines of `a` and `b` that differ, as [line of a, line of b] (both texts the same number of lines). */
function changedLines(a: string, b: string): Array<[string, string]> {
  const la = a.split('\n');
  const lb = b.split('\n');
  if (la.length !== lb.length) throw new Error(`${la.length} lines against ${lb.length}`);
  return la.flatMap((line, i): Array<[string, string]> => (line === lb[i] ? [] : [[line, lb[i]!]]));
}

test("ds's keepalived.conf for labs/ha.yaml (eth0, /usr/bin/curl, the notify script) is exactly the golden text", (t) => {
  t.is(keepalivedConf(ha, 'ds', PLACE), DS_CONF);
});

test("ds2's keepalived.conf differs from ds's only in the comment, router_id, priority 100 and the unicast source and peer swapped", (t) => {
  t.deepEqual(changedLines(DS_CONF, keepalivedConf(ha, 'ds2', PLACE)), [
    ["# lvslab: keepalived's VRRP for director ds of lab ha. Written by lvslab from the lab file;",
      "# lvslab: keepalived's VRRP for director ds2 of lab ha. Written by lvslab from the lab file;"],
    ['  router_id ha-ds', '  router_id ha-ds2'],
    ['  priority 150', '  priority 100'],
    ['  unicast_src_ip 192.168.113.101', '  unicast_src_ip 192.168.113.103'],
    ['    192.168.113.103', '    192.168.113.101'],
  ]);
});

test('preempt: true drops the nopreempt line and nothing else', (t) => {
  const preempt = keepalivedConf(haWith('preempt: false', 'preempt: true'), 'ds', PLACE);
  t.is(preempt, DS_CONF.replace('  nopreempt\n', ''));
});

test('advertInterval 500ms renders advert_int 0.5 (keepalived reads seconds)', (t) => {
  const conf = keepalivedConf(haWith('advertInterval: 1s', 'advertInterval: 500ms'), 'ds', PLACE);
  t.is(conf, DS_CONF.replace('  advert_int 1\n', '  advert_int 0.5\n'));
});

test('advertInterval 100ms renders advert_int 0.1, 40950ms advert_int 40.95, 1500ms advert_int 1.5', (t) => {
  const advert = (value: string) => /^ {2}advert_int (.*)$/m.exec(keepalivedConf(haWith('advertInterval: 1s', `advertInterval: ${value}`), 'ds', PLACE))?.[1];
  t.is(advert('100ms'), '0.1');
  t.is(advert('40950ms'), '40.95');
  t.is(advert('1500ms'), '1.5');
});

test('virtualRouterId 7 is the virtual_router_id (and the sync daemon id)', (t) => {
  const conf = keepalivedConf(haWith('virtualRouterId: 51', 'virtualRouterId: 7'), 'ds', PLACE);
  t.regex(conf, /^ {2}virtual_router_id 7$/m);
  t.notRegex(conf, /\b51\b/);
});

test('the interface, curl path and notify script given are the ones written (interface on every address and the instance)', (t) => {
  const conf = keepalivedConf(ha, 'ds', { interface: 'enp0s8', curl: '/opt/bin/curl', notify: '/etc/lvslab/notify' });
  t.is(conf, DS_CONF.replaceAll('eth0', 'enp0s8').replace('/usr/bin/curl', '/opt/bin/curl').replaceAll('/run/lvslab/ha/ds.conntrackd-notify.sh', '/etc/lvslab/notify'));
});

test('each VIP is in virtual_ipaddress once, as /32, after the floating address (a VIP on two ports too)', (t) => {
  const lab = haWith('blocklists:',
    '  - { name: web2, vip: 10.10.0.2, port: 80, realServers: [{ node: rs1, port: 8080 }] }\n' +
    '  - { name: web3, vip: 10.10.0.2, port: 443, realServers: [{ node: rs2, port: 8443 }] }\nblocklists:');
  const block = /virtual_ipaddress \{\n([\s\S]*?)\n {2}\}/.exec(keepalivedConf(lab, 'ds', PLACE))?.[1];
  t.is(block, ['    192.168.113.110/24 dev eth0', '    10.10.0.1/32 dev eth0', '    10.10.0.2/32 dev eth0'].join('\n'));
});

test('the track script asks the api host when the director listens on one address (api: 192.168.113.101:9411)', (t) => {
  const lab = haWith('address: 192.168.113.101/24, api: 0.0.0.0:9410', 'address: 192.168.113.101/24, api: 192.168.113.101:9411');
  t.regex(keepalivedConf(lab, 'ds', PLACE), /^ {2}script "\/usr\/bin\/curl -fsS -m 2 -o \/dev\/null http:\/\/192\.168\.113\.101:9411\/healthz"$/m);
});

test("throws for a lab without ha (labs/seed.yaml): it has one director and no keepalived", (t) => {
  t.throws(() => keepalivedConf(labFrom('labs/seed.yaml'), 'ds', PLACE), { message: "lab 'seed' has no ha key: it has one director and no keepalived" });
});

test('throws for a node that is not a director (client) and for a node not in the lab (ds3)', (t) => {
  t.throws(() => keepalivedConf(ha, 'client', PLACE), { message: "node 'client' is not one of lab 'ha''s two directors" });
  t.throws(() => keepalivedConf(ha, 'ds3', PLACE), { message: "node 'ds3' is not one of lab 'ha''s two directors" });
});

// keepalived -t (--config-test) parses the file as keepalived would, then exits: 0 when it found
// nothing wrong, 5 for an unknown keyword, a value out of range, an unbalanced brace, an interface this
// machine does not have, or a track script it cannot run (checked by hand with Debian's keepalived
// 2.2.7). A config file that does not exist exits 0 (it says "Config files missing" on stderr only), so
// the tests also require an empty stderr. The interface must exist here and must not be a loopback:
// eth0 where there is one, else the first other link of this machine.
const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 30_000 });
const dir = tempDir('lvslab-keepalived-');

function hostLink(): string {
  const links = readdirSync('/sys/class/net').filter((name) => name !== 'lo' && name !== 'bonding_masters');
  const link = links.includes('eth0') ? 'eth0' : links[0];
  if (link === undefined) throw new Error('this machine has no network link but lo: keepalived -t has no interface to check');
  return link;
}

/** The host's link, its curl, and an executable notify script (keepalived -t checks that it can run it). */
function hostPlace() {
  const notify = join(dir, 'notify.sh');
  writeFileSync(notify, '#!/bin/sh\nexit 0\n');
  chmodSync(notify, 0o755);
  return { interface: hostLink(), curl: onPath('curl'), notify };
}

async function configTest(name: string, text: string) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  return runner.run([onPath('keepalived', `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`), '-t', '-f', file]);
}

for (const director of ['ds', 'ds2']) {
  test(`keepalived -t accepts ${director}'s keepalived.conf for labs/ha.yaml (exit 0, nothing on stderr)`, async (t) => {
    const text = keepalivedConf(ha, director, hostPlace());
    const result = await configTest(director, text);
    t.is(result.exitCode, 0);
    t.is(result.stderr, '');
  });
}

// the ha schema's bounds (router id 1-255, adverts 100ms-40950ms) are what keepalived itself accepts
for (const [name, ha] of [
  ['preempt and a 500ms advert interval', 'virtualRouterId: 200, advertInterval: 500ms, preempt: true'],
  ['router id 1 and the shortest advert interval, 100ms', 'virtualRouterId: 1, advertInterval: 100ms'],
  ['router id 255 and the longest advert interval, 40950ms', 'virtualRouterId: 255, advertInterval: 40950ms'],
] as const) {
  test(`keepalived -t accepts the ds conf with ${name} (exit 0, nothing on stderr)`, async (t) => {
    const lab = haWith(HA_LINE, `ha: { floatingAddress: 192.168.113.110/24, ${ha} }`);
    const result = await configTest(`ds-${name.replace(/\W+/g, '-')}`, keepalivedConf(lab, 'ds', hostPlace()));
    t.is(result.exitCode, 0);
    t.is(result.stderr, '');
  });
}

test('keepalived -t refuses the ds conf with an unknown keyword in it (exit 5, "Unknown keyword" on stderr): the check above can fail', async (t) => {
  const text = keepalivedConf(ha, 'ds', hostPlace()).replace('  nopreempt\n', '  nopreempt\n  no_such_keyword 1\n');
  const error = await t.throwsAsync(configTest('ds-broken', text), { instanceOf: ToolError });
  t.is(error?.exitCode, 5);
  t.regex(error?.stderr ?? '', /Unknown keyword 'no_such_keyword'/);
});

// onPath: the absolute path of a program on a PATH string (keepalived runs track scripts by absolute path only)
const bin = tempDir('lvslab-onpath-');
const emptyDir = join(bin, 'empty');
const firstDir = join(bin, 'first');
const secondDir = join(bin, 'second');
for (const d of [emptyDir, firstDir, secondDir]) mkdirSync(d);
const program = (at: string, mode: number): void => {
  writeFileSync(at, '#!/bin/sh\nexit 0\n');
  chmodSync(at, mode);
};
program(join(firstDir, 'lvslab-probe'), 0o755);
program(join(secondDir, 'lvslab-probe'), 0o755);
program(join(secondDir, 'lvslab-only-second'), 0o755);
program(join(firstDir, 'lvslab-not-executable'), 0o644);
mkdirSync(join(firstDir, 'lvslab-a-directory'));

test('onPath finds an executable in the PATH string given: the first directory that has it', (t) => {
  t.is(onPath('lvslab-probe', `${emptyDir}:${firstDir}:${secondDir}`), join(firstDir, 'lvslab-probe'));
  t.is(onPath('lvslab-probe', `${secondDir}:${firstDir}`), join(secondDir, 'lvslab-probe'));
  t.is(onPath('lvslab-only-second', `${emptyDir}:${firstDir}:${secondDir}`), join(secondDir, 'lvslab-only-second'));
});

test('onPath throws naming the program and the PATH when no directory has it', (t) => {
  const path = `${emptyDir}:${firstDir}`;
  t.throws(() => onPath('lvslab-only-second', path), { message: `lvslab-only-second is not on PATH (${path}): install it (apt-get install lvslab-only-second)` });
});

test('onPath skips a file without an execute bit (mode 644) and a relative PATH entry', (t) => {
  t.throws(() => onPath('lvslab-not-executable', firstDir), { message: /^lvslab-not-executable is not on PATH/ });
  // a relative entry that leads to firstDir from the current directory is never searched
  const relativeFirst = relative(process.cwd(), firstDir);
  t.false(relativeFirst.startsWith('/'));
  t.is(onPath('lvslab-probe', `${relativeFirst}:${secondDir}`), join(secondDir, 'lvslab-probe'));
  t.throws(() => onPath('lvslab-probe', relativeFirst), { message: `lvslab-probe is not on PATH (${relativeFirst}): install it (apt-get install lvslab-probe)` });
});

test('onPath finds curl and keepalived on this machine\'s PATH (and /usr/sbin) as absolute paths', (t) => {
  t.regex(onPath('curl'), /^\/.*\/curl$/);
  t.regex(onPath('keepalived', `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`), /^\/.*\/keepalived$/);
});

// accessSync(X_OK) is true for a directory too (its search bit): onPath also asks for a regular file
test('onPath skips a directory named like the program', (t) => {
  t.throws(() => onPath('lvslab-a-directory', `${firstDir}:${secondDir}`), { message: /^lvslab-a-directory is not on PATH/ });
});
