/** The health state machine: rise and fall, flapping, the reasons of transitions. */
import test from 'ava';
import { initialHealth, next, type CheckResult, type HealthState, type Step } from '../../../daemon/health/state.js';

const T0 = '2026-01-01T00:00:00.000Z';
const ok: CheckResult = { ok: true };
const refused: CheckResult = { ok: false, error: 'connect ECONNREFUSED 192.168.113.99:8080' };
const options = { rise: 2, fall: 2, label: 'rs1 192.168.113.99:8080' };

/** Feeds results one by one (check i at second i); returns every step. */
function run(results: readonly CheckResult[], start: HealthState = initialHealth(T0), opts = options): Step[] {
  const steps: Step[] = [];
  let state = start;
  results.forEach((result, i) => {
    const step = next(state, result, { ...opts, now: `2026-01-01T00:00:${String(i + 1).padStart(2, '0')}.000Z` });
    steps.push(step);
    state = step.state;
  });
  return steps;
}

const transitions = (steps: Step[]) => steps.map((s) => s.transition ?? '-').join(' ');

test('starts healthy, with no counts', (t) => {
  t.deepEqual(initialHealth(T0), { healthy: true, successes: 0, failures: 0, since: T0 });
});

test('fall consecutive failures take it down, with one reason naming the server, the count and the error', (t) => {
  const steps = run([refused, refused]);
  t.is(transitions(steps), '- down');
  t.deepEqual(steps[0]?.state, { healthy: true, successes: 0, failures: 1, lastError: refused.error, since: T0 });
  t.deepEqual(steps[1]?.state, { healthy: false, successes: 0, failures: 2, lastError: refused.error, since: '2026-01-01T00:00:02.000Z' });
  t.is(steps[1]?.reason, 'rs1 192.168.113.99:8080 DOWN after 2 failures: connect ECONNREFUSED 192.168.113.99:8080');
  t.is(steps[0]?.reason, undefined);
});

test('rise consecutive successes bring it back up and forget the error', (t) => {
  const steps = run([refused, refused, ok, ok, ok]);
  t.is(transitions(steps), '- down - up -');
  t.deepEqual(steps[2]?.state, { healthy: false, successes: 1, failures: 0, lastError: refused.error, since: '2026-01-01T00:00:02.000Z' });
  t.deepEqual(steps[3]?.state, { healthy: true, successes: 2, failures: 0, since: '2026-01-01T00:00:04.000Z' });
  t.is(steps[3]?.reason, 'rs1 192.168.113.99:8080 UP after 2 successes');
  t.deepEqual(steps[4]?.state, { healthy: true, successes: 3, failures: 0, since: '2026-01-01T00:00:04.000Z' });
});

test('flapping (fail, pass, fail, pass …) never reaches fall or rise: no transition, either way', (t) => {
  t.is(transitions(run([refused, ok, refused, ok, refused, ok])), '- - - - - -');
  const down = run([refused, refused]).at(-1)!.state;
  t.is(transitions(run([ok, refused, ok, refused, ok], down)), '- - - - -');
});

test('a lone failure on a healthy server is forgotten at the next success', (t) => {
  const steps = run([refused, ok]);
  t.deepEqual(steps[1]?.state, { healthy: true, successes: 1, failures: 0, since: T0 });
});

test('fall 1 and rise 1 act on the first result; singular wording', (t) => {
  const steps = run([{ ok: false }, ok], initialHealth(T0), { rise: 1, fall: 1, label: 'rs2 192.168.113.98:8080' });
  t.is(transitions(steps), 'down up');
  t.is(steps[0]?.reason, 'rs2 192.168.113.98:8080 DOWN after 1 failure: check failed');
  t.is(steps[1]?.reason, 'rs2 192.168.113.98:8080 UP after 1 success');
});

test('more failures while down and a long fall: no second transition, counts go on', (t) => {
  const steps = run([refused, refused, refused, refused, refused], initialHealth(T0), { ...options, fall: 3 });
  t.is(transitions(steps), '- - down - -');
  t.is(steps[4]?.state.failures, 5);
  t.is(steps[4]?.state.since, '2026-01-01T00:00:03.000Z');
});
