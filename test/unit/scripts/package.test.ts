/**
 * The npm package as `npm pack` makes it from this build (run after `npm run build`): what it ships, and
 * that `npm install -g` of the tarball, unable to reach any registry (--offline with an empty cache),
 * gives working programs. About 6 s on an idle two-core machine (the pack ~2 s, the install ~1.5 s, five
 * node processes), about 12 s when it is loaded (the whole unit suite alongside).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { helpText } from '../../../daemon/cli/program.js';
import { packageVersion } from '../../../daemon/paths.js';

const run = promisify(execFile);
// no update check, no audit: nothing but the install itself
const npmEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };

interface Packed { tarball: string; files: string[]; dir: string }
let packed: Packed;

test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { env: npmEnv, maxBuffer: 16 << 20 });
  const [manifest] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = { dir, tarball: join(dir, manifest.filename), files: manifest.files.map((f) => f.path).sort() };
});
test.after.always(async () => {
  if (packed) await rm(packed.dir, { recursive: true, force: true });
});

const ADDON = ['unix-dgram', 'bindings', 'file-uri-to-path', 'nan'];

test('npm pack ships only package.json, README.md, LICENSE, the two bundles (no source maps), dist/node_modules with the sd_notify addon and what it loads, labs/*.yaml, the unit, provision.sh and the micro-VM scripts, the alert rules, the dashboard and the JSON schemas', async (t) => {
  const labs = (await readdir('labs')).filter((f) => f.endsWith('.yaml')).map((f) => `labs/${f}`);
  const schemas = (await readdir('docs/schemas')).map((f) => `docs/schemas/${f}`);
  const expected = [
    'LICENSE', 'README.md', 'package.json', 'dist/bin/lvslab.js', 'dist/bin/lvslabd.js', ...labs,
    'systemd/lvslabd@.service', 'scripts/provision.sh', 'scripts/microvm.sh', 'scripts/microvm-lib.sh', 'scripts/microvm-guest.sh',
    'docs/alerts.yaml', 'docs/grafana-dashboard.json', ...schemas,
  ].sort();
  const [modules, rest] = [packed.files.filter((f) => f.startsWith('dist/node_modules/')), packed.files.filter((f) => !f.startsWith('dist/node_modules/'))];
  t.deepEqual(rest, expected);
  t.deepEqual(modules.filter((f) => !ADDON.some((name) => f.startsWith(`dist/node_modules/${name}/`))), [], 'only the addon and its run-time modules');
  for (const needed of ['unix-dgram/package.json', 'unix-dgram/lib/unix_dgram.js', 'unix-dgram/build/Release/unix_dgram.node', 'bindings/bindings.js', 'file-uri-to-path/index.js']) {
    t.true(modules.includes(`dist/node_modules/${needed}`), needed);
  }
});

test('npm install -g --offline with an empty cache installs the tarball; its lvslab and lvslabd print the version, lvslab the help, lvslab check passes the shipped seed lab, and the sd_notify addon loads from the installed bundle', async (t) => {
  const prefix = join(packed.dir, 'prefix');
  const cache = join(packed.dir, 'empty-cache');
  // --offline with an empty cache: any module the tarball does not carry is ENOTCACHED, not fetched
  await run('npm', ['install', '-g', '--offline', '--cache', cache, '--prefix', prefix, packed.tarball], { env: npmEnv });
  const bin = (name: string) => join(prefix, 'bin', name);
  const installed = join(prefix, 'lib/node_modules/lvslab');
  const env = { ...process.env, NODE_PATH: '' };

  t.is((await run(bin('lvslab'), ['--version'], { env })).stdout, `${packageVersion}\n`);
  t.is((await run(bin('lvslabd'), ['--version'], { env })).stdout, `${packageVersion}\n`);
  t.true((await run(bin('lvslab'), ['--help'], { env })).stdout.startsWith(helpText(packageVersion)));
  const seed = join(installed, 'labs/seed.yaml');
  t.regex((await run(bin('lvslab'), ['check', seed], { env })).stdout, new RegExp(`^${seed}: lab seed is valid — 4 nodes `));
  // what daemon/systemd/notify.ts does under systemd, from the installed lvslabd.js
  const load = `require('node:module').createRequire(${JSON.stringify(join(installed, 'dist/bin/lvslabd.js'))})('unix-dgram').createSocket('unix_dgram').close()`;
  await t.notThrowsAsync(run(process.execPath, ['-e', load], { env, cwd: packed.dir }));
});
