/**
 * scripts/bench/apply.sh at a reduced size, so that the benchmark keeps working (issue 13: CI runs it
 * small, with no timing assertion): 30 virtual services x 2 real servers, the daemon watched for 10 s.
 * It runs here, in the e2e micro-VM (LVSLAB_IN_MICROVM: no second VM). What it checks: every row of
 * the table is there with a time, a ratio and its process counts; the floor and keepalived loaded all
 * 30 services (the script fails otherwise); lvslab's weight change, by the CLI and by the daemon's
 * reload, started exactly one writer and the converged re-run none; the daemon line has its figures;
 * nothing of the run is left (its namespace and its lab's ledger). About a minute in the micro-VM.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { ok, run } from './helpers.js';

test('the apply benchmark at 30 services: every row with a time and process counts, one writer for a weight change by the CLI and by a daemon reload, none for a converged re-run, nothing left behind', async (t) => {
  t.timeout(600_000);
  const r = await ok(run(['bash', 'scripts/bench/apply.sh', '--services', '30', '--daemon-seconds', '10'], undefined, 590_000));
  t.log(r.stdout.trim());
  const ns = /^== 30 virtual services x 2 real servers in network namespace (\S+) /m.exec(r.stdout)?.[1];
  t.truthy(ns, 'the script names its namespace');

  // name | time s | ratio x | [share of the apply] | processes | writers | note
  const row = (name: string) => {
    const line = r.stdout.split('\n').find((l) => l.startsWith(name));
    const m = line === undefined ? null : /^.{34} +(\d+\.\d) s +(\d+\.\d\d)x +(\d+\.\d%)? +(\d+) +(\d+)/.exec(line);
    if (m === null) return t.fail(`no row "${name}" in the table`);
    return { seconds: Number(m[1]), ratio: Number(m[2]), share: m[3], processes: Number(m[4]), writers: Number(m[5]) };
  };
  t.like(row('bare ipvsadm -R (floor)'), { ratio: 1, processes: 1, writers: 1 });
  t.like(row('bare ipvsadm -R, first'), { processes: 1, writers: 1 });
  t.like(row('keepalived --check'), { processes: 1, writers: 1 });
  const full = row('lvslab apply from empty');
  t.true((full?.writers ?? 0) > 0 && (full?.processes ?? 0) >= (full?.writers ?? 0));
  const changed = row("one real server's weight changed");
  t.is(changed?.writers, 1, 'one weight changed: one writing process');
  t.regex(changed?.share ?? '', /%$/);
  const converged = row('converged re-run');
  t.is(converged?.writers, 0, 'a converged re-run starts no writing process');
  t.regex(r.stdout, /^converged re-run .* ds: 0 changes \(converged\)/m);
  const reload = row('lvslabd reload, one weight');
  t.like(reload, { processes: 1, writers: 1 }, "the daemon's reload writes the weight with one ipvsadm run");
  t.regex(reload?.share ?? '', /%$/);
  t.regex(r.stdout, /^lvslabd reload, one weight .* reload: 1 IPVS changes written directly: read and checked the lab \d+ ms, planned \d+ ms, wrote \d+ ms \(ipvs 1 line\)$/m);
  t.truthy(row('lvslab cleanup'));
  t.regex(r.stdout, /^lvslabd at 30 services: RSS \d+ MB; \d+ converged runs in \d+ s .* \d+% of one core, \d+\.\d\d CPU s per run$/m);

  const netns = await ok(run(['ip', 'netns', 'list']));
  t.false(netns.stdout.includes(ns ?? 'lvslab-bench-apply-'), 'the namespace is gone');
  const lab = /^lvslab-bench-apply-(\d+)$/.exec(ns ?? '')?.[1];
  t.false(existsSync(`/run/lvslab/ba${lab}`), "the lab's ledger is gone");
});
