/**
 * scripts/bench/blocklist.sh at a reduced size, so that the benchmark keeps working (issue 13: CI runs
 * it small, with no timing assertion): N = 0 and 100, one second each. It needs root and this
 * machine's kernel (network namespaces, veth, ipset, iptables), as CI has. What it checks: the table
 * has both rows with a figure in every column, lvslab's set really held the 100 entries while the
 * client measured (the script reads `ipset list -t` in the namespace and prints the count), the plain
 * iptables run held 100 rules, and nothing of the run is left: no namespace, no ledger of its lab.
 * About 11 s on an idle two-core machine (two lvslab CLI runs, a 2 s warm-up and four one-second loops).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { createRunner } from '../../../daemon/kernel/runner.js';

const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 180_000 });

test('the blocklist benchmark at N = 0 and 100: both rows in full, 100 entries in lvslab\'s set and 100 plain rules, nothing left behind', async (t) => {
  t.timeout(200_000);
  const r = await runner.run(['bash', 'scripts/bench/blocklist.sh', '--sizes', '0,100', '--seconds', '1'], { okExitCodes: [1, 2] });
  t.log(r.stdout.trim());
  t.is(r.exitCode, 0, r.stderr);

  const names = /^namespaces: (\S+) \(server [^)]*\), (\S+) \(client [^)]*\); lab (\S+);/m.exec(r.stdout);
  t.truthy(names, 'the script names its namespaces and lab');
  const [, server, client, lab] = names!;

  // the counts the script read in the server namespace while it measured
  const held = (n: number) => Number(new RegExp(`^lvslab +N=${n}: set LVSLAB-bench holds (\\d+) entries \\(ipset list -t\\)`, 'm').exec(r.stdout)?.[1]);
  t.is(held(0), 0);
  t.is(held(100), 100);
  const rules = (n: number) => Number(new RegExp(`^iptables N=${n}: (\\d+) rules in INPUT`, 'm').exec(r.stdout)?.[1]);
  t.is(rules(0), 0);
  t.is(rules(100), 100);
  t.regex(r.stdout, /^lvslab cleanup: no set, chain or rule left in /m);

  // N | lvslab conn/s | ratio | p50 | p99 | iptables conn/s | ratio | p50 | p99
  const number = /^\d+(\.\d+)?$/;
  const percent = /^\d+(\.\d+)?%$/;
  for (const n of ['0', '100']) {
    const row = r.stdout.split('\n').find((line) => line.split(/\s+/)[0] === n && /%/.test(line));
    t.truthy(row, `the table's row N = ${n}`);
    const cells = row!.trim().split(/\s+/);
    t.is(cells.length, 9, row);
    cells.forEach((cell, i) => t.regex(cell, i === 2 || i === 6 ? percent : number, `N = ${n}, column ${i + 1}: ${row}`));
    if (n === '0') t.deepEqual([cells[2], cells[6]], ['100.0%', '100.0%']);
    t.true(Number(cells[1]) > 0 && Number(cells[5]) > 0, row);
  }
  t.regex(r.stdout, /^machine: \d+ CPUs \(nproc\), kernel \S+, /m);

  const left = (await runner.run(['ip', 'netns', 'list'])).stdout;
  for (const name of [server!, client!]) t.false(left.split('\n').some((line) => line.split(' ')[0] === name), `${name} is left: ${left}`);
  t.false(existsSync(`/run/lvslab/${lab!}`), `lvslab's ledger of lab ${lab!} is left`);
});
