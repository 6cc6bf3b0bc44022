/** The drill's ssh commands: an argv quoted so that the remote shell hands it on unchanged. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import type { Runner } from '../../../daemon/kernel/runner.js';
import { shellQuote, sshArgv, sshCheckArgv, sshExitArgv, sshMasterArgv, sshRunner } from '../../../daemon/lab/ssh-node.js';

const target = { configFile: '/tmp/lab.ssh', controlDir: '/tmp/lvslab-ssh-x' };
const awkward = ['plain', '', 'two words', "it's", '$HOME', '`id`', 'a;b', '*', 'x\ny', '"q"', '\\'];

test('shellQuote: sh splits the quoted words back into exactly the original arguments, none expanded', (t) => {
  const line = awkward.map(shellQuote).join(' ');
  const out = execFileSync('sh', ['-c', `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  t.deepEqual(out.split('\0').slice(0, -1), awkward);
});

test('shellQuote leaves a word with no special character as it is', (t) => {
  t.is(shellQuote('/usr/sbin/ipvsadm'), '/usr/sbin/ipvsadm');
  t.is(shellQuote('10.10.0.1:8410'), '10.10.0.1:8410');
  t.is(shellQuote('a b'), "'a b'");
});

test('sshArgv: the config file, no password prompt, the node\'s master connection used (never made), and the command as root (sudo -n) after --', (t) => {
  const argv = sshArgv(target, 'ds', ['ip', 'link', 'set', 'eth1', 'down']);
  t.deepEqual(argv.slice(0, 3), ['ssh', '-F', '/tmp/lab.ssh']);
  t.true(argv.includes('BatchMode=yes'));
  t.true(argv.includes('ControlMaster=no'));
  t.true(argv.includes('ControlPath=/tmp/lvslab-ssh-x/%C'));
  t.deepEqual(argv.slice(-3), ['ds', '--', 'sudo -n ip link set eth1 down']);
  t.throws(() => sshArgv(target, 'ds', []), { message: 'ssh: empty argv' });
  const own = sshArgv(target, 'ds', ['ip', 'monitor', 'address'], { own: true });
  t.true(own.includes('ControlPath=none'));
  t.false(own.some((o) => o.startsWith('ControlMaster')));
  t.is(sshArgv(target, 'ds', ['date', '+%s%3N'], { asRoot: false }).at(-1), 'date +%s%3N', 'no sudo');
});

test('the master connection: made by one ssh with no command and no persistence of its own; checked and ended through its socket', (t) => {
  const master = sshMasterArgv(target, 'ds');
  t.true(master.includes('ControlMaster=yes'));
  t.true(master.includes('ControlPersist=no'));
  t.deepEqual(master.slice(-2), ['-N', 'ds']);
  t.deepEqual(sshCheckArgv(target, 'ds').slice(-3), ['-O', 'check', 'ds']);
  t.deepEqual(sshExitArgv(target, 'ds').slice(-3), ['-O', 'exit', 'ds']);
  t.true(sshExitArgv(target, 'ds').includes('ControlPath=/tmp/lvslab-ssh-x/%C'));
});

test('sshRunner runs through the local runner, with the options given', async (t) => {
  const calls: { argv: readonly string[]; timeoutMs: number | undefined }[] = [];
  const local = {
    netns: undefined,
    run: async (argv, o) => {
      calls.push({ argv, timeoutMs: o?.timeoutMs });
      return { argv, exitCode: 0, stdout: 'ok\n', stderr: '', durationMs: 1 };
    },
  } satisfies Runner;
  const r = await sshRunner(local, target, 'client').run(['touch', '/tmp/x y/stop'], { timeoutMs: 5000 });
  t.is(r.stdout, 'ok\n');
  t.is(calls.length, 1);
  t.is(calls[0]!.argv.at(-1), "sudo -n touch '/tmp/x y/stop'");
  t.is(calls[0]!.timeoutMs, 5000);
});
