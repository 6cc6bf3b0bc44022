/** An HA director that is a machine of its own (ha/machine-files.ts): the files provision.sh installs, where, and for whom. */
import test from 'ava';
import { conntrackdConf, conntrackdNotifyScript } from '../../../daemon/ha/conntrackd-conf.js';
import { keepalivedConf } from '../../../daemon/ha/keepalived-conf.js';
import { machineHaFiles, MACHINE_PATHS } from '../../../daemon/ha/machine-files.js';
import { labFrom } from '../plan/helpers.js';

const ha = labFrom('labs/ha.yaml');
const TOOLS = { curl: '/usr/bin/curl', conntrackd: '/usr/sbin/conntrackd' };

test("ds2 of labs/ha.yaml on link ens6: keepalived.conf, conntrackd.conf and the notify script at Debian's units' own paths, the script executable", (t) => {
  const files = machineHaFiles(ha, 'ds2', 'ens6', TOOLS);
  t.deepEqual(files.map((f) => [f.path, f.mode]), [
    ['/etc/keepalived/keepalived.conf', 0o644],
    ['/etc/conntrackd/conntrackd.conf', 0o644],
    ['/etc/lvslab/conntrackd-notify.sh', 0o755],
  ]);
  t.is(files[0]!.text, keepalivedConf(ha, 'ds2', { interface: 'ens6', curl: '/usr/bin/curl', notify: '/etc/lvslab/conntrackd-notify.sh' }));
  t.is(files[1]!.text, conntrackdConf(ha, 'ds2', { interface: 'ens6', files: MACHINE_PATHS.conntrackd, underSystemd: true }));
  t.is(files[2]!.text, conntrackdNotifyScript(ha, 'ds2', '/usr/sbin/conntrackd', MACHINE_PATHS.conntrackd));
});

test("under Debian's conntrackd.service (Type=notify) the conf says Systemd on; in the one-box lab, off", (t) => {
  const conf = machineHaFiles(ha, 'ds', 'ens6', TOOLS)[1]!.text;
  t.regex(conf, /^ {2}Systemd on$/m);
  t.regex(conf, /^ {2}LockFile \/var\/lock\/conntrackd\.lock$/m);
  t.regex(conntrackdConf(ha, 'ds', { interface: 'eth0', files: MACHINE_PATHS.conntrackd, underSystemd: false }), /^ {2}Systemd off$/m);
});

test('no files for a node that is not a director (rs1), nor for the director of a lab without ha (labs/seed.yaml ds)', (t) => {
  t.deepEqual(machineHaFiles(ha, 'rs1', 'ens6', TOOLS), []);
  t.deepEqual(machineHaFiles(labFrom('labs/seed.yaml'), 'ds', 'ens6', TOOLS), []);
});
