/**
 * scripts/provision.sh as Vagrant runs it: an uploaded copy (/tmp/vagrant-shell) whose own folder is not
 * lvslab's, so it must find the synced folder. Each case stops at the lab file check, before anything is
 * installed (a missing lab file names the folder the script settled on).
 */
import test from 'ava';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { createRunner } from '../../../daemon/kernel/runner.js';

const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 30_000 });
const checkout = resolve('.');

async function uploadedCopy(): Promise<{ dir: string; script: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-provision-'));
  await mkdir(join(dir, 'tmp'));
  const script = join(dir, 'tmp', 'vagrant-shell');
  await copyFile('scripts/provision.sh', script);
  return { dir, script, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
const provision = (env: string[], script: string, ...args: string[]) =>
  runner.run(['env', '-C', tmpdir(), ...env, 'bash', script, ...args], { okExitCodes: [2] });

test('an uploaded copy finds lvslab in the synced folder (LVSLAB_SYNCED_FOLDER, /vagrant by default)', async (t) => {
  const { script, cleanup } = await uploadedCopy();
  t.teardown(cleanup);
  const r = await provision([`LVSLAB_SYNCED_FOLDER=${checkout}`], script, 'ds', 'labs/nosuch.yaml');
  t.is(r.exitCode, 2);
  t.is(r.stderr.trim(), `provision ds: no lab file ${checkout}/labs/nosuch.yaml`);
});

test('an uploaded copy with no lvslab folder in reach is refused, naming both places it looked', async (t) => {
  const { dir, script, cleanup } = await uploadedCopy();
  t.teardown(cleanup);
  const nowhere = join(tmpdir(), 'lvslab-no-such-folder');
  const r = await provision([`LVSLAB_SYNCED_FOLDER=${nowhere}`], script, 'ds', 'labs/seed.yaml');
  t.is(r.exitCode, 2);
  t.is(r.stderr.trim(), `provision ds: neither ${dir} (this script's folder's parent) nor ${nowhere} (Vagrant's synced folder) is an lvslab folder: run scripts/provision.sh of an lvslab checkout`);
});

test('the script in place, run from another folder, resolves the lab file against its own folder', async (t) => {
  const r = await provision([], resolve('scripts/provision.sh'), 'ds', 'labs/nosuch.yaml');
  t.is(r.exitCode, 2);
  t.is(r.stderr.trim(), `provision ds: no lab file ${checkout}/labs/nosuch.yaml`);
});
