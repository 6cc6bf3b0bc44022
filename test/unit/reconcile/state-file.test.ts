/** The daemon's state file: concurrent writes (a refused reload and a run ending together) all succeed, and the last one is what stays. */
import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState, writeState, type DaemonState } from '../../../daemon/reconcile/state-file.js';

const state = (runs: number): DaemonState => ({ lab: 'seed', node: 'ds', pid: process.pid, runs, converged: true, updatedAt: new Date(runs).toISOString() });

test('20 writes at once all succeed; the file holds the last one written, and no temporary file is left', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'run', 'ds.state.json');
  await Promise.all(Array.from({ length: 20 }, (_, i) => writeState(path, state(i + 1))));
  t.is((await readState(path))?.runs, 20);
  t.deepEqual(await readdir(join(dir, 'run')), ['ds.state.json']);
});

test('a write that fails rejects its caller, and the next write to the path still happens', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lvslab-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // a path below a regular file cannot be written
  const bad = join(dir, 'ds.state.json', 'x.json');
  await writeState(join(dir, 'ds.state.json'), state(1));
  await t.throwsAsync(writeState(bad, state(2)));
  await writeState(join(dir, 'ds.state.json'), state(3));
  t.is((await readState(join(dir, 'ds.state.json')))?.runs, 3);
});
