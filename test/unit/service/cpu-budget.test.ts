/** Scheduled runs keep to a share of one core: the budget after each run, and /proc/self/stat's CPU times. */
import test from 'ava';
import { cpuBudget, processCpuMs, SCHEDULED_CPU_SHARE } from '../../../daemon/service/cpu-budget.js';

test('at 10% of a core, a run of 500 ms of CPU holds the next scheduled run 4.5 s past its end', (t) => {
  t.is(SCHEDULED_CPU_SHARE, 0.1);
  const budget = cpuBudget();
  t.is(budget.nextAt(), 0, 'before the first run: at once');
  budget.record(500, 1_000_000);
  t.is(budget.nextAt(), 1_004_500);
  t.is(budget.lastCpuMs(), 500);
  // the 10,000-service lab's converged run in the micro-VM: 5.5 CPU s, so a run every 55 s
  budget.record(5_500, 2_000_000);
  t.is(budget.nextAt() - 2_000_000 + 5_500, 55_000);
});

test('a cheap run holds nothing back; the last run alone counts; a negative reading counts as none', (t) => {
  const budget = cpuBudget();
  budget.record(9_000, 0);
  budget.record(20, 100_000);
  t.is(budget.nextAt(), 100_180);
  budget.record(-10, 200_000);
  t.is(budget.nextAt(), 200_000);
});

test('a share is in (0, 1]: a whole core holds nothing back, half a core as long as the run took; 0 and more than 1 are refused', (t) => {
  const budget = cpuBudget();
  budget.record(3_000, 50);
  t.is(budget.nextAt(1), 50);
  t.is(budget.nextAt(0.5), 3_050);
  t.is(budget.nextAt(), 27_050, 'the default: 10%');
  for (const bad of [0, -0.1, 1.5, Number.NaN]) t.throws(() => budget.nextAt(bad), { instanceOf: RangeError }, String(bad));
});

test('processCpuMs: utime + stime + cutime + cstime in ms (100 ticks a second), counted after the name\'s last parenthesis', (t) => {
  // a command name with spaces and parentheses; utime 120, stime 30, cutime 45, cstime 5 ticks
  const stat = '4242 (node (lvs) d) S 1 4242 4242 0 -1 4194560 5000 0 0 0 120 30 45 5 20 0 11 0 100 1000000 5000 18446744073709551615';
  t.is(processCpuMs(stat), 2_000);
  t.throws(() => processCpuMs('4242 (node) S 1'), { message: /no CPU times/ });
});

test('processCpuMs of this process: a whole number of 10 ms ticks that does not go down', (t) => {
  const first = processCpuMs();
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += i % 7;
  const second = processCpuMs();
  t.true(x > 0);
  t.is(first % 10, 0);
  t.true(second >= first);
});
