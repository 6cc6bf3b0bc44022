/** The progress line of long commands (cli/progress.ts), on a fake terminal with a fake clock. */
import test from 'ava';
import { elapsed, progress, type ProgressClock } from '../../../daemon/cli/progress.js';

function fakes(isTTY: boolean) {
  let now = 0;
  const ticks: (() => void)[] = [];
  let stopped = 0;
  const clock: ProgressClock = { now: () => now, every: (_ms, tick) => (ticks.push(tick), () => void (stopped += 1)) };
  const written: string[] = [];
  const stream = { isTTY, write: (s: string) => written.push(s) };
  return { clock, stream, written, advance: (ms: number) => { now += ms; for (const tick of ticks) tick(); }, stopped: () => stopped, ticks };
}

test('on a terminal: one line that redraws itself with the elapsed time of its step, cleared when done', (t) => {
  const f = fakes(true);
  const p = progress(f.stream, f.clock);
  p.step('waiting for convergence: ds, rs1');
  f.advance(1200);
  f.advance(11_000);
  p.step('waiting for convergence: rs1');
  f.advance(400);
  p.done();
  t.deepEqual(f.written, [
    '\r\x1b[2Kwaiting for convergence: ds, rs1 (0.0 s)',
    '\r\x1b[2Kwaiting for convergence: ds, rs1 (1.2 s)',
    '\r\x1b[2Kwaiting for convergence: ds, rs1 (12 s)',
    '\r\x1b[2Kwaiting for convergence: rs1 (0.0 s)',
    '\r\x1b[2Kwaiting for convergence: rs1 (0.4 s)',
    '\r\x1b[2K',
  ]);
  t.is(f.ticks.length, 1, 'one timer for all the steps');
  t.is(f.stopped(), 1, 'the timer stops when done');
});

test('on a terminal, a line of output is written on a cleared line and the progress drawn again after it', (t) => {
  const f = fakes(true);
  const p = progress(f.stream, f.clock);
  p.step('waiting');
  p.around(() => f.stream.write('  ds: 18 changes applied\n'));
  p.done();
  p.around(() => f.stream.write('verify: PASS\n'));
  t.deepEqual(f.written, ['\r\x1b[2Kwaiting (0.0 s)', '\r\x1b[2K', '  ds: 18 changes applied\n', '\r\x1b[2Kwaiting (0.0 s)', '\r\x1b[2K', 'verify: PASS\n']);
});

test('elsewhere (a pipe, a log): each step once as a plain line, no time, nothing to clear', (t) => {
  const f = fakes(false);
  const p = progress(f.stream, f.clock);
  p.step('building the topology');
  f.advance(5000);
  p.step('waiting for convergence: ds');
  p.around(() => f.stream.write('  ds: converged\n'));
  p.done();
  t.deepEqual(f.written, ['building the topology\n', 'waiting for convergence: ds\n', '  ds: converged\n']);
  t.is(f.ticks.length, 0, 'no timer');
});

test('elapsed: tenths under 10 s, whole seconds after', (t) => {
  t.deepEqual([0, 49, 950, 9949, 10_000, 61_400].map(elapsed), ['0.0 s', '0.0 s', '0.9 s', '9.9 s', '10 s', '61 s']);
});
