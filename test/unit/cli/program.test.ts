/** lvslab's command line (program.ts): what each line runs, and the lines answered or refused before anything runs. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { helpText, parseCommandLine } from '../../../daemon/cli/program.js';

const VERSION = '9.8.7';
/** parseCommandLine with commander's output captured. */
async function parse(...argv: string[]) {
  let out = '';
  let err = '';
  const result = await parseCommandLine(argv, VERSION, { writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  return { result, out, err };
}

test('each command line the tests and the README use parses to its command and flags, flags before or after the lab file', async (t) => {
  const cases: [string[], object][] = [
    [['up', 'labs/wrr.yaml', '--requests', '8'], { command: 'up', lab: 'labs/wrr.yaml', requests: 8, timeoutS: 300, json: false }],
    [['up'], { command: 'up', lab: undefined, requests: 10, timeoutS: 300, json: false }],
    [['up', '--timeout', '60', '--json', 'x.yaml'], { command: 'up', lab: 'x.yaml', requests: 10, timeoutS: 60, json: true }],
    [['down', 'labs/wrr.yaml'], { command: 'down', lab: 'labs/wrr.yaml' }],
    [['verify', 'lab.yaml', '--json', '--requests', '16'], { command: 'verify', lab: 'lab.yaml', requests: 16, json: true }],
    [['check', 'labs/kube.yaml', '--node', 'ds'], { command: 'check', lab: 'labs/kube.yaml', node: 'ds' }],
    [['check'], { command: 'check', lab: undefined }],
    [['doctor', 'labs/kube.yaml', '--json'], { command: 'doctor', lab: 'labs/kube.yaml', json: true }],
    [['compare'], { command: 'compare', labs: [], requests: 10, timeoutS: 300, json: false }],
    [['compare', 'labs/seed.yaml', 'labs/dr.yaml', '--requests', '6', 'labs/tun.yaml', '--json'], { command: 'compare', labs: ['labs/seed.yaml', 'labs/dr.yaml', 'labs/tun.yaml'], requests: 6, timeoutS: 300, json: true }],
    [['trace', '--from', 'client', '--to', '10.96.0.10:80', 'labs/kube.yaml', '--json'], { command: 'trace', lab: 'labs/kube.yaml', from: 'client', to: '10.96.0.10:80', json: true }],
    [['apply', '--node', 'ds', 'own.yaml'], { command: 'apply', lab: 'own.yaml', node: 'ds', json: false }],
    [['plan', 'own.yaml', '--node', 'client', '--json'], { command: 'plan', lab: 'own.yaml', node: 'client', json: true }],
    [['cleanup', '--node', 'ds'], { command: 'cleanup', lab: undefined, node: 'ds', json: false }],
    [['status', '--node', 'ds', '/etc/lvslab/lab.yaml', '--api', '127.0.0.1:9410'], { command: 'status', lab: '/etc/lvslab/lab.yaml', node: 'ds', json: false, api: '127.0.0.1:9410' }],
    [['drill', 'failover', 'labs/ha.yaml'], { command: 'drill', lab: 'labs/ha.yaml', way: 'keepalived', held: 4, everyMs: 100, json: false }],
    [['drill', 'failover', '--by', 'link', '--held', '8', '--every', '200', '--json'], { command: 'drill', lab: undefined, way: 'link', held: 8, everyMs: 200, json: true }],
    [['drill-agent', '--vip', '10.10.0.1', '--port', '8410', '--held', '4', '--every', '100', '--seconds', '120', '--ready', '/tmp/r', '--stop', '/tmp/s'],
      { command: 'drill-agent', options: { vip: '10.10.0.1', port: 8410, held: 4, everyMs: 100, seconds: 120, readyFile: '/tmp/r', stopFile: '/tmp/s' } }],
  ];
  for (const [argv, expected] of cases) {
    const { result, err } = await parse(...argv);
    t.deepEqual(result, expected, argv.join(' '));
    t.is(err, '', argv.join(' '));
  }
});

test('--help, -h and help print the commands on stdout, exit 0; so do `up --help` and `help up` for up, with its flags', async (t) => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const { result, out, err } = await parse(...argv);
    t.deepEqual(result, { exit: 0 }, argv.join(' '));
    t.is(err, '');
    for (const c of ['up', 'down', 'verify', 'check', 'doctor', 'trace', 'plan', 'apply', 'status', 'cleanup']) t.regex(out, new RegExp(`^  ${c} `, 'm'), `${argv.join(' ')}: ${c}`);
    t.regex(out, /Exit codes: 0 ok, 1 failed/);
  }
  const upHelp = await parse('up', '--help');
  const helpUp = await parse('help', 'up');
  t.deepEqual([upHelp.result, helpUp.result], [{ exit: 0 }, { exit: 0 }]);
  t.is(upHelp.out, helpUp.out);
  t.regex(upHelp.out, /^Usage: lvslab up \[options\] \[LAB\.yaml\]/);
  t.regex(upHelp.out, /--requests <n> +requests per virtual server \(default: 10\)/);
  t.regex(upHelp.out, /--timeout <seconds>/);
  t.notRegex(upHelp.out, /--node/, 'up shows a flag it does not take');
});

test('--version and -V print the version alone, exit 0', async (t) => {
  for (const flag of ['--version', '-V']) t.deepEqual(await parse(flag), { result: { exit: 0 }, out: `${VERSION}\n`, err: '' });
});

test('usage errors exit 2 with one message on stderr naming the command, and nothing on stdout', async (t) => {
  const cases: [string[], RegExp][] = [
    [['check', '--json'], /^error: unknown option '--json'\n\(lvslab check --help for usage\)/],
    [['check', '--requests', '0'], /^error: unknown option '--requests'\n\(lvslab check --help for usage\)/],
    [['check', '--from', 'x'], /^error: unknown option '--from'/],
    [['down', '--json'], /^error: unknown option '--json'\n\(lvslab down --help for usage\)/],
    [['plan', '--node', 'ds', '--api', '127.0.0.1:9410'], /^error: unknown option '--api'\n\(lvslab plan --help for usage\)/],
    [['verify', '--requests', '0'], /^error: option '--requests <n>' argument '0' is invalid\. must be a whole number from 1 to 1000/],
    [['up', '--timeout', '3601'], /argument '3601' is invalid\. must be a whole number from 1 to 3600/],
    [['verify', '--requests', '2x'], /argument '2x' is invalid/],
    [['trace', '--to', '10.0.0.1:80'], /^error: required option '--from <node>' not specified/],
    [['plan', 'lab.yaml'], /^error: required option '--node <name>' not specified\n\(lvslab plan --help for usage\)/],
    [['check', 'a.yaml', 'b.yaml'], /^error: too many arguments for 'check'/],
    [['frobnicate'], /^error: unknown command 'frobnicate'/],
  ];
  for (const [argv, message] of cases) {
    const { result, out, err } = await parse(...argv);
    t.deepEqual(result, { exit: 2 }, argv.join(' '));
    t.regex(err, message, argv.join(' '));
    t.is(out, '', argv.join(' '));
  }
  const bare = await parse();
  t.deepEqual(bare.result, { exit: 2 }, 'lvslab with no command');
  t.regex(bare.err, /^Usage: lvslab \[options\] \[command\]/, 'the help, on stderr');
});

test('helpText is what --help prints (the README is checked against it)', async (t) => {
  t.is(helpText(VERSION, 'verify'), (await parse('verify', '--help')).out);
  t.regex(helpText(VERSION), /^Usage: lvslab \[options\] \[command\]/);
});

test('the built programs: `lvslab --version` and `lvslabd --version` print package.json\'s version; `lvslabd --help` its usage (exit 0)', async (t) => {
  const run = promisify(execFile);
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  t.is((await run(process.execPath, ['dist/bin/lvslab.js', '--version'])).stdout, `${version}\n`);
  t.is((await run(process.execPath, ['dist/bin/lvslabd.js', '--version'])).stdout, `${version}\n`);
  const help = await run(process.execPath, ['dist/bin/lvslabd.js', '--help']);
  t.regex(help.stdout, /^Usage: lvslabd \[options\]/);
  t.regex(help.stdout, /--config <file>/);
});

test('the README\'s command section is `lvslab --help` as the program prints it', (t) => {
  const block = /^## Commands\n\n```\n([\s\S]*?)```\n/m.exec(readFileSync('README.md', 'utf8'))?.[1];
  t.is(block, helpText(VERSION), 'README.md differs from the help: paste `node dist/bin/lvslab.js --help` (without its exit-code line) there');
});

test('as another user than root, a command that reads a kernel says it needs root (exit 1) before it runs anything; check still works', async (t) => {
  // the bundle with its package.json in a folder every user can read (the checkout may not be)
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-nonroot-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'dist/bin'), { recursive: true });
  await copyFile('dist/bin/lvslab.js', join(dir, 'dist/bin/lvslab.js'));
  await copyFile('package.json', join(dir, 'package.json'));
  await copyFile('labs/seed.yaml', join(dir, 'seed.yaml'));
  for (const p of [dir, join(dir, 'dist'), join(dir, 'dist/bin')]) await chmod(p, 0o755);
  for (const p of ['dist/bin/lvslab.js', 'package.json', 'seed.yaml']) await chmod(join(dir, p), 0o644);
  const asNobody = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(dir, 'dist/bin/lvslab.js'), ...args], { uid: 65534, gid: 65534, cwd: dir }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }));
  });
  for (const command of ['verify', 'apply --node ds', 'up', 'down']) {
    const r = await asNobody(...command.split(' '), 'seed.yaml');
    const name = command.split(' ')[0]!;
    t.deepEqual(r, { code: 1, stdout: '', stderr: `lvslab: lvslab ${name} needs root (it runs ipvsadm, ipset, iptables and ip on the lab's nodes): run it as root, e.g. sudo lvslab ${name}\n` }, command);
  }
  const check = await asNobody('check', 'seed.yaml');
  t.is(check.code, 0, check.stderr);
  t.regex(check.stdout, /lab seed is valid/);
});
